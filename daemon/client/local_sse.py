"""Server-sent events from the daemon's Unix socket over plain asyncio streams.

Every editor completion is one of these streams, and the editor waits on every step of it. httpx
spent ~0.85 ms of CPU per completion stream on a 2-CPU box (request building, its transport and
connection-pool layers, line decoding), about twice what the rest of the bridge's hop costs; this
client writes the request in one piece and parses the chunked body itself (~1 ms less per completion,
measured against the real daemon). It speaks only what the daemon answers on its own socket:
HTTP/1.1, keep-alive, bodies chunked or sized. Connections are pooled; a stream closed or cancelled
before its end closes its connection, which is how the daemon learns to stop the provider's stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from daemon.errors import DaemonUnavailableError, error_from_payload

CONNECT_TIMEOUT = 5.0
MAX_IDLE = 4
"""Idle connections kept for the next stream."""
MAX_LINE = 64 * 1024
"""Longest status, header or chunk-size line accepted (bodies are read by length)."""

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class EventLines:
    """Server-sent event lines into ``(event type, data)``: the type is the data's ``type`` when it
    has one, else the ``event:`` line's, else ``message``."""

    def __init__(self) -> None:
        self.event_type = "message"
        self.data: list[str] = []

    def line(self, line: str) -> tuple[str, Any] | None:
        """Take one line (without its end); an event when the line ends one."""
        if line.startswith("event:"):
            self.event_type = line[6:].strip()
        elif line.startswith("data:"):
            self.data.append(line[5:].strip())
        elif line == "" and self.data:
            payload = json.loads("\n".join(self.data))
            kind = payload.get("type", self.event_type) if isinstance(payload, dict) else self.event_type
            self.event_type, self.data = "message", []
            return kind, payload
        return None


class _Closed(Exception):
    """The daemon closed a pooled connection before answering (it drops idle ones after a while)."""


class LocalSse:
    """Streams of ``(event type, data)`` from the daemon at ``socket``."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self._idle: list[Connection] = []

    async def aclose(self) -> None:
        """Close the idle connections."""
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()

    async def events(self, method: str, path: str, *, json_body: Any = None,
                     params: dict[str, Any] | None = None) -> AsyncIterator[tuple[str, Any]]:
        """The events of one request; an error status raises its ``SwitchboardError``."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        target = f"{path}?{urlencode(query)}" if query else path
        body = json.dumps(json_body).encode() if json_body is not None else None
        head = (f"{method} {target} HTTP/1.1\r\nhost: switchboard\r\naccept: text/event-stream\r\n"
                + (f"content-type: application/json\r\ncontent-length: {len(body)}\r\n" if body is not None else "")
                + "\r\n").encode()
        request = head + (body or b"")
        conn: Connection | None = None
        reusable = False
        try:
            conn, status, headers = await self._send(request)
            reader = conn[0]
            chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            length = int(headers["content-length"]) if "content-length" in headers else None
            keep = headers.get("connection", "").lower() != "close" and (chunked or length is not None)
            if status >= 400:
                raw = b"".join([piece async for piece in _body(reader, chunked, length)])
                reusable = keep
                try:
                    payload: Any = json.loads(raw)
                except ValueError:
                    payload = raw.decode(errors="replace")
                raise error_from_payload(payload, status=status)
            parser, pending = EventLines(), b""
            async for piece in _body(reader, chunked, length):
                pending += piece
                *lines, pending = pending.split(b"\n")
                for raw_line in lines:
                    event = parser.line(raw_line.decode().rstrip("\r"))
                    if event is not None:
                        yield event
            reusable = keep
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise DaemonUnavailableError(f"lost the connection to the daemon ({type(exc).__name__})") from None
        except ValueError as exc:  # a bad status line, chunk size or event: not the daemon's protocol
            raise DaemonUnavailableError(f"the daemon sent a stream this client cannot read ({exc})") from None
        finally:
            if conn is not None:
                if reusable and len(self._idle) < MAX_IDLE:
                    self._idle.append(conn)
                else:
                    conn[1].close()

    async def _send(self, request: bytes) -> tuple[Connection, int, dict[str, str]]:
        """Write the request on a pooled connection (a fresh one if the daemon closed it) and read the
        response's head."""
        while self._idle:
            conn = self._idle.pop()
            if conn[0].at_eof() or conn[1].is_closing():
                conn[1].close()
                continue
            try:
                return conn, *await _exchange(conn, request)
            except _Closed:
                conn[1].close()  # closed while idle, before it read anything: safe to send again
            except BaseException:
                conn[1].close()  # cancelled before the answer began: the daemon must see us leave
                raise
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                conn = await asyncio.open_unix_connection(self.socket, limit=MAX_LINE)
        except (OSError, TimeoutError) as exc:
            raise DaemonUnavailableError(
                f"the Switchboard daemon is not answering on {self.socket} ({type(exc).__name__}); "
                "start it with `switchboard daemon` (or `make run`)") from None
        try:
            return conn, *await _exchange(conn, request)
        except _Closed:
            conn[1].close()
            raise DaemonUnavailableError("the daemon closed the connection without answering") from None
        except BaseException:
            conn[1].close()
            raise


async def _exchange(conn: Connection, request: bytes) -> tuple[int, dict[str, str]]:
    reader, writer = conn
    try:
        writer.write(request)
        await writer.drain()
    except (ConnectionError, BrokenPipeError):
        raise _Closed from None
    status_line = await reader.readline()
    if not status_line:
        raise _Closed
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n"):
        if not line:
            raise asyncio.IncompleteReadError(b"", None)
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def _body(reader: asyncio.StreamReader, chunked: bool, length: int | None) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive: chunked, sized, or up to the end of the connection."""
    if chunked:
        while True:
            line = await reader.readline()
            if not line:
                raise asyncio.IncompleteReadError(b"", None)  # the connection ended between chunks
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]
    elif length is not None:
        if length:
            yield await reader.readexactly(length)
    else:
        while piece := await reader.read(65536):
            yield piece


__all__ = ["EventLines", "LocalSse"]
