"""One request through the steps of ``daemon.core.pipeline``, with the strategy its plan names.

    ctx = pipeline.admit(...); request = await pipeline.guard(...)          # the caller (an API handler, a job)
    plan, completion = await execute(services, ctx, request, routing)      # decide → reserve → attempt(s) → settle → record

``execute`` serves a cascade plan through ``daemon.core.strategies`` (several attempts under one
reservation) and any other plan with one routed call; ``execute_stream`` streams one routed call. Both
record the request's one trace, errors included. The strategies build on the pipeline's steps and never
on this module, so nothing below imports it back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from daemon.core import pipeline
from daemon.core.pipeline import RequestContext
from daemon.core.routing import RoutePlan, RoutingInput
from daemon.core.services import Services
from daemon.core.strategies import run_cascade
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest, Completion, Event


async def execute(services: Services, ctx: RequestContext, request: ChatRequest, routing: RoutingInput, *,
                  stream: bool = False, extra_headers: dict[str, str] | None = None,
                  max_cost_usd: float | None = None) -> tuple[RoutePlan, Completion]:
    """Decide, run and record one non-streamed request; errors carry the trace id and are recorded too."""
    plan: RoutePlan | None = None
    completion = Completion()
    escalated = False
    try:
        plan = await pipeline.decide(services, ctx, routing)
        if plan.policy_kind == "cascade" and plan.decision.get("escalation"):
            outcome = await run_cascade(services, ctx, request, plan, max_cost_usd=max_cost_usd)
            completion, escalated = outcome.completion, outcome.escalated
            plan = replace(plan, reason=f"{plan.reason}; {outcome.reason}")
        else:
            plan = await pipeline.reserve(services, ctx, request, routing, plan, max_cost_usd)
            await pipeline.run_into(services, ctx, request, plan, completion, stream=stream,
                                    extra_headers=extra_headers, reserved=True)
    except SwitchboardError as exc:
        exc.details.setdefault("trace_id", ctx.trace_id)
        pipeline.record(services, ctx, plan, completion, exc)
        raise
    pipeline.record(services, ctx, plan, completion, None, escalated=escalated)
    return plan, completion


async def execute_stream(services: Services, ctx: RequestContext, request: ChatRequest, routing: RoutingInput, *,
                         extra_headers: dict[str, str] | None = None, max_cost_usd: float | None = None,
                         ) -> tuple[RoutePlan, Completion, list[Event], AsyncIterator[list[Event]]]:
    """Decide and start one streamed request, up to its first batch of events.

    Everything that fails before the first event raises here (the caller answers with a plain HTTP
    error, the failover having been invisible); after it, the returned iterator yields the rest and
    records the trace when it ends, is closed, or is cancelled.
    """
    completion = Completion()
    plan: RoutePlan | None = None
    try:
        plan = await pipeline.decide(services, ctx, routing)
        plan = await pipeline.reserve(services, ctx, request, routing, plan, max_cost_usd)
    except SwitchboardError as exc:
        exc.details.setdefault("trace_id", ctx.trace_id)
        pipeline.record(services, ctx, plan, completion, exc)
        raise
    # Nothing awaits between the reservation and the stream's start, whose end settles or releases it.
    events = _traced(services, ctx, plan, completion,
                     pipeline.run_stream(services, ctx, request, plan, completion, extra_headers=extra_headers, reserved=True))
    try:
        first = await anext(events)
    except SwitchboardError as exc:
        exc.details.setdefault("trace_id", ctx.trace_id)
        raise
    return plan, completion, first, events


async def _traced(services: Services, ctx: RequestContext, plan: RoutePlan, completion: Completion,
                  events: AsyncIterator[list[Event]]) -> AsyncIterator[list[Event]]:
    error: BaseException | None = None
    try:
        async for batch in events:
            yield batch
    except BaseException as exc:
        error = exc
        if isinstance(exc, SwitchboardError):
            exc.details.setdefault("trace_id", ctx.trace_id)
        raise
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
        pipeline.record(services, ctx, plan, completion, error)
