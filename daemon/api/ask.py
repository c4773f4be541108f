"""``POST /api/ask``: route and run one prompt, whole or streamed (delta, done, error events)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.api.http import TRACE_HEADER, developer_of, json_response, parse_body, services_of
from daemon.api.streaming import EventStream, sse, unless_disconnected
from daemon.core import lifecycle, pipeline
from daemon.core.routing import RoutePlan
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest, Completion, Event, TextDelta
from daemon.store.records import micros_to_usd
from daemon.wire import AskRequest, AskResponse


def chat_request(body: AskRequest) -> tuple[ChatRequest, list[tuple[str, str]]]:
    """The gateway request for an ask, and its files as retrieved content for the injection scan."""
    messages: list[dict[str, str]] = []
    if body.system:
        messages.append({"role": "system", "content": body.system})
    context = "".join(f"File: {f.path}\n```\n{f.content}\n```\n\n" for f in body.files)
    messages.append({"role": "user", "content": context + body.prompt})
    retrieved = [(f"files[{i}] ({f.path})", f.content) for i, f in enumerate(body.files)]
    return ChatRequest(tuple(messages), max_tokens=body.max_tokens), retrieved


def ask_response(ctx: pipeline.RequestContext, plan: RoutePlan, completion: Completion, simulated: bool) -> AskResponse:
    """The answer and what it cost."""
    return AskResponse(
        trace_id=ctx.trace_id, answer=completion.text, model=completion.model or "",
        input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
        cost_usd=micros_to_usd(completion.cost_micros), latency_ms=round(ctx.elapsed_ms(), 1), reason=plan.reason,
        simulated=simulated,
    )


async def ask(request: Request) -> Response:
    """Route and run one prompt; with ``stream=true`` the answer comes as server-sent events."""
    services = services_of(request)
    body = await parse_body(request, AskRequest)
    ctx = pipeline.admit(services, developer_of(request), surface=body.surface, requested_model=body.model,
                         priority=body.priority, traceparent=request.headers.get("traceparent"))
    chat, retrieved = chat_request(body)
    ctx.prompt_text = pipeline.prompt_text_of(chat)
    try:
        chat = await pipeline.guard(services, ctx, chat, retrieved)
    except SwitchboardError as exc:
        pipeline.record(services, ctx, None, Completion(), exc)
        raise
    routing = pipeline.routing_input(ctx, chat, task_hint=body.task_type)
    if not body.stream:
        plan, completion = await lifecycle.execute(services, ctx, chat, routing, max_cost_usd=body.max_cost_usd)
        return json_response(ask_response(ctx, plan, completion, services.simulated),
                             headers={TRACE_HEADER: ctx.trace_id})
    plan, completion, first, rest = await unless_disconnected(request, lifecycle.execute_stream(
        services, ctx, chat, routing, max_cost_usd=body.max_cost_usd))

    async def chunks() -> AsyncIterator[bytes]:
        try:
            batch: list[Event] | None = first
            while batch is not None:
                out = b"".join(sse({"type": "delta", "text": e.text}, "delta") for e in batch if isinstance(e, TextDelta))
                if out:
                    yield out
                batch = await anext(rest, None)
            done = ask_response(ctx, plan, completion, services.simulated).model_dump()
            yield sse({"type": "done", **done}, "done")
        except SwitchboardError as exc:
            yield sse({"type": "error", **exc.to_payload()}, "error")
        finally:
            await rest.aclose()

    return EventStream(chunks(), headers={TRACE_HEADER: ctx.trace_id})  # type: ignore[return-value]


routes = [Route("/api/ask", ask, methods=["POST"])]
