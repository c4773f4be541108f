"""``switchboard mcp``: stdio to the daemon's ``/mcp``, without loading the MCP SDK in this process.

The MCP Python SDK costs about 1.7 s of CPU to import (two protocol versions of pydantic models),
far over the second an agent should wait for a server it launches. The daemon already serves the
very same server at ``/mcp``; over its Unix socket the caller is the socket's owner, so relaying
the agent's JSON-RPC lines there keeps the identity of ``switchboard mcp`` and makes it start in
the time of the interpreter plus httpx. ``--in-process`` serves the tools in this process instead
(``mcp_server.server.run_stdio``).

What the relay does, and nothing more:

- each stdin line is POSTed to ``/mcp`` (one task per message, so a long ``run_task`` never blocks
  a cancel, a ping or another call); each answer (JSON, or server-sent events carrying progress
  and then the result) is written to stdout as lines;
- ``initialize`` gives it the session id and protocol version it sends with every later message;
  once the agent subscribes to a resource it follows the session's GET stream (resource updates);
- a line that is not JSON (or is nested too deeply) gets a parse error, a request whose id is not a
  string or a number an invalid-request error with a null id; an HTTP failure becomes a JSON-RPC
  error, and a ``tools/call`` that loses the daemon becomes a tool error saying what to do next; a
  notification is never answered, not even with an error;
- it starts the daemon when none answers (unless ``--no-autostart``), and if the daemon restarted
  (unknown session) it replays the handshake once and resends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("switchboard.mcp.relay")

ACCEPT = "application/json, text/event-stream"
LISTEN_CYCLE = 3.0
"""Seconds a GET stream for resource updates stays open before it is reopened."""
PARSE_ERROR, INVALID_REQUEST, INTERNAL_ERROR = -32700, -32600, -32603
UNREACHABLE_NEXT = ("The Switchboard daemon is not reachable. Ask the user to run `switchboard status` "
                    "(or `switchboard daemon`), then call the tool again.")
_LOST = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, FileNotFoundError,
         ConnectionError)


class DaemonGoneError(Exception):
    """The daemon did not answer, or the connection broke before the answer was complete."""


class Relay:
    """One agent's stdio session, relayed to the daemon's ``/mcp`` over its Unix socket."""

    def __init__(self, socket: str, *, autostart: bool, data_dir: str | None,
                 stdout: Any = None) -> None:
        self.socket = socket
        self.autostart = autostart
        self.data_dir = data_dir
        self._out = stdout or sys.stdout.buffer
        self._write_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=socket), base_url="http://switchboard",
                                       timeout=httpx.Timeout(None, connect=5.0))
        self._trusted = False
        """The socket was checked: the user's own daemon listens there (``daemon.paths``)."""
        self.session_id: str | None = None
        self.protocol: str | None = None
        self._handshake: dict[str, Any] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- output --------------------------------------------------------------------------------

    async def write(self, message: dict[str, Any] | str) -> None:
        """One JSON-RPC message on stdout, never interleaved with another."""
        line = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        async with self._write_lock:
            self._out.write(line.encode() + b"\n")
            self._out.flush()

    async def error(self, request_id: Any, code: int, message: str) -> None:
        """A JSON-RPC error reply."""
        await self.write({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})

    # -- input ---------------------------------------------------------------------------------

    async def run(self, reader: asyncio.StreamReader) -> None:
        """Relay until stdin closes, then end the session."""
        try:
            while line := await reader.readline():
                if line.strip():
                    self._spawn(self.handle_line(line))
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_line(self, line: bytes) -> None:
        """Relay one message from the agent."""
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            await self.error(None, PARSE_ERROR, "Parse error: invalid JSON (or nested too deeply)")
            return
        if not isinstance(message, dict):
            await self.error(None, INVALID_REQUEST, "Invalid Request: a message is one JSON object per line")
            return
        if "id" in message and not valid_id(message["id"]):
            if "method" in message:  # no answer could carry this id: refused here, with the null id
                await self.error(None, INVALID_REQUEST, "Invalid Request: an id must be a string or a number")
            return
        request_id = message.get("id") if "method" in message else None
        try:
            await self.forward(message, retry=True)
        except DaemonGoneError as exc:
            if request_id is None:
                return
            if message.get("method") == "tools/call":
                text = f"daemon_unavailable: {exc}\nNext: {UNREACHABLE_NEXT}"
                await self.write({"jsonrpc": "2.0", "id": request_id,
                                  "result": {"content": [{"type": "text", "text": text}], "isError": True}})
            else:
                await self.error(request_id, INTERNAL_ERROR, f"daemon_unavailable: {exc}. {UNREACHABLE_NEXT}")

    # -- the daemon ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"accept": ACCEPT, "content-type": "application/json"}
        if self.session_id:
            headers["mcp-session-id"] = self.session_id
        if self.protocol:
            headers["mcp-protocol-version"] = self.protocol
        return headers

    async def _ensure_daemon(self) -> None:
        if not self.autostart:
            raise DaemonGoneError(f"no Switchboard daemon answers on {self.socket}")
        from daemon.client import DaemonClient  # only when starting one: it costs what httpx does again
        from daemon.errors import SwitchboardError

        try:
            async with DaemonClient(self.socket, data_dir=self.data_dir) as client:
                await client.ensure_daemon()
        except SwitchboardError as exc:
            raise DaemonGoneError(exc.message) from None

    def _trust(self) -> None:
        """Nothing goes through the socket before it is known to be the user's own daemon's."""
        if self._trusted:
            return
        from daemon.errors import UnsafePathError
        from daemon.paths import verify_daemon_socket

        try:
            self._trusted = verify_daemon_socket(Path(self.socket))
        except UnsafePathError as exc:
            print(f"switchboard mcp: {exc.message}", file=sys.stderr, flush=True)
            raise DaemonGoneError(exc.message) from None

    async def forward(self, message: dict[str, Any], *, retry: bool, reply: bool = True) -> None:
        """POST one message and relay its answer; start the daemon or redo the handshake once if needed."""
        method = message.get("method")
        if method == "initialize":
            self._handshake = message
        body = json.dumps(message).encode()
        self._trust()
        try:
            async with self._http.stream("POST", "/mcp", content=body, headers=self._headers()) as response:
                if response.status_code == 404 and self.session_id and retry and method != "initialize":
                    await response.aread()
                    await self._rehandshake()
                    await self.forward(message, retry=False, reply=reply)
                    return
                if method == "initialize" and response.status_code < 400:
                    self.session_id = response.headers.get("mcp-session-id")
                await self._relay_answer(message, response, reply=reply)
        except _LOST as exc:
            if retry and isinstance(exc, httpx.ConnectError | FileNotFoundError | ConnectionRefusedError):
                await self._ensure_daemon()
                await self.forward(message, retry=False, reply=reply)
                return
            raise DaemonGoneError(f"lost the connection to the daemon ({type(exc).__name__})") from None
        if method == "resources/subscribe" and self._listening is None:
            self._listening = asyncio.get_running_loop().create_task(self._listen())

    async def _relay_answer(self, message: dict[str, Any], response: httpx.Response, *, reply: bool) -> None:
        # A notification is never answered (JSON-RPC): an error the daemon gives one stays here.
        reply = reply and ("id" in message or "method" not in message)
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" in content_type:
            async for data in _sse_data(response):
                self._learn_protocol(message, data)
                if reply:
                    await self.write(data)
            return
        raw = await response.aread()
        if response.status_code == 202 or not raw.strip():
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("jsonrpc") == "2.0":
            self._learn_protocol(message, raw.decode())
            if reply and (payload.get("id") is not None or "id" not in message):
                await self.write(payload)
            elif reply and "error" in payload:
                await self.error(message.get("id"), payload["error"].get("code", INTERNAL_ERROR),
                                 payload["error"].get("message", "error"))
            return
        if reply and "id" in message and "method" in message:
            detail = payload["error"]["message"] if isinstance(payload, dict) and "error" in payload else raw.decode(
                errors="replace")[:300]
            await self.error(message["id"], INVALID_REQUEST if response.status_code < 500 else INTERNAL_ERROR,
                             f"the daemon refused the request (HTTP {response.status_code}): {detail}")

    def _learn_protocol(self, message: dict[str, Any], data: str) -> None:
        if message.get("method") != "initialize" or self.protocol:
            return
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            self.protocol = json.loads(data)["result"]["protocolVersion"]

    async def _rehandshake(self) -> None:
        """The daemon restarted and forgot the session: open a new one the way the agent opened the first."""
        assert self._handshake is not None
        self.session_id = self.protocol = None
        await self.forward({**self._handshake, "id": "switchboard-relay-reinitialize"}, retry=False, reply=False)
        await self.forward({"jsonrpc": "2.0", "method": "notifications/initialized"}, retry=False, reply=False)

    async def _listen(self) -> None:
        """Relay the session's GET stream (resource updates) once the agent subscribes to a resource.

        Each stream is closed after ``LISTEN_CYCLE`` seconds and reopened at once: an open response
        holds a stopping daemon for its whole drain time, a short one lets it stop promptly.
        """
        delay = 0.5
        while True:
            try:
                headers = {k: v for k, v in self._headers().items() if k != "content-type"}
                async with asyncio.timeout(LISTEN_CYCLE), self._http.stream(
                        "GET", "/mcp", headers={**headers, "accept": "text/event-stream"}) as r:
                    if r.status_code in (404, 405):
                        return
                    if r.status_code < 400:
                        delay = 0.5
                        async for data in _sse_data(r):
                            await self.write(data)
            except TimeoutError:
                continue
            except _LOST:
                pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def close(self) -> None:
        """End the session on the daemon and close the connections."""
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        if self.session_id:
            with contextlib.suppress(*_LOST, httpx.TimeoutException):
                await self._http.delete("/mcp", headers=self._headers(), timeout=2.0)
        await self._http.aclose()


def valid_id(request_id: Any) -> bool:
    """A JSON-RPC id an answer can carry back: a string or a number (MCP allows no null)."""
    return isinstance(request_id, str | int | float) and not isinstance(request_id, bool)


async def _sse_data(response: httpx.Response):
    """The ``data`` of each server-sent event (empty priming events skipped)."""
    lines: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            lines.append(line[5:].lstrip(" "))
        elif line == "" and lines:
            data = "\n".join(lines)
            lines = []
            if data.strip():
                yield data


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run_relay(socket: str | None, data_dir: str | None, *, autostart: bool = True) -> None:
    """Relay stdin/stdout to the daemon's ``/mcp`` until the agent closes stdin."""
    from daemon.paths import socket_path

    relay = Relay(str(socket_path(socket)), autostart=autostart, data_dir=data_dir)
    await relay.run(await _stdin_reader())
