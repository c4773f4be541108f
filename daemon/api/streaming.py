"""Streaming responses for every surface: server-sent events that stop the work when the caller leaves.

Starlette's ``StreamingResponse`` only notices a disconnect on its next write under ASGI 2.4, so a
request waiting on a slow provider would keep it busy; ``EventStream`` watches ``http.disconnect``
alongside the body and cancels the producer at once, which closes the provider's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(EventStream._watch(request.receive))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise SwitchboardError("the client went away before the first token; the request was cancelled")
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()


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
        pump = asyncio.ensure_future(self._pump(send))
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            await asyncio.wait((pump, watcher), return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():
                pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await pump
        finally:
            watcher.cancel()
            if not pump.done():
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await pump

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
