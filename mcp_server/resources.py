"""Resources (the matrix, my budget, each trace) and the notifications that say they changed.

Both protocol eras are served: 2026-07-28 clients open ``subscriptions/listen`` (the SDK's bus),
handshake-era clients send ``resources/subscribe`` (kept here per connection). Changes come from
the daemon's live events, and from this server's own tools (a rating moves the matrix, a run
spends budget), so subscribers hear about them even from a daemon that does not publish events.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from daemon.errors import SwitchboardError
from daemon.wire import Event
from mcp_server.errors import next_step
from mcp_server.models import MAX_MATRIX_CELLS, MAX_TEXT_EXCERPT

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer
    from mcp.server.session import ServerSession

    from daemon.client import DaemonClient

log = logging.getLogger("switchboard.mcp")

MATRIX_URI = "switchboard://matrix"
BUDGET_URI = "switchboard://budget"
TRACES_URI = "switchboard://traces"
TRACE_URI_TEMPLATE = "switchboard://traces/{trace_id}"

current_call: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar("switchboard_mcp_call", default=None)
"""(server state, transport request) of the message being served: static resources get no Context."""


async def remember_call(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: expose the state and the request to resource readers (same task as the handler)."""
    token = current_call.set((ctx.lifespan_context, ctx.request))
    try:
        return await call_next(ctx)
    finally:
        current_call.reset(token)


def trace_uri(trace_id: str) -> str:
    """The resource of one trace."""
    return f"{TRACES_URI}/{trace_id}"


class ResourceWatch:
    """Who listens for which resource, and telling them when it changes."""

    def __init__(self, bus: SubscriptionBus) -> None:
        self.bus = bus
        self._legacy: dict[str, list[ServerSession]] = {}

    async def subscribe(self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        """``resources/subscribe`` (handshake-era clients)."""
        sessions = self._legacy.setdefault(str(params.uri), [])
        if all(s is not ctx.session for s in sessions):
            sessions.append(ctx.session)
        return EmptyResult()

    async def unsubscribe(self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams) -> EmptyResult:
        """``resources/unsubscribe``."""
        sessions = self._legacy.get(str(params.uri), [])
        self._legacy[str(params.uri)] = [s for s in sessions if s is not ctx.session]
        return EmptyResult()

    async def changed(self, uri: str) -> None:
        """Tell every subscriber of ``uri`` (both eras) to read it again."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for session in list(self._legacy.get(uri, ())):
            try:
                await session.send_resource_updated(uri)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
                # The client went away without unsubscribing; forget its subscriptions.
                self._legacy[uri] = [s for s in self._legacy.get(uri, ()) if s is not session]

    async def follow(self, events: Callable[[], Any]) -> None:
        """Turn the daemon's live events into resource notifications, reconnecting with backoff."""
        delay = 1.0
        while True:
            try:
                async for event in events():
                    delay = 1.0
                    for uri in uris_for(event):
                        await self.changed(uri)
            except SwitchboardError as exc:
                log.debug("daemon events unavailable (%s); retrying in %.0fs", exc.message, delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, 60.0)


def uris_for(event: Event) -> list[str]:
    """The resources a daemon event changes."""
    if event.type == "matrix":
        return [MATRIX_URI]
    if event.type == "budget":
        return [BUDGET_URI]
    if event.type == "trace":
        trace_id = event.data.get("id") or event.data.get("trace_id")
        return [TRACES_URI, trace_uri(str(trace_id))] + ([BUDGET_URI] if event.data.get("cost_usd") else [])
    return []


def _dump(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=1)


def _failed(what: str, exc: SwitchboardError) -> ResourceError:
    return ResourceError(f"could not read {what}: {exc.code}: {exc.message} Next: {next_step(exc)}")


def _client() -> DaemonClient:
    call = current_call.get()
    if call is None:
        raise ResourceError("resources can only be read inside an MCP request")
    state, request = call
    return state.access.client(request)


def register_resources(server: MCPServer[Any]) -> None:
    """Add the matrix, budget, recent-traces and per-trace resources to ``server``."""
    client = _client

    @server.resource(MATRIX_URI, name="routing-matrix", mime_type="application/json",
                     description="Switchboard's routing matrix: quality per task type, complexity band and model.")
    async def matrix() -> str:
        try:
            info = await client().matrix()
        except SwitchboardError as exc:
            raise _failed("the routing matrix", exc) from None
        return _dump(info.model_copy(update={"cells": info.cells[:MAX_MATRIX_CELLS]}))

    @server.resource(BUDGET_URI, name="my-budget", mime_type="application/json",
                     description="Your budget: spend, limit, thresholds and what the router does next.")
    async def budget() -> str:
        try:
            return _dump(await client().budget())
        except SwitchboardError as exc:
            raise _failed("your budget", exc) from None

    @server.resource(TRACES_URI, name="recent-traces", mime_type="application/json",
                     description="Your 20 most recent requests through Switchboard.")
    async def recent() -> str:
        try:
            return _dump(await client().traces(limit=20))
        except SwitchboardError as exc:
            raise _failed("your traces", exc) from None

    @server.resource(TRACE_URI_TEMPLATE, name="trace", mime_type="application/json",
                     description="One request: decision, attempts, tokens, cost, outcome and ratings.")
    async def trace(trace_id: str) -> str:
        try:
            detail = await client().trace(trace_id)
        except SwitchboardError as exc:
            raise _failed(f"trace {trace_id}", exc) from None
        cut = {k: (getattr(detail, k) or "")[:MAX_TEXT_EXCERPT] or None for k in ("prompt", "answer")}
        return _dump(detail.model_copy(update=cut))
