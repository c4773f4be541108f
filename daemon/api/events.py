"""GET /api/events: the daemon's live events as server-sent events.

Each event goes out as ``event: <type>`` and ``data: <Event as JSON>``. The stream opens with a
``hello`` event sent only once the subscription is in place, so a client that waits for it misses
nothing after. A comment line every ``KEEPALIVE_SECONDS`` keeps proxies from closing an idle stream.
A developer sees only events about themselves (and their team); an admin sees everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from daemon.api.http import developer_of, services_of
from daemon.core.services import STORE_PROBLEM_FOR_OTHERS
from daemon.store.records import Developer
from daemon.wire import Event

KEEPALIVE_SECONDS = 15.0


def visible_to(event: Event, me: Developer, my_team: str | None) -> bool:
    """Whether a developer may see an event: admins see all; others their own and their team's."""
    if me.is_admin:
        return True
    data = event.data
    developer = data.get("developer")
    if developer is not None and developer != me.name:
        return False
    developer_id = data.get("developer_id")
    if developer_id is not None and developer_id != me.id:
        return False
    team = data.get("team")
    if developer is None and team is not None and team != my_team:
        return False
    return True


def shown_to_others(event: Event) -> Event:
    """An event as a developer who is not an admin sees it: a store problem without the data dir's path."""
    if event.type == "store" and event.data.get("problem"):
        return event.model_copy(update={"data": {**event.data, "problem": STORE_PROBLEM_FOR_OTHERS}})
    return event


def sse_frame(event: Event) -> str:
    """One server-sent event."""
    return f"event: {event.type}\ndata: {event.model_dump_json()}\n\n"


async def _stream(request: Request, me: Developer, my_team: str | None) -> AsyncIterator[str]:
    services = services_of(request)
    events = services.events.subscribe()
    pending = asyncio.ensure_future(anext(events))
    # One loop turn runs the subscription up to its queue wait: from here on nothing is missed.
    await asyncio.sleep(0)
    try:
        hello = Event(type="hello", at=time.time(), data={"developer": me.name, "is_admin": me.is_admin})
        yield sse_frame(hello)
        while True:
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield ": keepalive\n\n"
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return  # the daemon is stopping: end the stream so the drain need not wait for it
            pending = asyncio.ensure_future(anext(events))
            if visible_to(event, me, my_team):
                yield sse_frame(event if me.is_admin else shown_to_others(event))
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
        await events.aclose()


async def get_events(request: Request) -> Response:
    """Follow traces, budget crossings, circuit changes, reviews and matrix versions as they happen."""
    services = services_of(request)
    me = developer_of(request)
    current = await services.store.get_developer(me.id)  # the identity may be cached; membership is not
    my_team = (await services.store.get_team(current.team_id)).name if current.team_id is not None else None
    return StreamingResponse(
        _stream(request, me, my_team),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


routes = [Route("/api/events", get_events, methods=["GET"])]
