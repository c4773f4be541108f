"""A request's path through the daemon: admit, decide, execute, account, record (DESIGN.md §3)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from daemon.api.wire import AskRequest, AskResponse
from daemon.candidates import availability
from daemon.errors import InvalidRequestError, NoRouteError, SwitchboardError
from daemon.gateway import ChatRequest, Completion
from daemon.services import Services
from daemon.store.records import Developer, TraceRecord, micros_to_usd


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex digits."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Route:
    """The models to try, in order, and why."""

    chosen: str
    fallbacks: tuple[str, ...]
    reason: str
    policy: str


def decide_placeholder(services: Services, requested: str) -> Route:
    """Cheapest usable model (the real router replaces this); a pinned model is honoured."""
    settings = services.settings
    usable = {name: reason for name, reason in availability(settings).items()}
    if requested not in ("auto", "") and not requested.startswith("auto:"):
        if requested not in settings.models:
            raise InvalidRequestError(
                f"unknown model {requested!r}; use 'auto' or one of: {', '.join(sorted(settings.models))}"
            )
        if usable[requested] is not None:
            raise NoRouteError(f"model {requested!r} cannot be used: {usable[requested]}")
        model = settings.models[requested]
        fallbacks = tuple(f for f in model.fallbacks if usable.get(f) is None)
        return Route(requested, fallbacks, f"pinned to {requested}", "pinned")
    ok = [name for name, reason in usable.items() if reason is None]
    if not ok:
        why = "; ".join(f"{n}: {r}" for n, r in usable.items()) or "no models are configured"
        raise NoRouteError(f"no model can serve this request: {why}")

    def price(name: str) -> tuple[float, str]:
        m = settings.models[name]
        return (m.input_usd_per_mtok + m.output_usd_per_mtok, name)

    ranked = sorted(ok, key=price)
    chosen = ranked[0]
    return Route(chosen, tuple(ranked[1:3]), f"cheapest usable model: {chosen}", "cheapest")


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
    route: Route | None = None
    completion = Completion()
    try:
        route = decide_placeholder(services, request.model)
        completion = await services.gateway.complete(
            ChatRequest(tuple(messages), max_tokens=request.max_tokens, traceparent=f"00-{trace_id}-{secrets.token_hex(8)}-01"),
            (route.chosen, *route.fallbacks),
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
    route: Route | None,
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
