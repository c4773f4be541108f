"""The bridge's stdio: the editor's messages read on the event loop, not through a thread pool.

pygls' own stdio reader runs every ``readline`` and every body ``read`` in its thread pool: three
thread hand-offs per message, so a ``didChange`` followed by an ``inlineCompletion`` paid six of them
before the completion was even parsed (~0.8 ms of each completion on a 2-CPU box: 5.98 → 5.15 ms
added p50 in an A/B of ``bench/lsp_latency.py``'s completion series). Editors talk to language servers over pipes, which asyncio reads directly.
When stdin is not a pipe of its own (a file, or one socket or terminal shared with stdout, which
non-blocking reads would make non-blocking for writes too), pygls' reader is used as before.
"""

from __future__ import annotations

import asyncio
import io
import os
import stat
import sys
import threading
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pygls.server import JsonRPCServer

MAX_HEADER_LINE = 64 * 1024
"""A header line longer than this is not LSP (bodies are read by length, whatever their size)."""


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
    """pygls' reader interface over an ``asyncio.StreamReader`` (short reads at the end, like a file)."""

    def __init__(self) -> None:
        self.stream = asyncio.StreamReader(limit=MAX_HEADER_LINE)

    async def readline(self) -> bytes:
        return await self.stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


def serve(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve ``server`` over stdin/stdout until the editor closes stdin or sends ``exit``."""
    if not own_pipe(stdin, stdout):
        # pygls reads whole bodies with one ``read``: give it the buffered stream it expects.
        server.start_io(io.BufferedReader(stdin) if isinstance(stdin, io.RawIOBase) else stdin, stdout)  # type: ignore[arg-type]
        return
    from pygls.io_ import StdoutWriter, run_async

    # What pygls' ``start_io`` does, with a reader on the event loop: ``shutdown``/``exit`` set the
    # stop event (a private attribute in pygls 2.1; the LSP tests fail if that changes).
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))

    async def run() -> None:
        reader = _PipeReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader.stream), stdin)
        await run_async(stop_event=stop, reader=reader, protocol=server.protocol,
                        error_handler=server.report_server_error)

    try:
        asyncio.run(run())
    except BrokenPipeError:
        pass  # the editor went away: nothing to tell it
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
