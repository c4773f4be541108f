"""A request's path through the daemon: admit, decide, execute, account, record (DESIGN.md §3)."""

from __future__ import annotations

import hashlib
import secrets
import time

from daemon import accounting
from daemon.api.wire import AskRequest, AskResponse
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest, Completion
from daemon.routing import RoutePlan, RoutingInput, plan_route
from daemon.services import Services
from daemon.store.records import Developer, TraceRecord, micros_to_usd


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex digits."""
    return secrets.token_hex(16)


def _text_fields(settings_mode: str, text: str) -> tuple[str | None, str | None, int]:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if settings_mode == "none":
        return None, None, len(text)
    if settings_mode == "hash":
        return None, digest, len(text)
    return text, digest, len(text)


async def ask(services: Services, developer: Developer, request: AskRequest) -> AskResponse:
    """Route and run one prompt; record its trace whatever happens."""
    trace_id = new_trace_id()
    started = time.time()
    t0 = time.perf_counter()
    messages: list[dict[str, str]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.append({"role": "user", "content": request.prompt})
    route: RoutePlan | None = None
    completion = Completion()
    try:
        budget = await accounting.budget_state(services, developer)
        route = plan_route(
            services,
            RoutingInput(
                messages=tuple(messages), requested_model=request.model, surface=request.surface,
                max_output_tokens=request.max_tokens, priority=request.priority, task_hint=request.task_type,
            ),
            budget,
        )
        completion = await services.gateway.complete(
            ChatRequest(tuple(messages), max_tokens=request.max_tokens, traceparent=f"00-{trace_id}-{secrets.token_hex(8)}-01"),
            route.route,
        )
        if completion.error is not None:
            raise completion.error
    except SwitchboardError as exc:
        exc.details.setdefault("trace_id", trace_id)
        _record(services, developer, request, trace_id, started, t0, route, completion, exc)
        raise
    _record(services, developer, request, trace_id, started, t0, route, completion, None)
    return AskResponse(
        trace_id=trace_id,
        answer=completion.text,
        model=completion.model or "",
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        cost_usd=micros_to_usd(completion.cost_micros),
        latency_ms=(time.perf_counter() - t0) * 1000,
        reason=route.reason if route else None,
        simulated=services.simulated,
    )


def _record(
    services: Services,
    developer: Developer,
    request: AskRequest,
    trace_id: str,
    started: float,
    t0: float,
    route: RoutePlan | None,
    completion: Completion,
    error: SwitchboardError | None,
) -> None:
    mode = services.settings.traces.store_prompts
    prompt, prompt_hash, prompt_chars = _text_fields(mode, request.prompt)
    answer, answer_hash, answer_chars = _text_fields(mode, completion.text)
    outcome = "ok" if error is None else ("refused" if completion.attempts == [] else "error")
    services.traces.submit(
        TraceRecord(
            id=trace_id,
            developer_id=developer.id,
            surface=request.surface,
            created_at=started,
            outcome=outcome,
            latency_ms=(time.perf_counter() - t0) * 1000,
            requested_model=request.model,
            chosen_model=route.chosen if route else None,
            answered_model=completion.model,
            policy=route.policy if route else None,
            reason=route.reason if route else None,
            decision={"chosen": route.chosen, "fallbacks": list(route.fallbacks)} if route else None,
            ttft_ms=completion.ttft_ms,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cost_micros=completion.cost_micros,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            prompt=prompt,
            prompt_hash=prompt_hash,
            prompt_chars=prompt_chars,
            answer=answer,
            answer_hash=answer_hash,
            answer_chars=answer_chars,
            fallback_used=bool(route and completion.model and completion.model != route.chosen),
            attempts=tuple(completion.attempts),
        )
    )
