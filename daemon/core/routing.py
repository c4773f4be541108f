"""The routing step at the I/O edge: build candidates from config and live health, ask the pure
router (``daemon.router.engine.decide``) for a decision, and hand the request path a ``RoutePlan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from daemon.budgets import usd
from daemon.budgets.afford import Headroom, budget_refusal, cheapest, unaffordable
from daemon.config.aliases import ResolvedModel
from daemon.config.aliases import resolve as resolve_model
from daemon.config.candidates import availability
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, ModelUnavailableError, NoRouteError, SwitchboardError
from daemon.gateway import ChatRequest, worst_case_micros
from daemon.gateway.honour import needs_check, unable
from daemon.router.engine import decide
from daemon.router.prompt import messages_from_wire
from daemon.router.types import BudgetState, Candidate, Decision, RouteRequest, TaskType, Tier


@dataclass(frozen=True)
class RoutingInput:
    """What the routing step needs to know about a request, whatever surface it came from."""

    messages: tuple[dict[str, Any], ...]
    requested_model: str = "auto"
    surface: str = "api"
    max_output_tokens: int | None = None
    priority: str = "normal"
    task_hint: str | None = None
    has_tools: bool = False
    wants_json: bool = False
    is_fim: bool = False
    input_tokens: int = 0
    tool_count: int = 0
    chat: ChatRequest | None = None
    """The gateway request itself, when there is one: models that cannot honour all of it are left out."""


@dataclass(frozen=True)
class RoutePlan:
    """The models to try, in order, and everything the trace records about why."""

    chosen: str
    fallbacks: tuple[str, ...]
    reason: str
    policy: str
    policy_kind: str = "complexity"
    matrix_version: int = 0
    task_type: str | None = None
    complexity: float | None = None
    stepped_down: bool = False
    decision: dict[str, Any] = field(default_factory=dict)
    """The decision as a JSON-able dict (``DecisionInfo`` fields), stored in the trace."""
    skip: frozenset[str] = frozenset()
    """Models the request's budget cannot pay for: the gateway never calls them, not even as fallbacks."""
    embedding: Any = None
    """The ask's embedding (None without the embedder): the trace keeps its memory vector, so that
    quality signals arriving later teach the router about prompts like it."""
    difficulty: float | None = None

    @property
    def route(self) -> tuple[str, ...]:
        """Chosen model first, then the fallbacks."""
        return (self.chosen, *self.fallbacks)


def candidates_for(services: Services) -> list[Candidate]:
    """Every configured model as a router candidate, with what only the daemon knows.

    Rebuilt only when the config, a model's health or the live latencies changed: building
    candidates is a measurable share of a request's routing time.
    """
    settings = services.settings
    reasons = availability(settings)
    gateway_health = getattr(services.gateway, "exclusion_reason", None)
    if gateway_health is not None:
        reasons = {name: reason or gateway_health(name) for name, reason in reasons.items()}
    key = (services.latency.version, tuple(reasons.values()))
    cached = services.candidate_cache
    if cached is not None and cached[0] is settings and cached[1] == key:
        return cached[2]
    out = _build_candidates(services, reasons)
    services.candidate_cache = (settings, key, out)
    return out


def _build_candidates(services: Services, reasons: dict[str, str | None]) -> list[Candidate]:
    out = []
    for name, model in services.settings.models.items():
        if model.kind != "chat":
            continue  # an embedding model answers /v1/embeddings only
        reason = reasons[name]
        p50, p95 = services.latency.percentiles(name)
        out.append(
            Candidate(
                name=name, tier=Tier(model.tier), input_usd_per_mtok=model.input_usd_per_mtok,
                output_usd_per_mtok=model.output_usd_per_mtok, context_window=model.context_window,
                capabilities=frozenset(model.capabilities), excluded_reason=reason,
                latency_p50_ms=p50, latency_p95_ms=p95, quality_prior=model.quality,
                fallbacks=model.fallbacks, provider=model.provider,
            )
        )
    return out


def _route_request(services: Services, request: RoutingInput, request_id: str | None
                   ) -> tuple[RouteRequest, ResolvedModel]:
    requested = request.requested_model or "auto"
    resolved = resolve_model(services.settings, requested)
    # Roles as the wire gave them (system, user, assistant, tool results): the router reads the ask.
    messages = messages_from_wire(request.messages)
    route_request = RouteRequest(
        messages=messages, surface=request.surface, policy=resolved.policy,  # type: ignore[arg-type]
        max_output_tokens=request.max_output_tokens, has_tools=request.has_tools, wants_json=request.wants_json,
        is_fim=request.is_fim, priority="critical" if request.priority == "critical" else "normal",
        task_hint=TaskType(request.task_hint) if request.task_hint else None,
        input_tokens=request.input_tokens or None, pinned_model=resolved.pinned, request_id=request_id,
        requested_model=requested, model_hint=resolved.hint, tool_count=request.tool_count,
    )
    return route_request, resolved


def decide_for(services: Services, request: RoutingInput, budget: BudgetState, *, request_id: str | None = None,
               room: Headroom | None = None) -> Decision:
    """The pure router's decision for a request, with the daemon's candidates and matrix; with ``room``
    (what the request's budgets have left), among the models that budget can pay for."""
    return _decide(services, request, budget, request_id, room)[0]


def _decide(services: Services, request: RoutingInput, budget: BudgetState, request_id: str | None,
            room: Headroom | None) -> tuple[Decision, ResolvedModel, frozenset[str]]:
    route_request, resolved = _route_request(services, request, request_id)
    candidates = candidates_for(services)
    if request.chat is not None and needs_check(request.chat):
        candidates = _honouring(services, request.chat, route_request, resolved, candidates)
    try:
        decision, skip = _within_budget(services, request, route_request, candidates, budget, room)
    except NoRouteError as exc:
        raise _lasting(services, route_request, resolved, exc) from None
    return decision, resolved, skip


def _honouring(services: Services, chat: ChatRequest, route_request: RouteRequest, resolved: ResolvedModel,
               candidates: list[Candidate]) -> list[Candidate]:
    """``candidates`` with the models that cannot honour all of ``chat`` left out (``honour.unable``); a 400
    naming the field when the request is pinned to such a model, or when no usable model can honour it."""
    models = services.settings.models
    refusals = {c.name: unable(models[c.name], chat) for c in candidates if c.excluded_reason is None}
    pinned = route_request.pinned_model
    if pinned is not None and (refusal := refusals.get(pinned)) is not None:
        field, why = refusal
        via = f" (the name {resolved.pattern!r} goes to it)" if resolved.pattern else ""
        raise InvalidRequestError(f"{field}: {pinned}{via} {why}; send it to another model or 'auto', or leave "
                                  f"'{field}' out", details={"param": field, "model": pinned})
    if refusals and all(r is not None for r in refusals.values()):
        field = next(r for r in refusals.values() if r is not None)[0]
        raise InvalidRequestError(
            f"{field}: no usable model can honour it: "
            + "; ".join(f"{name} {r[1]}" for name, r in refusals.items() if r is not None),
            details={"param": field})
    if not any(refusals.values()):
        return candidates
    return [replace(c, excluded_reason=refusals[c.name][1]) if refusals.get(c.name) else c  # type: ignore[index]
            for c in candidates]


def _within_budget(services: Services, request: RoutingInput, route_request: RouteRequest,
                   candidates: list[Candidate], budget: BudgetState,
                   room: Headroom | None) -> tuple[Decision, frozenset[str]]:
    """The decision among the models whose worst case for this request fits what its budgets have left
    (a step down when the dearer ones do not), and those left out; ``BudgetExceededError`` with the real
    figures when money alone stands in the way (even the cheapest model that could serve it does not fit)."""
    matrix, settings = services.matrix.matrix, services.settings.routing
    knowledge = services.knowledge.current  # what outcomes taught: read, never awaited
    if room is None:
        return decide(route_request, candidates, matrix, budget, settings, knowledge=knowledge), frozenset()
    models = services.settings.models
    tokens = request.input_tokens or route_request.prompt_tokens
    worst = {c.name: worst_case_micros(models[c.name], tokens, request.max_output_tokens)
             for c in candidates if c.excluded_reason is None}
    dear = unaffordable(worst, room)
    if not dear:
        return decide(route_request, candidates, matrix, budget, settings, knowledge=knowledge), frozenset()
    fitting = [replace(c, excluded_reason=dear[c.name]) if c.name in dear else c for c in candidates]
    try:
        decision = decide(route_request, fitting, matrix, budget, settings, knowledge=knowledge)
    except NoRouteError:
        # Would money alone let it through? Then it is the budget that refuses, and says so with its figures.
        able = [c.model for c in decide(route_request, candidates, matrix, budget, settings, knowledge=knowledge).candidates
                if c.eligible]
        name, cost = cheapest(worst, able) or cheapest(worst, list(dear)) or ("", 0)
        raise budget_refusal(room.binding, cost, name) from None
    reason = (f"within budget ({usd(room.remaining_micros)} left of {room.binding.label}; "
              f"{', '.join(sorted(dear))} could cost more) → {decision.model}; {decision.reason}")
    return replace(decision, reason=reason, stepped_down=True), frozenset(dear)


def _lasting(services: Services, request: RouteRequest, resolved: ResolvedModel, exc: NoRouteError) -> SwitchboardError:
    """The refusal a client should see: a model that cannot serve for a reason of the config (disabled,
    its key unset) will not serve on a retry either, so that is a 4xx naming the reason, not the 503
    that clients retry for minutes. Reasons that pass (circuit open, rate limits) keep their 503/429."""
    reasons = availability(services.settings)
    via = f" (the name {request.requested_model!r} goes to it by the alias {resolved.pattern!r})" if resolved.pattern else ""
    pinned = request.pinned_model
    if pinned is not None and pinned in services.settings.models and services.settings.models[pinned].kind != "chat":
        return InvalidRequestError(
            f"{pinned}{via} is an embedding model: it answers /v1/embeddings, not prompts; name a chat model "
            "or send 'auto'", details={"param": "model", "model": pinned})
    if pinned is not None:
        why = reasons.get(pinned)
        if why is not None:
            return ModelUnavailableError(
                f"{pinned}{via} cannot serve: {why}; fix the config (`switchboard status` shows every model), "
                "name another model or send 'auto'", details={**exc.details, "model": pinned, "reason": why})
        return exc
    excluded = exc.details.get("excluded") or {}
    if excluded and all(reasons.get(name) is not None for name in excluded):
        return ModelUnavailableError(
            "no configured model can be used: " + "; ".join(f"{name}: {reasons[name]}" for name in excluded)
            + "; set a provider's key variable or enable a model (`switchboard status` shows them all)",
            details=exc.details)
    return exc


def plan_route(
    services: Services, request: RoutingInput, budget: BudgetState, *, request_id: str | None = None,
    room: Headroom | None = None,
) -> RoutePlan:
    """Decide where a request goes (raises ``NoRouteError``/``BudgetExceededError``/``InvalidRequestError``);
    with ``room``, only among (and falling back only to) the models the request's budgets can pay for."""
    decision, resolved, skip = _decide(services, request, budget, request_id, room)
    cls = decision.classification
    reason, stored = decision.reason, decision.to_dict()
    if resolved.pattern is not None:
        # The trace says how the client's own name was understood.
        alias = {"name": request.requested_model, "pattern": resolved.pattern, "to": resolved.target,
                 "hint": resolved.hint}
        hint = f", {resolved.hint}" if resolved.hint else ""
        reason = f"{request.requested_model} → {resolved.target} (alias {resolved.pattern}{hint}); {reason}"
        stored = {**stored, "reason": reason, "alias": alias}
    return RoutePlan(
        chosen=decision.model, fallbacks=decision.fallbacks, reason=reason, policy=decision.policy,
        policy_kind=decision.policy_kind, matrix_version=decision.matrix_version, task_type=str(cls.task_type),
        complexity=cls.complexity, stepped_down=decision.stepped_down, decision=stored, skip=skip,
        embedding=cls.embedding, difficulty=cls.difficulty,
    )
