"""The scan worker: a child process that runs guard jobs (``python -m daemon.guard.worker``).

Frames both ways are an 8-byte big-endian length and a pickle; a request is a job
(``daemon.guard.jobs``), a reply is ``("ok", result)`` or ``("error", message)``. The worker exits
when its stdin closes (the daemon went away) and ignores Ctrl-C, which is the daemon's to handle.
"""

from __future__ import annotations

import pickle
import signal
import struct
import sys
from typing import BinaryIO

from daemon.guard.jobs import run_job

HEADER = struct.Struct(">Q")


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """Answer jobs until ``inp`` ends."""
    while (header := _read_exactly(inp, HEADER.size)) is not None:
        data = _read_exactly(inp, HEADER.unpack(header)[0])
        if data is None:
            return
        try:
            reply = ("ok", run_job(pickle.loads(data)))
        except Exception as exc:  # a job that fails is answered, never a dead worker
            reply = ("error", f"{type(exc).__name__}: {exc}")
        payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(HEADER.pack(len(payload)) + payload)
        out.flush()


def main() -> None:
    """Serve jobs on stdin/stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
