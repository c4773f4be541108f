"""Large scans run in a worker process, so no prompt can hold the daemon's event loop.

Every guard pattern is linear in its text, but linear in a 16 MB body is still seconds of CPU, and
Python's regex engine keeps the GIL for a whole search: a thread would not free the loop. So a
request whose text is over ``INLINE_MAX_CHARS`` is scanned by a child process
(``daemon.guard.worker``); smaller ones (nearly all) are scanned inline, which costs less than the
round trip. A scan that outlives its time bound kills its worker and refuses the request: nothing
unscanned ever leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
from typing import Any

from daemon.errors import InvalidRequestError, SwitchboardError
from daemon.guard.jobs import Job, run_job
from daemon.guard.worker import HEADER

log = logging.getLogger("switchboard.guard")

INLINE_MAX_CHARS = 16_384
"""Above this many characters a request's scan goes to the worker (inline it costs at most a few
milliseconds of the loop, ~16 ms for the most adversarial text the fuzz test knows)."""


class _Worker:
    """One child process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def run(self, data: bytes) -> tuple[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(HEADER.pack(len(data)) + data)
        await stdin.drain()
        size = HEADER.unpack(await stdout.readexactly(HEADER.size))[0]
        return pickle.loads(await stdout.readexactly(size))

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    async def close(self) -> None:
        """Let the worker exit by closing its stdin (killed if it does not within a second)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(1):
                await self.process.wait()
        except TimeoutError:
            await self.kill()


class ScanPool:
    """Up to ``size`` scan workers, started on first need and kept while idle."""

    def __init__(self, size: int = 2) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Worker] = []
        self._closed = False
        self.started = 0
        """Workers started so far (for status and tests)."""

    async def run(self, job: Job, *, timeout: float, chars: int) -> Any:  # noqa: ASYNC109
        """``run_job(job)`` in a worker, within ``timeout`` seconds of its start."""
        if self._closed:
            raise SwitchboardError("the daemon is shutting down; the request was not scanned or sent")
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        async with self._slots:
            worker = self._idle.pop() if self._idle else await self._start()
            try:
                async with asyncio.timeout(timeout):
                    status, result = await worker.run(data)
            except TimeoutError:
                await worker.kill()
                log.error("the guard's scan of a %d-character request took over %gs; worker killed, request refused",
                          chars, timeout)
                raise InvalidRequestError(
                    f"the guard could not finish scanning this request ({chars} characters) within {timeout:g}s, "
                    "so nothing was sent; send less text, or raise guard.scan_timeout",
                ) from None
            except BaseException:
                await worker.kill()  # cancelled, or its pipe broke: its state is unknown
                raise
            if self._closed:
                await worker.close()
            else:
                self._idle.append(worker)
        if status != "ok":
            raise SwitchboardError(f"the guard's scan failed ({result}); nothing was sent")
        return result

    async def _start(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon.guard.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        self.started += 1
        return _Worker(process)

    async def aclose(self) -> None:
        """Stop the idle workers (busy ones stop when their job ends)."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(worker.close() for worker in idle))


async def run_guard_job(pool: ScanPool, job: Job, chars: int, timeout: float) -> Any:  # noqa: ASYNC109
    """``run_job(job)``: inline when its text is small, else in a worker."""
    if chars <= INLINE_MAX_CHARS:
        return run_job(job)
    return await pool.run(job, timeout=timeout, chars=chars)
