"""Streaming responses for every surface: server-sent events that stop the work when the caller leaves.

Starlette's ``StreamingResponse`` only notices a disconnect on its next write under ASGI 2.4, so a
request waiting on a slow provider would keep it busy; ``EventStream`` watches ``http.disconnect``
alongside the body and cancels the producer at once, which closes the provider's connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from daemon import jsonwire
from daemon.errors import SwitchboardError

T = TypeVar("T")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event (``data`` as compact JSON unless already a string)."""
    payload = data.encode() if isinstance(data, str) else jsonwire.dumps(data)
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + payload + b"\n\n"


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Await ``work`` (e.g. a stream's first token), cancelling it if the client leaves meanwhile (the
    answer to a caller who is gone is never delivered, so the error raised then only ends the handler).
    The body must already have been read."""
    with _CancelOnDisconnect(request.receive) as guard:
        try:
            return await work
        except asyncio.CancelledError:
            if not guard.left:
                raise
    raise SwitchboardError("the client went away before the first token; the request was cancelled")


class _CancelOnDisconnect:
    """Cancel the current task if the client disconnects while the block runs.

    The work stays in the handler's own task, with one small task watching ``http.disconnect``:
    running the work in a task of its own and waiting on both cost two more tasks, an
    ``asyncio.wait`` and an extra event-loop turn on every streamed request. The cancellation is
    taken back (``uncancel``) when the block ends, so the handler's own timeouts still tell their
    cancellations apart from ours."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._task: asyncio.Task[Any] | None = None
        self._watcher: asyncio.Future[None] | None = None
        self._active = False
        self._left = False

    def __enter__(self) -> _CancelOnDisconnect:
        self._task = asyncio.current_task()
        self._active = True
        self._watcher = asyncio.ensure_future(EventStream._watch(self._receive))
        self._watcher.add_done_callback(self._watched)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._active = False  # a disconnect noticed from now on is no longer ours to act on
        assert self._watcher is not None
        self._watcher.cancel()
        if self.left and self._task is not None:
            self._task.uncancel()

    @property
    def left(self) -> bool:
        """Whether the client left (and the task was cancelled for it)."""
        return self._left

    def _watched(self, watcher: asyncio.Future[None]) -> None:
        if self._active and not watcher.cancelled() and watcher.exception() is None and self._task is not None:
            self._left = True
            self._task.cancel()


class EventStream:
    """An ASGI response streaming ``chunks``; a disconnect cancels the iterator's task."""

    def __init__(self, chunks: AsyncIterator[bytes], headers: dict[str, str] | None = None,
                 media_type: str = "text/event-stream; charset=utf-8", status: int = 200) -> None:
        self.chunks = chunks
        self.status = status
        self.headers = [(b"content-type", media_type.encode())]
        for name, value in {**SSE_HEADERS, **(headers or {})}.items():
            self.headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with _CancelOnDisconnect(receive) as guard:
            try:
                await self._pump(send)
            except asyncio.CancelledError:
                if not guard.left:
                    raise
            except OSError:
                pass  # the connection broke under a write: the client is gone either way

    async def _pump(self, send: Send) -> None:
        # The headers go out with the first chunk, not before it: one wake-up of the client instead
        # of two (every producer has its first batch in hand when it builds the response).
        started = False
        try:
            async for chunk in self.chunks:
                if not started:
                    started = True
                    await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not started:
                await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            close = getattr(self.chunks, "aclose", None)
            if close is not None:
                await close()

    @staticmethod
    async def _watch(receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
