"""The steps of a request's path through the daemon: admit, guard, decide, reserve, attempt, settle, record
(DESIGN.md §3). ``daemon.core.lifecycle`` runs one request through them (``execute``, ``execute_stream``);
the strategies that make several calls (``daemon.core.strategies``) are built on them:

    ctx = admit(services, developer, surface=..., requested_model=..., traceparent=...)
    request = await guard(services, ctx, request, retrieved=...)    # injection scan (flag or block)
    plan = await decide(services, ctx, routing_input(ctx, request))  # budget state + plan_route
    completion = await run_completion(services, ctx, request, plan)  # or: async for batch in run_stream(...)
    record(services, ctx, plan, completion, error)                   # one trace, off the critical path

``run_completion`` and ``run_stream`` redact for the external models on the route (``redact_for``: every
text field that leaves the machine, in whichever format it is sent), reserve the worst case before
calling (``reserve``: among the models the budget can pay for, deciding again when requests in flight
took what a plan counted on), settle the real cost after (every attempt's, a broken one's estimated),
release on a failure or cancel that cost nothing — and do not record a trace, so a strategy (cascade,
consensus) can combine several calls into one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from daemon.budgets import router_state
from daemon.budgets.afford import budget_refusal, headroom
from daemon.config.candidates import hide_key_names
from daemon.core import accounting
from daemon.core.learning import pack_vector
from daemon.core.routing import RoutePlan, RoutingInput, plan_route
from daemon.core.services import Services
from daemon.errors import BudgetExceededError, InvalidRequestError, SwitchboardError
from daemon.gateway import (
    NO_LIMITS,
    CallLimits,
    ChatRequest,
    Completion,
    Event,
    Finish,
    TextDelta,
    estimate_input_tokens,
    worst_case_micros,
)
from daemon.guard import GuardReport, Redactor, redact_values, scan_texts, tool_results
from daemon.router.types import NO_BUDGET
from daemon.store.records import Developer, TraceRecord

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex digits (random, not secret: no system call on the hot path)."""
    return f"{random.getrandbits(128):032x}"


@dataclass
class RequestContext:
    """One request's state through its lifecycle: who and from where, its trace, what the guard did (all
    set at admission), the plan in force and what it holds against its budgets (set as it goes)."""

    developer: Developer
    surface: str
    requested_model: str
    trace_id: str
    traceparent: str
    """The W3C traceparent sent to providers: the caller's trace id, our span."""
    priority: str = "normal"
    started: float = field(default_factory=time.time)
    t0: float = field(default_factory=time.perf_counter)
    guard: GuardReport = field(default_factory=GuardReport)
    prompt_text: str = ""
    """The request's text as the trace may keep it (before redaction for storage)."""
    plan: RoutePlan | None = None
    """The plan in force: ``decide``'s, or the one ``reserve`` stepped down to."""
    claim: int | None = None
    """Micro-dollars reserved against the request's budgets and not yet settled (None: nothing is held,
    or no budget applies): ``claim`` sets it, ``settle``/``close``/``release`` clear it, and the calls
    in between are held to it without asking the ledger again."""

    def elapsed_ms(self) -> float:
        """Milliseconds since admission."""
        return (time.perf_counter() - self.t0) * 1000


def admit(services: Services, developer: Developer, *, surface: str, requested_model: str = "auto",
          priority: str = "normal", traceparent: str | None = None) -> RequestContext:
    """Give a request its trace id (reusing an incoming W3C ``traceparent``'s) and its context."""
    match = _TRACEPARENT.match(traceparent.strip().lower()) if traceparent else None
    trace_id = match.group(1) if match and match.group(1) != "0" * 32 else new_trace_id()
    flags = match.group(3) if match else "01"
    return RequestContext(
        developer=developer, surface=surface, requested_model=requested_model or "auto", trace_id=trace_id,
        traceparent=f"00-{trace_id}-{random.getrandbits(64):016x}-{flags}", priority=priority,
    )


async def guard(services: Services, ctx: RequestContext, request: ChatRequest,
                retrieved: list[tuple[str, str]] | None = None) -> ChatRequest:
    """Scan tool results and retrieved content for prompt injection: findings go into the trace, and
    ``InvalidRequestError`` is raised when the config says block. (Redaction happens once the route is
    known, for the models on it that are external: ``redact_for``.)"""
    settings = services.settings.guard
    if settings.injection == "off":
        return request
    items = tool_results(request.messages) + list(retrieved or ())
    findings = await scan_texts(services.scans, items, timeout=settings.scan_timeout) if items else []
    if findings:
        ctx.guard.findings.extend(findings)
        ctx.guard.action = settings.injection
        if settings.injection == "block":
            kinds = ", ".join(sorted({f.kind for f in findings}))
            raise InvalidRequestError(
                f"the guard blocked this request: prompt injection ({kinds}) in "
                f"{findings[0].where}; remove it, or set guard.injection = \"flag\" to let it through",
                details={"trace_id": ctx.trace_id},
            )
    return request


def _outgoing(request: ChatRequest) -> dict[str, Any]:
    """Every field of ``request`` whose text a provider receives, in whatever format it is sent: the
    messages, tool definitions and choice, response format, sampling parameters (stop sequences,
    ``user``, ``metadata``...), the fill-in-the-middle prompt, an answer prefill."""
    return {
        "messages": list(request.messages), "tools": list(request.tools), "tool_choice": request.tool_choice,
        "response_format": request.response_format, "params": request.params, "prefill": request.prefill,
        "fim": None if request.fim is None else [request.fim.prefix, request.fim.suffix],
    }


async def redact_for(services: Services, ctx: RequestContext, request: ChatRequest,
                     route: Sequence[str]) -> ChatRequest:
    """Attach the redacted twin of ``request`` that the external models on ``route`` get (secrets and PII
    replaced in every field that leaves the machine, and in the caller's own body forwarded to a
    provider of its format); counts per kind go into the trace. Nothing to do when every model is local."""
    settings = services.settings.guard
    if request.external is not None or not (settings.redact_secrets or settings.redact_pii):
        return request
    models = services.settings.models
    if not any(models[n].is_external for n in services.gateway.expand(route) if n in models):
        return request
    # A continuation's prefill (the answer so far, from another model) is redacted when it is added.
    request = replace(request, redact_text=Redactor(secrets=settings.redact_secrets, pii=settings.redact_pii).text)
    values: list[Any] = [_outgoing(request)]
    if request.native is not None:
        values.append(request.native.body)
    redacted = await redact_values(services.scans, values, secrets=settings.redact_secrets,
                                   pii=settings.redact_pii, timeout=settings.scan_timeout)
    # The caller's own body holds the same text again: each secret is counted once.
    counts: Counter[str] = Counter()
    for _, found in redacted:
        for kind, count in found.items():
            counts[kind] = max(counts[kind], count)
    if not counts:
        return request
    fields = redacted[0][0]
    external = replace(
        request, messages=tuple(fields["messages"]), tools=tuple(fields["tools"]), tool_choice=fields["tool_choice"],
        response_format=fields["response_format"], params=fields["params"], prefill=fields["prefill"],
        fim=None if fields["fim"] is None else replace(request.fim, prefix=fields["fim"][0], suffix=fields["fim"][1]),
        native=None if request.native is None else replace(request.native, body=redacted[1][0]),
    )
    for kind, count in counts.items():
        ctx.guard.redacted[kind] = max(ctx.guard.redacted[kind], count)
    return replace(request, external=external)


async def decide(services: Services, ctx: RequestContext, routing: RoutingInput) -> RoutePlan:
    """The budget state, then the router's plan for this request among the models its budgets can pay for
    (``BudgetExceededError``, with the real figures, when a budget is used up or none fits)."""
    found = await accounting.current_figures(services, ctx.developer)
    try:
        if not found:
            plan = plan_route(services, routing, NO_BUDGET)
        else:
            for f in found:
                if f.used_up:
                    raise budget_refusal(f)
            plan = plan_route(services, routing, router_state(found), room=headroom(found))
    except SwitchboardError as exc:
        if not ctx.developer.is_admin:
            hide_key_names(exc)  # why a model is unusable, without naming the owner's key variables
        raise
    ctx.plan = plan
    return plan


REPLANS = 8
"""Times a request decides again when other requests reserved what its plan counted on (each time among
fewer, cheaper models), before it is refused."""


async def reserve(services: Services, ctx: RequestContext, request: ChatRequest, routing: RoutingInput,
                  plan: RoutePlan, max_cost_usd: float | None = None) -> RoutePlan:
    """Reserve the worst case of ``plan``'s route. When requests in flight took what it counted on (the
    store refuses, and says what is left), decide again within what is left: a step down, not a refusal,
    while even the cheapest model that could serve the request still fits. Returns the plan reserved for."""
    for _ in range(REPLANS):
        try:
            await _reserve(services, ctx, request, plan, max_cost_usd)
            ctx.plan = plan
            return plan
        except BudgetExceededError as exc:
            if "budget" not in exc.details:
                raise  # the request's own max_cost_usd, not a budget: deciding again changes nothing
        plan = await decide(services, ctx, routing)
    await _reserve(services, ctx, request, plan, max_cost_usd)
    ctx.plan = plan
    return plan


def routing_input(ctx: RequestContext, request: ChatRequest, *, task_hint: str | None = None,
                  wants_json: bool | None = None) -> RoutingInput:
    """The routing step's view of a gateway request."""
    fmt = (request.response_format or {}).get("type")
    return RoutingInput(
        messages=request.messages, requested_model=ctx.requested_model, surface=ctx.surface,
        max_output_tokens=request.max_tokens, priority=ctx.priority, task_hint=task_hint,
        has_tools=bool(request.tools), tool_count=len(request.tools or ()), wants_json=fmt in ("json_object", "json_schema") if wants_json is None else wants_json,
        is_fim=request.fim is not None, input_tokens=estimate_input_tokens(request), chat=request,
    )


def _worst(services: Services, request: ChatRequest, plan: RoutePlan) -> int | None:
    """The most ``request`` can cost along ``plan``'s route: the dearest model the gateway may fail over to
    (a failover must not settle more than was reserved). None when no model on it is configured."""
    known = services.settings.models
    models = [known[name] for name in services.gateway.expand(plan.route, plan.skip) if name in known]
    if not models:
        return None
    tokens = estimate_input_tokens(request)
    return max(worst_case_micros(model, tokens, request.max_tokens) for model in models)


async def _reserve(services: Services, ctx: RequestContext, request: ChatRequest, plan: RoutePlan,
                   max_cost_usd: float | None = None) -> None:
    worst = _worst(services, request, plan)
    if worst is None:
        return
    if max_cost_usd is not None and worst > max_cost_usd * 1_000_000:
        raise BudgetExceededError(
            f"this request could cost up to ${worst / 1e6:.4f} on {plan.chosen}, above its max_cost_usd of "
            f"${max_cost_usd:g}; raise max_cost_usd, lower max_tokens, or pick a cheaper model",
            details={"trace_id": ctx.trace_id},
        )
    await claim(services, ctx, worst)


async def claim(services: Services, ctx: RequestContext, worst_micros: int) -> None:
    """Reserve ``worst_micros`` against every budget the request counts toward (``BudgetExceededError``
    when one cannot take it); the request holds the claim until it is settled, closed or released."""
    ctx.claim = await accounting.reserve(services, ctx.developer, ctx.trace_id, worst_micros)


async def settle(services: Services, ctx: RequestContext, cost_micros: int) -> None:
    """Settle the request's claim with what its attempts cost."""
    await accounting.settle(services, ctx.trace_id, cost_micros)
    ctx.claim = None


async def close(services: Services, ctx: RequestContext, spent_micros: int) -> None:
    """End a request that did not finish: charge what its attempts cost, or release the claim when nothing."""
    await accounting.close(services, ctx.trace_id, spent_micros)
    ctx.claim = None


async def release(services: Services, ctx: RequestContext) -> None:
    """Give the request's whole claim back (its calls failed or were cancelled)."""
    await accounting.release(services, ctx.trace_id)
    ctx.claim = None


async def run_completion(services: Services, ctx: RequestContext, request: ChatRequest, plan: RoutePlan, *,
                         stream: bool = False, extra_headers: dict[str, str] | None = None,
                         max_cost_usd: float | None = None, reserve: bool = True) -> Completion:
    """Run one routed request to the end: reserve, call along ``plan.route`` with retries and failover,
    settle (or release). Returns text, finish reason, tool calls, logprobs, usage, cost and attempts;
    raises the deciding ``SwitchboardError`` (the ``Completion`` passed in keeps the attempts).

    Records no trace: the caller does, once per request, with ``record``. ``reserve=False`` lets a
    strategy that makes several calls reserve once under the trace id itself.
    """
    completion = Completion()
    return await run_into(services, ctx, request, plan, completion, stream=stream, extra_headers=extra_headers,
                          max_cost_usd=max_cost_usd, reserve=reserve)


async def run_into(services: Services, ctx: RequestContext, request: ChatRequest, plan: RoutePlan,
                   completion: Completion, *, stream: bool = False, extra_headers: dict[str, str] | None = None,
                   max_cost_usd: float | None = None, reserve: bool = True, reserved: bool = False) -> Completion:
    """``run_completion`` filling a ``Completion`` the caller holds (so attempts survive an error).

    ``reserved=True``: ``reserve`` already reserved for this request; it is settled (or released) here."""
    request = _with_traceparent(await redact_for(services, ctx, request, plan.route), ctx)
    owner = reserve or reserved
    if reserve and not reserved:
        await _reserve(services, ctx, request, plan, max_cost_usd)
    limits = _limits(services, ctx, request, plan, owner)
    try:
        await services.gateway.complete(request, plan.route, completion, stream=stream, extra_headers=extra_headers,
                                        limits=limits)
    except BaseException:
        if owner:
            await close(services, ctx, completion.cost_micros)
        raise
    if owner:
        await settle(services, ctx, completion.cost_micros)
    return completion


def _limits(services: Services, ctx: RequestContext, request: ChatRequest, plan: RoutePlan, owner: bool) -> CallLimits:
    """What this call may take: its surface's first-byte limit, and, when a budget applies, only the
    models it can pay for and no more than was reserved (a strategy's calls: each its own route's worst)."""
    allowance = None if ctx.claim is None else ctx.claim if owner else _worst(services, request, plan)
    first = services.settings.gateway.surface_first_token_timeout.get(ctx.surface)
    if first is None and allowance is None and not plan.skip:
        return NO_LIMITS
    return CallLimits(first_token_timeout=first, skip=plan.skip, allowance_micros=allowance)


async def run_stream(services: Services, ctx: RequestContext, request: ChatRequest, plan: RoutePlan,
                     completion: Completion, *, extra_headers: dict[str, str] | None = None,
                     max_cost_usd: float | None = None, stream: bool = True,
                     reserved: bool = False) -> AsyncIterator[list[Event]]:
    """The streaming form of ``run_completion``: batches of events as they come; ``completion`` collects the rest."""
    request = _with_traceparent(await redact_for(services, ctx, request, plan.route), ctx)
    if not reserved:
        await _reserve(services, ctx, request, plan, max_cost_usd)
    settled = False
    text: list[str] = []
    try:
        # Closed before the reservation is: an attempt cut short by the caller records what it cost first.
        async with contextlib.aclosing(services.gateway.stream(
                request, plan.route, completion, stream=stream, extra_headers=extra_headers,
                limits=_limits(services, ctx, request, plan, True))) as events:
            async for batch in events:
                for event in batch:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                    elif isinstance(event, Finish):
                        completion.text = "".join(text)
                        await settle(services, ctx, completion.cost_micros)
                        settled = True
                yield batch
    finally:
        if not settled:
            completion.text = "".join(text)
            await close(services, ctx, completion.cost_micros)


def _with_traceparent(request: ChatRequest, ctx: RequestContext) -> ChatRequest:
    if request.traceparent == ctx.traceparent:
        return request
    request = replace(request, traceparent=ctx.traceparent)
    if request.external is not None:
        request = replace(request, external=replace(request.external, traceparent=ctx.traceparent))
    return request


_CUT_MARGIN = 8192
"""Characters read past a trace's cap so a secret straddling the cap is seen whole by the redactor
(longer than any secret pattern, a PEM private key included)."""


def _text_fields(mode: str, text: str, redact: bool, cap: int) -> tuple[str | None, str | None, int]:
    if mode == "none":
        return None, None, len(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if mode == "hash":
        return None, digest, len(text)
    # "redacted": what is kept has secrets and PII replaced, whatever model answered.
    return _kept(text, redact, cap), digest, len(text)


def _kept(text: str, redact: bool, cap: int) -> str:
    """At most ``cap`` characters of ``text`` (redacted), with a note of how much was cut.

    Long text is cut before it is redacted (redacting megabytes only to keep kilobytes would cost the
    loop for nothing), ``_CUT_MARGIN`` past the cap; what the redactor then leaves unchanged at the
    end of that piece is the original's end, where a secret cut in two may sit unrecognised, so the
    last ``_CUT_MARGIN`` characters of the redacted piece are dropped as well.
    """
    if len(text) <= cap:
        return Redactor().text(text) if redact else text
    piece = text[:cap + _CUT_MARGIN]
    if redact:
        piece = Redactor().text(piece)
    kept = piece[:max(0, min(cap, len(piece) - _CUT_MARGIN))]
    return f"{kept}\n[... cut: the trace keeps {len(kept)} of {len(text)} characters]"


def record(services: Services, ctx: RequestContext, plan: RoutePlan | None, completion: Completion,
           error: BaseException | None, *, outcome: str | None = None, escalated: bool = False,
           answer_text: str | None = None) -> None:
    """Submit the request's one trace (batched by the trace writer, off the critical path).

    The record is built on the next turn of the event loop, after the handler has handed its answer
    to the transport, so redacting the kept text never delays the caller.
    """
    latency_ms = ctx.elapsed_ms()
    services.traces.expect(ctx.trace_id)
    asyncio.get_running_loop().call_soon(
        _submit, services, ctx, plan, completion, error, outcome, escalated, answer_text, latency_ms)


def _submit(services: Services, ctx: RequestContext, plan: RoutePlan | None, completion: Completion,
            error: BaseException | None, outcome: str | None, escalated: bool, answer_text: str | None,
            latency_ms: float) -> None:
    mode = services.settings.traces.store_prompts
    cap = services.settings.traces.max_stored_chars
    prompt, prompt_hash, prompt_chars = _text_fields(mode, ctx.prompt_text, True, cap)
    answer_raw = completion.text if answer_text is None else answer_text
    answer, answer_hash, answer_chars = _text_fields(mode, answer_raw, True, cap)
    if outcome is None:
        if error is None:
            outcome = "ok"
        elif isinstance(error, SwitchboardError):
            outcome = "refused" if not completion.attempts else "error"
        else:
            outcome = "cancelled"
    code = error.code if isinstance(error, SwitchboardError) else ("cancelled" if error is not None else None)
    message = error.message if isinstance(error, SwitchboardError) else (
        "the caller went away before the answer was finished" if error is not None else None)
    usage = completion.usage
    input_tokens, output_tokens = usage.input_tokens, usage.output_tokens
    if len(completion.attempts) > 1:
        # What was billed: every attempt's tokens (a broken one's estimated), not only the one that answered.
        input_tokens = sum(a.input_tokens for a in completion.attempts)
        output_tokens = sum(a.output_tokens for a in completion.attempts)
    services.traces.submit(
        TraceRecord(
            id=ctx.trace_id,
            developer_id=ctx.developer.id,
            surface=ctx.surface,
            created_at=ctx.started,
            outcome=outcome,
            latency_ms=latency_ms,
            requested_model=ctx.requested_model,
            chosen_model=plan.chosen if plan else None,
            answered_model=completion.model,
            task_type=plan.task_type if plan else None,
            complexity=plan.complexity if plan else None,
            policy=plan.policy if plan else None,
            matrix_version=plan.matrix_version if plan else None,
            reason=plan.reason if plan else None,
            decision=_decision(plan),
            ttft_ms=completion.ttft_ms,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=usage.cached_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_micros=completion.cost_micros,
            error_code=code,
            error_message=message,
            prompt=prompt,
            prompt_hash=prompt_hash,
            prompt_chars=prompt_chars,
            answer=answer,
            answer_hash=answer_hash,
            answer_chars=answer_chars,
            guard=ctx.guard.as_trace(),
            fallback_used=bool(plan and completion.model and completion.model != plan.chosen),
            escalated=escalated,
            embedding=pack_vector(plan.embedding) if plan is not None and plan.embedding is not None else None,
            difficulty=plan.difficulty if plan else None,
            attempts=tuple(completion.attempts),
        )
    )


def _decision(plan: RoutePlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    if plan.decision:
        return plan.decision
    return {"model": plan.chosen, "fallbacks": list(plan.fallbacks), "policy": plan.policy,
            "policy_kind": plan.policy_kind, "reason": plan.reason}


def prompt_text_of(request: ChatRequest) -> str:
    """The request's text for the trace: every message's text, or the FIM prefix and suffix."""
    if request.fim is not None and not request.messages:
        return request.fim.prefix + "<CURSOR>" + request.fim.suffix
    parts = []
    for message in request.messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p)
        if content:
            parts.append(f"{message.get('role', 'user')}: {content}")
    return "\n".join(parts)
