"""``decide``: one request, the configured candidates, the matrix and the budget in; a ``Decision`` out.

Order of work, each step visible in the decision:

1. refuse at once if a hard budget limit is exceeded (``BudgetExceededError``);
2. classify (task type, complexity) unless the caller already did;
3. predict every candidate's quality (matrix, backed off to priors), cost and p95 latency, and
   mark the ineligible ones with their reason (daemon exclusion, pin, context window,
   capabilities, frontier reserved for critical requests near the budget limit);
4. run the policy of the request (or its surface) on the eligible set;
5. past the soft budget threshold, step down one tier and run the policy again (not for critical);
6. bounded exploration: a small, deterministic share of requests goes to a model with little evidence;
7. fallbacks: the chosen model's configured fallbacks that are eligible, then the policy's ranking.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from daemon.errors import (
    BudgetExceededError,
    ContextLengthError,
    InvalidRequestError,
    NoRouteError,
    SwitchboardError,
)
from daemon.router import quality
from daemon.router.classify import Classifier, classify
from daemon.router.difficulty import difficulty_of
from daemon.router.features import AGENT_DEFAULT_MAX_TOKENS
from daemon.router.matrix import RoutingMatrix
from daemon.router.memory import NO_KNOWLEDGE, Knowledge
from daemon.router.policies import POLICIES, TASK_LABELS, Option, PolicyOutcome
from daemon.router.settings import PolicySettings, RoutingSettings
from daemon.router.types import (
    NO_BUDGET,
    BudgetState,
    Candidate,
    CandidateScore,
    Classification,
    Decision,
    RouteRequest,
    Tier,
)

DEFAULT_SETTINGS = RoutingSettings()


def estimate_cost(candidate: Candidate, input_tokens: int, output_tokens: int) -> float:
    """USD cost of one call at the candidate's list prices."""
    return (input_tokens * candidate.input_usd_per_mtok + output_tokens * candidate.output_usd_per_mtok) / 1_000_000


AGENT_ANSWER_ROOM = 4096
"""Room for an answer assumed when ``max_tokens`` is an agent's standing default (Claude Code sends
128,000 on every request): a model whose window holds the prompt and this much can serve it, and the
gateway sends the cap the window leaves."""


def answer_room(max_output_tokens: int | None) -> int:
    """Output tokens a model's context window must hold besides the prompt: the request's ``max_tokens``,
    unless it is an agent's standing default (see ``AGENT_DEFAULT_MAX_TOKENS``)."""
    if not max_output_tokens:
        return 0
    return AGENT_ANSWER_ROOM if max_output_tokens >= AGENT_DEFAULT_MAX_TOKENS else max_output_tokens


def expected_output_tokens(request: RouteRequest, classification: Classification, settings: RoutingSettings) -> int:
    """Answer length assumed for cost: the task type's typical length, capped by the request's maximum."""
    typical = settings.expected_output_tokens.get(classification.task_type, 256)
    return min(typical, request.max_output_tokens) if request.max_output_tokens else typical


def prior_quality(candidate: Candidate, complexity: float, settings: RoutingSettings) -> float:
    """The prior for a model with no evidence on a request of this complexity (see ``daemon.router.quality``)."""
    return quality.prior_quality(candidate, difficulty_of(complexity), settings)


def decide(
    request: RouteRequest,
    candidates: Sequence[Candidate],
    matrix: RoutingMatrix,
    budget: BudgetState = NO_BUDGET,
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    classification: Classification | None = None,
    classifier: Classifier = classify,
    knowledge: Knowledge = NO_KNOWLEDGE,
) -> Decision:
    """Choose a model for ``request``; raises ``BudgetExceededError``, ``NoRouteError`` or ``InvalidRequestError``.

    ``knowledge`` is what the daemon learned from outcomes (similar past prompts, per-model online
    models); without it, predictions rest on the prior and the matrix."""
    if budget.hard_exceeded:
        raise BudgetExceededError(
            f"budget {budget.budget_name or 'limit'} is exhausted: the hard limit refuses new requests "
            "until it resets or is raised",
            details={"budget": budget.budget_name},
        )
    policy_name, policy = _policy(request, settings)
    cls = classification or classifier(request)
    if request.pinned_model is not None:
        return _pinned(request, candidates, matrix, budget, cls, settings, policy_name, policy, knowledge)
    options, rows, note = _score(request, candidates, matrix, budget, cls, settings, knowledge)
    if not options:
        excluded = [_candidate_score(row, 0.0) for row in rows]
        _refuse_if_too_long(request, candidates)
        raise NoRouteError(_no_route_message(excluded), details={"excluded": {r.model: r.excluded_reason for r in excluded}})

    run = POLICIES[policy.kind]
    outcome = run(options, cls, policy)
    reason = f"{outcome.reason}; {note}" if note else outcome.reason
    allowed = options
    stepped = False
    if _past_soft(request, budget) and request.pinned_model is None:
        chosen_tier = _tier_of(options, outcome.model)
        lower = [o for o in options if o.tier.rank < chosen_tier.rank]
        if lower:
            step_to = max(o.tier.rank for o in lower)
            allowed = [o for o in lower if o.tier.rank == step_to] + [o for o in lower if o.tier.rank < step_to]
            outcome = run(allowed, cls, policy)
            stepped = True
            reason = (
                f"budget {_budget_label(budget)} {budget.fraction_used:.0%} used (soft {budget.soft_threshold:.0%}) "
                f"→ stepped down to {_tier_of(options, outcome.model)} tier; {outcome.reason}"
            )

    model = outcome.model
    explored = False
    if policy.explore and not stepped:
        pick = _explore(request, allowed, model, budget, settings)
        if pick is not None:
            explored = True
            reason = (
                f"exploring {pick.name} ({pick.evidence:.0f} outcomes for {cls.task_type} at this complexity; "
                f"{settings.exploration_rate:.0%} of requests) instead of {model}; {outcome.reason}"
            )
            outcome = replace(outcome, ranking=(pick.name, *outcome.ranking))
            model = pick.name

    policy_scores = outcome.scores
    scores = tuple(
        CandidateScore(name, tier, quality, latency, cost, eligible, why, policy_scores.get(name, 0.0) if eligible else 0.0, evidence)
        for name, tier, quality, latency, cost, eligible, why, evidence in rows
    )
    return Decision(
        model=model,
        fallbacks=_fallbacks(model, outcome, allowed, candidates, settings.max_fallbacks),
        candidates=scores,
        policy=policy_name,
        policy_kind=policy.kind,
        matrix_version=matrix.version,
        classification=cls,
        reason=reason,
        stepped_down=stepped,
        explored=explored,
        escalation=outcome.escalation,
        consensus_models=outcome.consensus_models,
        tiebreaker=outcome.tiebreaker,
    )


def _pinned(
    request: RouteRequest,
    candidates: Sequence[Candidate],
    matrix: RoutingMatrix,
    budget: BudgetState,
    cls: Classification,
    settings: RoutingSettings,
    policy_name: str,
    policy: PolicySettings,
    knowledge: Knowledge,
) -> Decision:
    """A request that names its model: the caller chose, so no policy ranks the others, and they are
    listed as excluded by the pin without predictions (working those out for every configured model
    was most of a pinned decision's cost, for nothing anyone acts on). The named model is still
    checked like any candidate (available, context window, capabilities, budget) and predicted, and
    the request is classified: the trace and the matrix's learning need both."""
    pinned = request.pinned_model
    assert pinned is not None
    named = [cand for cand in candidates if cand.name == pinned]
    options, rows, _note = _score(request, named, matrix, budget, cls, settings, knowledge)
    pin = f"request is pinned to {pinned}"
    scores = []
    for cand in candidates:
        if cand.name == pinned:
            scores.append(_candidate_score(rows[0], 1.0 if options else 0.0))
        else:
            scores.append(CandidateScore(cand.name, cand.tier, None, None, None, False, pin))
    if not options:
        why = rows[0][6] if rows else "it is not configured"
        raise _pin_refused(named[0] if named else None, request, budget)(
            f"{pinned} cannot serve this request: {why}; name another model or send 'auto'",
            details={"excluded": {row.model: row.excluded_reason for row in scores}},
        )
    chosen = options[0]
    return Decision(
        model=pinned,
        fallbacks=(),  # the deployment's own configured fallbacks still apply (the gateway adds them)
        candidates=tuple(scores),
        policy=policy_name,
        policy_kind=policy.kind,
        matrix_version=matrix.version,
        classification=cls,
        reason=(f"pinned by the request ({TASK_LABELS[cls.task_type]}, complexity {cls.complexity:.2f}; "
                f"predicted quality {chosen.quality:.2f})"),
    )


def _pin_refused(cand: Candidate | None, request: RouteRequest, budget: BudgetState) -> type[SwitchboardError]:
    """The error a pinned model's refusal raises, so clients retry only what a retry can fix: the
    request's own checks are lasting (a 4xx: too long for the window, a missing capability, the frontier
    reserved by the budget); a reason the daemon gave (``excluded_reason``) is its to judge (503 here)."""
    if cand is None or cand.excluded_reason:
        return NoRouteError
    eligibility = _Eligibility(request, budget)  # the same checks, in the same order, as ``exclusion``
    if eligibility.needed > cand.context_window:
        return ContextLengthError
    if eligibility.required and not eligibility.required <= cand.capabilities:
        return InvalidRequestError
    if eligibility.frontier_reason is not None and cand.tier is Tier.FRONTIER:
        return BudgetExceededError
    return NoRouteError


def _policy(request: RouteRequest, settings: RoutingSettings) -> tuple[str, PolicySettings]:
    name = request.policy.removeprefix("auto:") if request.policy else None
    if name is not None and name not in settings.policies:
        raise InvalidRequestError(
            f"unknown routing policy auto:{name}; configured policies: "
            + ", ".join(f"auto:{n}" for n in sorted(settings.policies))
        )
    return settings.policy_for(request.surface, name)


def _score(
    request: RouteRequest,
    candidates: Sequence[Candidate],
    matrix: RoutingMatrix,
    budget: BudgetState,
    cls: Classification,
    settings: RoutingSettings,
    knowledge: Knowledge,
) -> tuple[list[Option], list[_Row], str]:
    """Predictions and eligibility of every candidate (rows become ``CandidateScore`` once scores are
    known), and a note naming the evidence of similar past prompts ("" when there is none)."""
    out_tokens = expected_output_tokens(request, cls, settings)
    prompt_tokens = request.prompt_tokens
    estimates = quality.estimate(candidates, cls, matrix, knowledge, settings)
    eligibility = _Eligibility(request, budget)
    options: list[Option] = []
    rows: list[_Row] = []
    for cand, est in zip(candidates, estimates, strict=True):
        latency = _latency(cand, est.cell, settings.tier_latency_ms)
        cost = estimate_cost(cand, prompt_tokens, out_tokens)
        reason = eligibility.exclusion(cand)
        rows.append((cand.name, cand.tier, est.quality, latency, cost, reason is None, reason, est.evidence))
        if reason is None:
            options.append(Option(cand, cand.name, cand.tier, est.quality, cost, latency, est.evidence))
    note = quality.evidence_note([c.name for c in candidates], estimates)
    return options, rows, note


_Row = tuple[str, Tier, float, float, float, bool, str | None, float]
"""(model, tier, quality, latency, cost, eligible, excluded_reason, evidence): a CandidateScore before its score."""


def _candidate_score(row: _Row, score: float) -> CandidateScore:
    model, tier, quality, latency, cost, eligible, reason, evidence = row
    return CandidateScore(model, tier, quality, latency, cost, eligible, reason, score, evidence)


class _Eligibility:
    """The request's eligibility checks, with everything that is the same for every candidate worked
    out once (the reason strings, the capabilities required) rather than per candidate."""

    __slots__ = ("frontier_reason", "needed", "pinned", "pinned_reason", "required")

    def __init__(self, request: RouteRequest, budget: BudgetState) -> None:
        self.pinned = request.pinned_model
        self.pinned_reason = f"request is pinned to {self.pinned}" if self.pinned is not None else ""
        self.needed = request.prompt_tokens + answer_room(request.max_output_tokens)
        required = request.required_capabilities
        self.required = required | {"tools"} if request.has_tools else required
        frontier_reserved = (
            request.priority != "critical"
            and budget.critical_only_threshold is not None
            and budget.fraction_used >= budget.critical_only_threshold
        )
        self.frontier_reason = (
            f"budget {_budget_label(budget)} {budget.fraction_used:.0%} used: frontier tier is reserved "
            "for critical requests"
            if frontier_reserved
            else None
        )

    def exclusion(self, cand: Candidate) -> str | None:
        """Why ``cand`` cannot serve this request, or None."""
        if cand.excluded_reason:
            return cand.excluded_reason
        if self.pinned is not None and cand.name != self.pinned:
            return self.pinned_reason
        if self.needed > cand.context_window:
            return f"context window {cand.context_window} < {self.needed} tokens"
        required = self.required
        if required and not required <= cand.capabilities:
            return f"lacks capability {', '.join(sorted(required - cand.capabilities))}"
        if self.frontier_reason is not None and cand.tier is Tier.FRONTIER:
            return self.frontier_reason
        return None


def _latency(cand: Candidate, cell: object, tier_latency: Mapping[Tier, float]) -> float:
    # Live p95 (real calls and health pings) beats the matrix's per-cell history, which beats the tier guess.
    if cand.latency_p95_ms is not None:
        return cand.latency_p95_ms
    cell_p95 = getattr(cell, "latency_p95_ms", None)
    if cell_p95 is not None:
        return float(cell_p95)
    if cand.latency_p50_ms is not None:
        return cand.latency_p50_ms * 2.0
    return tier_latency.get(cand.tier, 2000.0)


def _refuse_if_too_long(request: RouteRequest, candidates: Sequence[Candidate]) -> None:
    """When every usable model is too small for the request, it is the request that is wrong (a 400 the
    caller can fix by asking for less), not a missing route (a 503 a client would retry)."""
    usable = [cand for cand in candidates if not cand.excluded_reason]
    needed = request.prompt_tokens + (request.max_output_tokens or 0)
    if not usable or any(needed <= cand.context_window for cand in usable):
        return
    largest = max(cand.context_window for cand in usable)
    takes = "any usable model takes (the largest context window is"
    asked = request.max_output_tokens
    if asked:
        raise ContextLengthError(
            f"max_tokens: the prompt (about {request.prompt_tokens} tokens) plus max_tokens ({asked}) is more than "
            f"{takes} {largest} tokens); ask for fewer tokens or shorten the prompt",
            details={"param": "max_tokens", "context_window": largest})
    raise ContextLengthError(
        f"the prompt (about {request.prompt_tokens} tokens) is longer than {takes} {largest} tokens); shorten it",
        details={"context_window": largest})


def _no_route_message(rows: Sequence[CandidateScore]) -> str:
    if not rows:
        return "no model can serve this request: no models are configured; add one under [models] in the config"
    parts = "; ".join(f"{r.model}: {r.excluded_reason}" for r in rows)
    return f"no model can serve this request: {parts}"


def _past_soft(request: RouteRequest, budget: BudgetState) -> bool:
    return request.priority != "critical" and budget.fraction_used >= budget.soft_threshold


def _budget_label(budget: BudgetState) -> str:
    return budget.budget_name or "limit"


def _tier_of(options: Sequence[Option], name: str) -> Tier:
    return next(o.tier for o in options if o.name == name)


def _explore(
    request: RouteRequest, options: Sequence[Option], chosen: str, budget: BudgetState, settings: RoutingSettings
) -> Option | None:
    """A deterministic, bounded detour to a model with little evidence, or None."""
    if (
        settings.exploration_rate <= 0
        or request.priority == "critical"
        or request.pinned_model is not None
        or budget.fraction_used >= budget.soft_threshold
    ):
        return None
    # Hash of the request id (or text): the same request always gets the same answer, and about
    # exploration_rate of distinct requests explore.
    seed = request.request_id or (request.messages[-1].text if request.messages else "")
    h = zlib.crc32(seed.encode("utf-8", "surrogatepass"))
    if (h & 0xFFFF) / 0x10000 >= settings.exploration_rate:
        return None
    base_cost = next(o.cost_usd for o in options if o.name == chosen)
    pool = sorted(
        (
            o
            for o in options
            if o.name != chosen
            and o.evidence < settings.exploration_min_evidence
            and o.cost_usd <= base_cost * settings.exploration_max_cost_ratio + 1e-12
        ),
        key=lambda o: (o.evidence, o.cost_usd, o.name),
    )
    if not pool:
        return None
    return pool[(h >> 16) % len(pool)]


def _fallbacks(
    model: str, outcome: PolicyOutcome, allowed: Sequence[Option], candidates: Sequence[Candidate], limit: int
) -> tuple[str, ...]:
    allowed_names = {o.name for o in allowed}
    configured = next((c.fallbacks for c in candidates if c.name == model), ())
    ordered: list[str] = []
    for name in (*configured, *outcome.ranking):
        if len(ordered) >= limit:
            break
        if name != model and name in allowed_names and name not in ordered:
            ordered.append(name)
    return tuple(ordered)
