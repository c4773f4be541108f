"""Trace recording off the request's critical path: a queue, one writer task, batched inserts.

Handlers ``submit()`` a finished trace and return; the writer commits batches. On shutdown the
queue is drained before the store closes, so a trace accepted is a trace stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from daemon.store import Store
from daemon.store.records import TraceRecord

log = logging.getLogger("switchboard.traces")

_BATCH = 256
LINGER_SECONDS = 0.02
"""How long the writer lets traces gather before a write: one store transaction (and one hop to the
store's thread) per batch instead of per request; at a few hundred requests a second that halves
the trace's share of the daemon's CPU. Shutdown still drains everything."""


class TraceWriter:
    """Batches finished traces into the store and tells subscribers about each one."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: asyncio.Queue[TraceRecord | None] = asyncio.Queue()
        self._subscribers: list[Callable[[TraceRecord], None]] = []
        self._pending: dict[str, asyncio.Event | None] = {}
        """Traces announced and not yet in the store, each with the event a waiter made (None until one
        waits: almost every trace is written without anyone waiting for it)."""

    def subscribe(self, callback: Callable[[TraceRecord], None]) -> None:
        """Call ``callback`` with every trace once it is committed."""
        self._subscribers.append(callback)

    def expect(self, trace_id: str) -> None:
        """Announce a trace that will be submitted shortly (``written`` then waits for it)."""
        self._pending.setdefault(trace_id, None)

    def submit(self, trace: TraceRecord) -> None:
        """Queue a finished trace; never blocks the request."""
        self.expect(trace.id)
        self._queue.put_nowait(trace)

    async def written(self, trace_id: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a submitted trace is in the store (returns at once if it is not pending)."""
        if trace_id not in self._pending:
            return
        event = self._event_for(trace_id)
        async with asyncio.timeout(timeout):
            await event.wait()

    def _event_for(self, trace_id: str) -> asyncio.Event:
        """The event set when a pending trace is written, made when the first waiter asks."""
        event = self._pending[trace_id]
        if event is None:
            event = self._pending[trace_id] = asyncio.Event()
        return event

    async def caught_up(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every trace submitted so far is in the store (readers that list traces call this,
        so a request answered a moment ago is not missing from the list)."""
        pending = [self._event_for(trace_id) for trace_id in list(self._pending)]
        if pending:
            async with asyncio.timeout(timeout):
                for event in pending:
                    await event.wait()

    async def run(self) -> None:
        """Write until ``close()`` is called and the queue is empty."""
        while True:
            first = await self._queue.get()
            batch = [first] if first is not None else []
            stop = first is None
            if not stop and self._queue.qsize() < _BATCH:
                await asyncio.sleep(LINGER_SECONDS)
            while not stop and len(batch) < _BATCH and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            if batch:
                await self._write(batch)
            if stop:
                return

    async def _write(self, batch: list[TraceRecord]) -> None:
        try:
            await self._store.record_traces(batch)
        except Exception:
            # One bad row must not lose the batch: retry one by one and log what still fails.
            log.exception("batch trace write failed; retrying %d traces one by one", len(batch))
            for trace in batch:
                try:
                    await self._store.record_traces([trace])
                except Exception:
                    log.exception("trace %s could not be stored", trace.id)
        for trace in batch:
            event = self._pending.pop(trace.id, None)
            if event is not None:
                event.set()
            for callback in self._subscribers:
                try:
                    callback(trace)
                except Exception:
                    log.exception("trace subscriber %r failed on trace %s", callback, trace.id)

    async def close(self) -> None:
        """Ask the writer to finish after everything already queued."""
        self._queue.put_nowait(None)
