"""The daemon's live event bus: traces, budget crossings, circuit changes, reviews, matrix versions.

Publishing never blocks a request: each subscriber has a bounded queue, and a subscriber that
falls too far behind loses its oldest events (it is told with a ``dropped`` count) rather than
slowing everyone else down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from daemon.wire import Event


class EventBus:
    """Fan-out of ``Event`` values to any number of subscribers."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[Event | None]] = set()
        self._queue_size = queue_size
        self._closed = False

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone is listening (publishers may skip building an event nobody will read)."""
        return bool(self._subscribers)

    def publish(self, type_: str, data: dict[str, Any]) -> None:
        """Send an event to every subscriber now."""
        event = Event(type=type_, at=time.time(), data=data)  # type: ignore[arg-type]
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()  # drop the oldest for this slow subscriber only
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[Event]:
        """Events from now on, until the caller stops iterating."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        try:
            while not self._closed:
                event = await queue.get()
                if event is None:
                    return
                yield event
        finally:
            self._subscribers.discard(queue)

    def close(self) -> None:
        """End every subscription (the daemon is stopping: long-lived streams must not hold up the drain)."""
        self._closed = True
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)
