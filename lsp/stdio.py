"""The bridge's stdio: the editor's messages read on the event loop, not through a thread pool.

pygls' own stdio reader runs every ``readline`` and every body ``read`` in its thread pool: three
thread hand-offs per message, so a ``didChange`` followed by an ``inlineCompletion`` paid six of them
before the completion was even parsed (~0.8 ms of each completion on a 2-CPU box: 5.98 → 5.15 ms
added p50 in an A/B of ``bench/lsp_latency.py``'s completion series). Editors talk to language servers over pipes, which asyncio reads directly.
When stdin is not a pipe of its own (a file, or one socket or terminal shared with stdout, which
non-blocking reads would make non-blocking for writes too), reads block in a worker thread instead.
Either way the messages are framed by ``lsp.framing`` (pygls' own loop wedges on a non-numeric
``Content-Length`` and stops at a header line over its limit): bad input gets a JSON-RPC error and
the server reads on.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from lsp.framing import (
    INVALID_REQUEST,
    MAX_HEADER_LINE,
    HeaderBlock,
    decode,
    error_response,
    frame,
    id_of,
    not_a_message,
    parse_error,
)
from lsp.handshake import header_line

if TYPE_CHECKING:
    from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)


def raw_stdin() -> BinaryIO:
    """Standard input without Python's read-ahead buffer: what the handshake reads before the event
    loop starts must not sit in a buffer the loop's reader never sees."""
    return io.FileIO(sys.stdin.fileno(), "rb", closefd=False)


def own_pipe(stdin: BinaryIO, stdout: BinaryIO) -> bool:
    """Whether stdin is a pipe (or socket) that stdout does not share."""
    try:
        fd_in, fd_out = stdin.fileno(), stdout.fileno()
        st_in, st_out = os.fstat(fd_in), os.fstat(fd_out)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    if not (stat.S_ISFIFO(st_in.st_mode) or stat.S_ISSOCK(st_in.st_mode)):
        return False
    return (st_in.st_dev, st_in.st_ino) != (st_out.st_dev, st_out.st_ino)


class _PipeReader:
    """Header lines and bodies off an ``asyncio.StreamReader`` on the pipe."""

    def __init__(self) -> None:
        self.stream = asyncio.StreamReader(limit=MAX_HEADER_LINE)

    async def header_line(self) -> bytes | None:
        """One line (b"" at the end); None for a line over ``MAX_HEADER_LINE``, read to its end and dropped."""
        too_long = False
        while True:
            try:
                line = await self.stream.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return exc.partial
            except asyncio.LimitOverrunError as exc:  # the data stays buffered: drop it, then find the line's end
                await self.stream.readexactly(exc.consumed)
                too_long = True
                continue
            return None if too_long else line

    async def readexactly(self, n: int) -> bytes:
        """``n`` bytes, or fewer at the end of the stream."""
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


class _ThreadReader:
    """The same over a file, terminal or shared socket, each blocking read in a worker thread."""

    def __init__(self, stdin: BinaryIO) -> None:
        self.stdin = stdin

    async def header_line(self) -> bytes | None:
        return await asyncio.to_thread(header_line, self.stdin)

    async def readexactly(self, n: int) -> bytes:
        body = b""
        while len(body) < n and (piece := await asyncio.to_thread(self.stdin.read, n - len(body))):
            body += piece
        return body


async def read_messages(reader: _PipeReader | _ThreadReader, dispatch: Callable[[bytes], dict[str, Any] | None],
                        write: Callable[[bytes], None], stop: threading.Event) -> None:
    """Hand each message to ``dispatch`` until the stream ends or the server stops; answer what is not one."""
    while not stop.is_set():
        block = HeaderBlock()
        while True:
            line = await reader.header_line()
            if line == b"":
                return
            if block.feed(line):
                break
        problem = block.error()
        if problem is not None:
            write(frame(parse_error(problem)))
            continue
        assert block.length is not None
        body = await reader.readexactly(block.length)
        if len(body) < block.length:
            return
        error = dispatch(body)
        if error is not None:
            write(frame(error))


def _handle(server: JsonRPCServer, body: bytes) -> dict[str, Any] | None:
    """Give one body to pygls (parsed into its message types, as its own loop does); the error that
    answers it when it is not a message pygls can take."""
    from pygls.exceptions import JsonRpcException

    protocol = server.protocol
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except JsonRpcException as exc:  # a message whose fields pygls could not read (an object id, bad params)
        raw, _ = decode(body)
        return error_response(id_of(raw), exc.code, exc.message) if isinstance(raw, dict) and "method" in raw \
            and "id" in raw else None
    except (ValueError, RecursionError):
        return decode(body)[1] or parse_error("the body is not valid JSON")
    if isinstance(message, dict | list | str | int | float | bool) or message is None:
        return not_a_message(message)
    request_id = getattr(message, "id", None)
    if getattr(message, "jsonrpc", None) != "2.0":
        return error_response(id_of({"id": request_id}), INVALID_REQUEST, "Invalid Request: the message is not JSON-RPC 2.0")
    if request_id is not None and id_of({"id": request_id}) is None:
        return error_response(None, INVALID_REQUEST, "Invalid Request: an id must be a string or a number")
    try:
        protocol.handle_message(message)
    except Exception as exc:  # as pygls' own loop: a handler's failure is reported, the server reads on
        log.exception("unable to handle a message")
        server.report_server_error(exc, JsonRpcException)
    return None


def _load_server(loop: asyncio.AbstractEventLoop, loaded: asyncio.Future[None]) -> None:
    """Import pygls and the server (in a thread: the loop meanwhile serves the prelude)."""
    try:
        import lsp.server  # noqa: F401
    except BaseException as exc:  # noqa: BLE001 - handed to the loop, which fails the server with it
        failure = exc
        loop.call_soon_threadsafe(lambda: loaded.done() or loaded.set_exception(failure))
    else:
        loop.call_soon_threadsafe(lambda: loaded.done() or loaded.set_result(None))


LOADING_SWITCH_INTERVAL = 0.0005
"""The GIL switch interval while pygls loads in its thread: the loop's thread gets the GIL back within
half a millisecond of a message arriving (instead of Python's 5 ms), so the prelude's completion is
not held up by the import."""


LOAD_AFTER_S = 0.3
"""When pygls starts loading if the daemon connection has not come up by then (a daemon being started)."""


def serve(first: dict[str, Any], stdin: BinaryIO, stdout: BinaryIO, socket: str | None, data_dir: str | None) -> None:
    """Serve the editor over stdin/stdout until it closes stdin or sends ``exit``: the prelude
    (``lsp.prelude``) while pygls loads in a thread, then the server, which replays what it held."""
    from lsp.prelude import Prelude

    stop = threading.Event()
    servers: list[JsonRPCServer] = []

    def write(data: bytes) -> None:
        stdout.write(data)
        stdout.flush()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        prelude = Prelude(first, lambda payload: write(frame(payload)), socket, data_dir)
        reader: _PipeReader | _ThreadReader
        if own_pipe(stdin, stdout):
            reader = _PipeReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader.stream), stdin)
        else:  # non-blocking reads would make a shared socket or terminal non-blocking for writes too
            reader = _ThreadReader(stdin)
        dispatch: Callable[[bytes], dict[str, Any] | None] = prelude.dispatch
        loaded: asyncio.Future[None] = loop.create_future()
        interval = sys.getswitchinterval()
        started = False

        def start_loading(*_: object) -> None:
            nonlocal started
            if not started:
                started = True
                sys.setswitchinterval(LOADING_SWITCH_INTERVAL)
                threading.Thread(target=_load_server, args=(loop, loaded), name="lsp-load", daemon=True).start()

        # pygls loads once the daemon connection is up (started by ``initialized``), so that the
        # connection's first requests do not share the CPU with the import; at the latest after a moment.
        prelude.connected.add_done_callback(start_loading)
        loop.call_later(LOAD_AFTER_S, start_loading)

        def take_over(done: asyncio.Future[None]) -> None:
            nonlocal dispatch
            sys.setswitchinterval(interval)
            done.result()  # an import that failed fails the server here, loudly
            from pygls.io_ import StdoutWriter

            from lsp.server import build_server

            server = build_server(socket, data_dir)
            # What pygls' ``start_io`` does, with our reader: ``shutdown``/``exit`` set the stop event (a
            # private attribute in pygls 2.1; the LSP tests fail if that changes).
            server._stop_event = stop
            servers.append(server)
            prelude.hand_over(server, StdoutWriter(stdout), lambda body: _handle(server, body))
            dispatch = lambda body: None if prelude.cancels_running(body) else _handle(server, body)  # noqa: E731

        loaded.add_done_callback(take_over)
        await read_messages(reader, lambda body: dispatch(body), write, stop)

    try:
        asyncio.run(run())
    except BrokenPipeError:
        pass  # the editor went away: nothing to tell it
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for server in servers:
            server.shutdown()
