"""GET /api/metrics: the numbers a dashboard shows at a glance, over a window of recent traces;
GET /api/savings: what routing spent against one model for everything (``daemon.api.savings``).

The store hands out plain facts (one row per trace, one per attempt, a mean score per rated trace);
``compute_metrics`` turns them into ``Metrics`` in memory, so the SQL stays simple enough for any store.
Both happen off the event loop (the rows are built in the store's thread, the figures in a worker
thread): a month of traces took the loop 285 ms before, and every other request waited for it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.api.http import developer_of, json_response, services_of
from daemon.api.savings import compute_savings
from daemon.core.routing import candidates_for
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, PermissionDeniedError
from daemon.router.engine import prior_quality
from daemon.router.types import Candidate, TaskType
from daemon.store.records import micros_to_usd
from daemon.wire import Metrics, ModelMetrics

WINDOWS: dict[str, tuple[float, int]] = {
    "1h": (3600.0, 60),
    "24h": (86_400.0, 48),
    "7d": (7 * 86_400.0, 56),
    "30d": (30 * 86_400.0, 60),
}
"""Window name → (seconds, number of buckets in its series)."""

_FAILED = frozenset({"error", "cancelled"})


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by nearest rank: an observed value, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _model_metrics(
    facts: Sequence[Mapping[str, Any]], attempts: Sequence[tuple[str, str]], tiers: Mapping[str, str],
    quality: Mapping[str, float],
) -> tuple[list[ModelMetrics], dict[str, float]]:
    by_model: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in facts:
        if f["answered_model"]:
            by_model[f["answered_model"]].append(f)
    tried: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for model, status in attempts:
        tried[model] += 1
        failed[model] += status != "ok"
    error_rates = {m: _rate(failed[m], tried[m]) for m in tried}
    total = len(facts)
    out = []
    for model in sorted(set(by_model) | set(tried)):
        rows = by_model.get(model, [])
        latencies = [r["latency_ms"] for r in rows if r["outcome"] == "ok"]
        ttfts = [r["ttft_ms"] for r in rows if r["outcome"] == "ok" and r["ttft_ms"] is not None]
        rated = [r for r in rows if r["id"] in quality]
        scores = sum(quality[r["id"]] for r in rated)
        out.append(
            ModelMetrics(
                model=model, tier=tiers.get(model), requests=len(rows), share=_rate(len(rows), total),
                spend_usd=micros_to_usd(sum(r["cost_micros"] for r in rows)),
                latency_p50_ms=percentile(latencies, 0.5), latency_p95_ms=percentile(latencies, 0.95),
                ttft_p50_ms=percentile(ttfts, 0.5), ttft_p95_ms=percentile(ttfts, 0.95),
                error_rate=error_rates.get(model, 0.0), rated=len(rated),
                quality_mean=scores / len(rated) if rated else None,
                cost_per_quality_point=micros_to_usd(sum(r["cost_micros"] for r in rated)) / scores if scores > 0 else None,
            )
        )
    out.sort(key=lambda m: (-m.requests, m.model))
    return out, error_rates


def _series(facts: Sequence[Mapping[str, Any]], since: float, seconds: float, buckets: int) -> dict[str, list[float]]:
    width = seconds / buckets
    spend = [0] * buckets
    count = [0] * buckets
    fallbacks = [0] * buckets
    escalations = [0] * buckets
    errors = [0] * buckets
    refusals = [0] * buckets
    for f in facts:
        i = min(buckets - 1, max(0, int((f["created_at"] - since) // width)))
        count[i] += 1
        spend[i] += f["cost_micros"]
        fallbacks[i] += bool(f["fallback_used"])
        escalations[i] += bool(f["escalated"])
        errors[i] += f["outcome"] in _FAILED
        refusals[i] += f["outcome"] == "refused"
    return {
        "spend": [micros_to_usd(s) for s in spend],
        "requests": [float(c) for c in count],
        "fallback_rate": [_rate(x, c) for x, c in zip(fallbacks, count, strict=True)],
        "escalation_rate": [_rate(x, c) for x, c in zip(escalations, count, strict=True)],
        "error_rate": [_rate(x, c) for x, c in zip(errors, count, strict=True)],
        "refusal_rate": [_rate(x, c) for x, c in zip(refusals, count, strict=True)],
    }


def compute_metrics(
    window: str,
    now: float,
    facts: Sequence[Mapping[str, Any]],
    attempts: Sequence[tuple[str, str]],
    quality: Mapping[str, float],
    tiers: Mapping[str, str],
) -> Metrics:
    """Every figure of ``Metrics`` from the window's traces, attempts and quality scores.

    Rates are over requests (fallback, escalation, error: outcome error or cancelled; a budget refusal
    is not an error). A model's error rate is over its attempts, so it counts failed-over calls too.
    Cost per quality point is the spend of the *rated* requests divided by the sum of their scores
    (a request's score is the mean of its signals), so unrated traffic does not inflate it.
    """
    seconds, buckets = WINDOWS[window]
    since = now - seconds
    spend_dev: Counter[str] = Counter()
    spend_team: Counter[str] = Counter()
    for f in facts:
        spend_dev[f["developer"]] += f["cost_micros"]
        if f["team"]:
            spend_team[f["team"]] += f["cost_micros"]
    by_model, error_rates = _model_metrics(facts, attempts, tiers, quality)
    by_tier: Counter[str] = Counter()
    for f in facts:
        if f["answered_model"]:
            by_tier[tiers.get(f["answered_model"], "unknown")] += 1
    rated = [f for f in facts if f["id"] in quality]
    score_sum = sum(quality[f["id"]] for f in rated)
    total = len(facts)
    return Metrics(
        window=window,  # type: ignore[arg-type]
        since=since,
        requests=total,
        spend_usd=micros_to_usd(sum(f["cost_micros"] for f in facts)),
        spend_by_developer={k: micros_to_usd(v) for k, v in sorted(spend_dev.items())},
        spend_by_team={k: micros_to_usd(v) for k, v in sorted(spend_team.items())},
        by_model=by_model,
        by_tier=dict(sorted(by_tier.items())),
        by_surface=dict(sorted(Counter(f["surface"] for f in facts).items())),
        by_task_type=dict(sorted(Counter(f["task_type"] or "unknown" for f in facts).items())),
        fallback_rate=_rate(sum(bool(f["fallback_used"]) for f in facts), total),
        escalation_rate=_rate(sum(bool(f["escalated"]) for f in facts), total),
        error_rate=_rate(sum(f["outcome"] in _FAILED for f in facts), total),
        refused=sum(f["outcome"] == "refused" for f in facts),
        refusal_rate=_rate(sum(f["outcome"] == "refused" for f in facts), total),
        error_rate_by_model=dict(sorted(error_rates.items())),
        cost_per_quality_point=(
            micros_to_usd(sum(f["cost_micros"] for f in rated)) / score_sum if rated and score_sum > 0 else None
        ),
        series=_series(facts, since, seconds, buckets),
    )


def window_and_scope(request: Request, default: str, what: str) -> tuple[str, int | None]:
    """The ``window`` asked for, and whose figures: the caller's id, or None for everyone (admins, ``all=1``)."""
    me = developer_of(request)
    window = request.query_params.get("window", default)
    if window not in WINDOWS:
        raise InvalidRequestError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    everyone = request.query_params.get("all") in ("1", "true")
    if everyone and not me.is_admin:
        raise PermissionDeniedError(f"only an admin may see everyone's {what}; drop all=1 to see your own")
    return window, None if everyone else me.id


async def get_metrics(request: Request) -> Response:
    """Mine by default; everyone's for an admin asking with ``all=1``."""
    services = services_of(request)
    window, developer_id = window_and_scope(request, "24h", "metrics")
    now = time.time()
    since = now - WINDOWS[window][0]
    store = services.store
    await services.traces.caught_up()  # requests answered a moment ago count
    facts = await store.trace_facts(since, developer_id=developer_id)
    attempts = await store.attempt_facts(since, developer_id=developer_id)
    quality = await store.trace_quality(since, developer_id=developer_id)
    tiers = {name: m.tier for name, m in services.settings.models.items()}
    metrics = await asyncio.to_thread(compute_metrics, window, now, facts, attempts, quality, tiers)
    return json_response(metrics)


def baseline_model(services: Services, requested: str | None) -> Candidate:
    """The counterfactual model: asked for, configured (``[report] baseline_model``), or the usable
    frontier model with the highest price."""
    candidates = {c.name: c for c in candidates_for(services)}
    name = requested or services.settings.report.baseline_model
    if name:
        if name not in candidates:
            raise InvalidRequestError(f"baseline model {name!r} is not configured; one of: {', '.join(candidates)}")
        return candidates[name]
    usable = [c for c in candidates.values() if c.excluded_reason is None] or list(candidates.values())
    if not usable:
        raise InvalidRequestError("no model is configured to compare with")
    frontier = [c for c in usable if c.tier.value == "frontier"] or usable
    return max(frontier, key=lambda c: (c.input_usd_per_mtok + c.output_usd_per_mtok, c.name))


async def get_savings(request: Request) -> Response:
    """Spend against sending every answered request to the baseline model, with the quality evidence."""
    services = services_of(request)
    window, developer_id = window_and_scope(request, "7d", "savings")
    baseline = baseline_model(services, request.query_params.get("baseline"))
    since = time.time() - WINDOWS[window][0]
    await services.traces.caught_up()
    facts = await services.store.trace_facts(since, developer_id=developer_id)
    quality = await services.store.trace_quality(since, developer_id=developer_id)
    matrix, routing = services.matrix.matrix, services.settings.routing

    def estimate(task_type: str, complexity: float) -> float:
        prior = prior_quality(baseline, complexity, routing)
        return matrix.qualities(TaskType(task_type), complexity, [(baseline.name, prior)],
                                prior_strength=routing.prior_strength)[0][0]

    savings = await asyncio.to_thread(
        compute_savings, facts, quality, window=window, since=since, baseline_model=baseline.name,
        baseline_prices=(baseline.input_usd_per_mtok, baseline.output_usd_per_mtok), estimate=estimate,
    )
    return json_response(savings)


routes = [Route("/api/metrics", get_metrics, methods=["GET"]), Route("/api/savings", get_savings, methods=["GET"])]
