"""A scripted raw HTTP/1.1 server on a real socket, for testing HTTP clients byte by byte.

``ScriptedServer`` listens on 127.0.0.1 (optionally with TLS) or, through ``ScriptedServer.unix``, on
a Unix socket. It answers the n-th request (on any connection) with ``responders[n]``, usually made by
``send``: raw bytes written piece by piece, so the client gets them as separate reads (a piece may
instead be an ``asyncio.Event`` the server waits for before going on). It records every request with
the number of the connection it came on, and when each connection's reader sees the client leave.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

TIMEOUT = 3.0
"""Bound on the server's own waits, so a broken client fails its test instead of hanging it."""
PAUSE = 0.01
"""How long ``send`` waits after each piece, so the next one reaches the client as a separate read."""

Piece = bytes | asyncio.Event
Responder = Callable[[asyncio.StreamWriter], Awaitable[None]]

LAST_CHUNK = b"0\r\n\r\n"


def chunk(data: bytes | str) -> bytes:
    """``data`` as one chunk of a chunked body."""
    data = data.encode() if isinstance(data, str) else data
    return b"%x\r\n%s\r\n" % (len(data), data)


def send(*pieces: Piece, close: bool = False, pause: float = PAUSE) -> Responder:
    """Write each bytes piece as its own write (then pause, so they reach the client as separate
    reads), waiting for each Event piece to be set; then optionally close the connection."""

    async def respond(writer: asyncio.StreamWriter) -> None:
        for piece in pieces:
            if isinstance(piece, asyncio.Event):
                async with asyncio.timeout(TIMEOUT):
                    await piece.wait()
                continue
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(pause)
        if close:
            writer.close()

    return respond


@dataclass
class Request:
    conn: int
    request_line: str
    headers: list[tuple[str, str]]
    """(lower-cased name, value) pairs, in the order they came."""
    body: bytes

    @property
    def method(self) -> str:
        return self.request_line.split(" ", 2)[0]

    @property
    def target(self) -> str:
        return self.request_line.split(" ", 2)[1]

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)

    def header(self, name: str) -> str:
        """The header's one value (fails if it is absent or repeated)."""
        [value] = [v for n, v in self.headers if n == name.lower()]
        return value


class ScriptedServer:
    """An HTTP/1.1 server answering the n-th request (on any connection) with ``responders[n]``
    (and closing the connection once they run out).

    After a responder returns, the connection waits for its next request, unless the responder
    closed it; ``eof[conn]`` is set when that connection's reader sees the client close.
    """

    def __init__(self, *responders: Responder, tls: ssl.SSLContext | None = None) -> None:
        self.responders = list(responders)
        self.tls = tls
        self.path: str | None = None
        """The Unix socket's path (see ``unix``), or None for TCP on 127.0.0.1."""
        self.port = 0
        self.requests: list[Request] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.eof: list[asyncio.Event] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def unix(cls, path: str, *responders: Responder) -> ScriptedServer:
        """The same server on a Unix socket at ``path``."""
        server = cls(*responders)
        server.path = path
        return server

    @property
    def connections(self) -> int:
        return len(self.writers)

    def url(self, path: str = "/v1/chat", host: str = "127.0.0.1") -> str:
        assert self.path is None, "a Unix-socket server has no URL"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    async def __aenter__(self) -> ScriptedServer:
        if self.path is not None:
            self._server = await asyncio.start_unix_server(self._handle, self.path)
        else:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
            self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self.close_connections()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=TIMEOUT)
        await self._server.wait_closed()

    def close_connections(self) -> None:
        """Drop every connection from the server's side (as a server drops idle ones)."""
        for writer in self.writers:
            writer.close()

    async def wait_requests(self, count: int, within: float = TIMEOUT) -> None:
        async with asyncio.timeout(within):
            while len(self.requests) < count:
                await asyncio.sleep(0.005)

    async def wait_eof(self, conn: int, within: float = TIMEOUT) -> None:
        async with asyncio.timeout(within):
            await self.eof[conn].wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = len(self.writers)
        self.writers.append(writer)
        self.eof.append(asyncio.Event())
        try:
            while not writer.is_closing():
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.eof[conn].set()
                    return
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                headers = [(name.strip().lower(), value.strip())
                           for name, _, value in (line.partition(":") for line in lines)]
                body = await reader.readexactly(int(dict(headers).get("content-length", "0")))
                self.requests.append(Request(conn, request_line, headers, body))
                respond = self.responders.pop(0) if self.responders else send(close=True)
                await respond(writer)
        finally:
            writer.close()
            self._tasks.discard(task)
