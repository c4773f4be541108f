"""The routing strategies, each a pure function from scored options to a ranked choice.

A policy sees only eligible ``Option`` rows (quality, cost and latency already predicted by the
engine) and returns a ``PolicyOutcome``: the ranking, the chosen model's one-line reason, and any
strategy data (cascade escalation, consensus set). Budget step-down and exploration are applied by
the engine on top of whichever policy ran, so every policy gets them the same way.

Ties are always broken the same way: cheaper first, then by name, so a decision is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from daemon.router.settings import PolicySettings
from daemon.router.types import Candidate, Classification, Escalation, TaskType, Tier

_EPS = 1e-9

TASK_LABELS: dict[TaskType, str] = {
    TaskType.CODE_COMPLETION: "code completion",
    TaskType.CODE_EDIT: "code edit",
    TaskType.CODE_EXPLAIN: "code explanation",
    TaskType.PROSE: "prose",
    TaskType.DATA: "data analysis",
    TaskType.MATH: "math/reasoning",
    TaskType.CHAT: "chat",
    TaskType.EXTRACTION: "extraction",
}


@dataclass(slots=True)
class Option:
    """An eligible candidate with the engine's predictions for this request.

    Read-only by convention, not frozen: the engine builds one per eligible candidate on every request,
    and a frozen dataclass costs ~5x more to construct (a guarded ``object.__setattr__`` per field).
    """

    candidate: Candidate
    # name and tier are copied out of the candidate: policies read them in every sort key.
    name: str
    tier: Tier
    quality: float
    cost_usd: float
    latency_ms: float
    evidence: float


@dataclass(slots=True)
class PolicyOutcome:
    """A policy's ranking (best first), per-model scores, the reason, and strategy data.

    Read-only by convention, not frozen, for the same reason as ``Option`` (one or two per request).
    """

    ranking: tuple[str, ...]
    scores: dict[str, float]
    reason: str
    escalation: Escalation | None = None
    consensus_models: tuple[str, ...] = ()
    tiebreaker: str | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def model(self) -> str:
        """The chosen model."""
        return self.ranking[0]


Policy = Callable[[Sequence[Option], Classification, PolicySettings], PolicyOutcome]


def floor_for(complexity: float, options: Sequence[Option], policy: PolicySettings, *, relax: float = 0.0) -> float:
    """The quality floor: rises with complexity, but never above the best available less a tolerance.

    The tolerance keeps the floor meaningful where no model is good in absolute terms (then
    "within a few percent of the best" is the bar), and shrinks as complexity rises. It is relative
    to the best quality: on a request so hard that every prediction is low, a model predicted at a
    third of the best is not "close to it", however few points apart they are.
    """
    absolute = policy.floor_min + (policy.floor_max - policy.floor_min) * complexity - relax
    tolerance = policy.tolerance_max - (policy.tolerance_max - policy.tolerance_min) * complexity + relax
    best = max(map(_quality, options))
    return max(0.0, min(absolute, best * (1.0 - tolerance)))


# C-level field readers for max() and name lists, which run on every request.
_quality, _cost, _name = attrgetter("quality"), attrgetter("cost_usd"), attrgetter("name")


def _cheapest_first(o: Option) -> tuple[float, float, str]:
    return (o.cost_usd, -o.quality, o.name)


def _best_first(o: Option) -> tuple[float, float, str]:
    return (-o.quality, o.cost_usd, o.name)


def _head(c: Classification) -> str:
    return f"{TASK_LABELS[c.task_type]}, complexity {c.complexity:.2f}"


def _rel(value: float, top: float) -> float:
    return value / top if top > 0 else 0.0


def _split_at(options: Sequence[Option], cut: float) -> tuple[list[Option], list[Option]]:
    """(quality >= cut, quality < cut), each in ``options`` order, in one pass."""
    above: list[Option] = []
    below: list[Option] = []
    for o in options:
        if o.quality >= cut:
            above.append(o)
        elif o.quality < cut:  # not a bare else: a NaN quality is in neither list, as it always was
            below.append(o)
    return above, below


def complexity_gated(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """Cheapest model whose predicted quality clears a floor that rises with complexity."""
    floor = floor_for(c.complexity, options, policy)
    above, below = _split_at(options, floor - _EPS)
    above.sort(key=_cheapest_first)
    below.sort(key=_best_first)
    top_cost = max(map(_cost, options))
    scores = {o.name: 1.0 + (1.0 - _rel(o.cost_usd, top_cost)) for o in above}
    scores.update({o.name: o.quality for o in below})
    chosen = above[0]
    reason = (
        f"{_head(c)} → {chosen.tier} tier; {chosen.name} cheapest above floor {floor:.2f} "
        f"(quality {chosen.quality:.2f})"
    )
    return PolicyOutcome(tuple(map(_name, above + below)), scores, reason, extra={"floor": floor})


def specialist(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """Best predicted quality for the task type, less the configured cost and latency penalties."""
    top_cost = max(o.cost_usd for o in options)
    top_lat = max(o.latency_ms for o in options)
    scores = {
        o.name: o.quality - policy.cost_weight * _rel(o.cost_usd, top_cost) - policy.latency_weight * _rel(o.latency_ms, top_lat)
        for o in options
    }
    ranked = sorted(options, key=lambda o: (-round(scores[o.name], 9), o.cost_usd, o.name))
    chosen = ranked[0]
    reason = f"{_head(c)} → specialist: {chosen.name} best for {TASK_LABELS[c.task_type]} (quality {chosen.quality:.2f})"
    return PolicyOutcome(tuple(o.name for o in ranked), scores, reason)


def latency_optimized(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """Lowest p95 latency among models that meet the quality floor (interactive surfaces)."""
    floor = floor_for(c.complexity, options, policy)
    above, below = _split_at(options, floor - _EPS)
    above.sort(key=lambda o: (o.latency_ms, o.cost_usd, o.name))
    below.sort(key=_best_first)
    top_lat = max(o.latency_ms for o in options)
    scores = {o.name: 1.0 + (1.0 - _rel(o.latency_ms, top_lat)) for o in above}
    scores.update({o.name: o.quality for o in below})
    chosen = above[0]
    reason = (
        f"{_head(c)} → fastest above floor {floor:.2f}: {chosen.name} "
        f"(p95 {chosen.latency_ms:.0f} ms, quality {chosen.quality:.2f})"
    )
    return PolicyOutcome(tuple(o.name for o in above + below), scores, reason, extra={"floor": floor})


def cheapest(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """Lowest predicted cost, whatever the quality."""
    ranked = sorted(options, key=_cheapest_first)
    top_cost = max(o.cost_usd for o in options)
    scores = {o.name: 1.0 - _rel(o.cost_usd, top_cost) for o in options}
    chosen = ranked[0]
    reason = f"{_head(c)} → cheapest: {chosen.name} (${chosen.cost_usd:.6f})"
    return PolicyOutcome(tuple(o.name for o in ranked), scores, reason)


def cascade(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """Cheap model first (a relaxed floor); escalate to the complexity-gated choice if confidence is low."""
    strict = complexity_gated(options, c, policy)
    relaxed_floor = floor_for(c.complexity, options, policy, relax=policy.cascade_relax)
    first = min((o for o in options if o.quality >= relaxed_floor - _EPS), key=_cheapest_first)
    by_name = {o.name: o for o in options}
    target = by_name[strict.model]
    if target.name == first.name:
        # The strict choice is already the cheap one: escalate to the best model that is better still.
        better = sorted((o for o in options if o.name != first.name and o.quality > first.quality + _EPS), key=_best_first)
        target = better[0] if better else None
    head = [first.name] + ([target.name] if target else [])
    ranking = head + [n for n in strict.ranking if n not in head]
    escalation = Escalation(target.name, policy.confidence_threshold) if target else None
    then = (
        f"escalate to {target.name} if confidence < {policy.confidence_threshold:.2f}" if target else "no stronger model to escalate to"
    )
    reason = f"{_head(c)} → cascade: try {first.name} first (quality {first.quality:.2f}); {then}"
    scores = dict(strict.scores)
    return PolicyOutcome(tuple(ranking), scores, reason, escalation=escalation, extra={"floor": relaxed_floor})


def consensus(options: Sequence[Option], c: Classification, policy: PolicySettings) -> PolicyOutcome:
    """N strong, diverse models answer in parallel; a tiebreaker settles disagreement."""
    pool = sorted(options, key=_best_first)
    chosen: list[Option] = []
    while pool and len(chosen) < policy.consensus_size:
        # Diversity: a model from a provider or tier already chosen is discounted, so the set does not
        # share one family's blind spots.
        def adjusted(o: Option) -> tuple[float, float, str]:
            same_provider = sum(1 for p in chosen if o.candidate.provider and p.candidate.provider == o.candidate.provider)
            same_tier = sum(1 for p in chosen if p.tier == o.tier)
            return (-(o.quality - 0.05 * same_provider - 0.02 * same_tier), o.cost_usd, o.name)

        pick = min(pool, key=adjusted)
        chosen.append(pick)
        pool.remove(pick)
    names = tuple(o.name for o in chosen)
    configured = policy.tiebreaker
    if configured and configured in {o.name for o in options}:
        tiebreaker: str | None = configured
    elif pool:
        tiebreaker = pool[0].name
    else:
        tiebreaker = names[0]
    ranking = names + tuple(o.name for o in pool)
    scores = {o.name: o.quality for o in options}
    reason = f"{_head(c)} → consensus of {', '.join(names)}; tiebreaker {tiebreaker}"
    return PolicyOutcome(ranking, scores, reason, consensus_models=names, tiebreaker=tiebreaker)


POLICIES: dict[str, Policy] = {
    "complexity": complexity_gated,
    "cascade": cascade,
    "specialist": specialist,
    "latency": latency_optimized,
    "consensus": consensus,
    "cheapest": cheapest,
}
"""Policy kind (``PolicySettings.kind``) -> implementation."""
