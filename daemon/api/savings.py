"""What routing saved: spend against the counterfactual of sending every request to one model.

The counterfactual of an answered request is its own tokens at the baseline model's prices, so it
is exact for what was asked and answered (a different model would have written a different
answer, of a different length: the figure says what the same work costs there). Quality sits
beside it as evidence, never folded into one number: the mean score of the routed answers that were
rated, against the baseline model's — observed on its own rated answers when there are some, and
the router's matrix estimate for it on the same requests either way. Failed, refused and cancelled
requests are left out of both sides: they bought no answer.

Pure: facts in (the store's trace rows, scores per trace), a ``Savings`` value out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from daemon.wire import ModelValue, Savings, SavingsGroup

QualityEstimate = Callable[[str, float], float]
"""(task type, complexity) → the router's quality estimate for the baseline model there."""


def day_of(ts: float) -> str:
    """The local calendar day of a Unix time, ``2026-12-04``."""
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def baseline_cost(fact: Mapping[str, Any], input_usd_per_mtok: float, output_usd_per_mtok: float) -> float:
    """A request's tokens at the baseline's prices, in USD."""
    return (int(fact.get("input_tokens") or 0) * input_usd_per_mtok
            + int(fact.get("output_tokens") or 0) * output_usd_per_mtok) / 1e6


def compute_savings(
    facts: Sequence[Mapping[str, Any]],
    quality: Mapping[str, float],
    *,
    window: str,
    since: float,
    baseline_model: str,
    baseline_prices: tuple[float, float],
    estimate: QualityEstimate | None = None,
) -> Savings:
    """Spend, counterfactual and quality evidence, in total, per day, surface and developer, and per model."""
    answered = [f for f in facts if f["outcome"] == "ok" and f.get("answered_model")]
    groups: dict[str, dict[str, _Acc]] = {"day": defaultdict(_Acc), "surface": defaultdict(_Acc),
                                          "developer": defaultdict(_Acc)}
    total, models = _Acc(), defaultdict(_Acc)
    estimates: list[float] = []
    observed: list[float] = []
    for f in answered:
        spend = int(f["cost_micros"] or 0) / 1e6
        counterfactual = baseline_cost(f, *baseline_prices)
        score = quality.get(f["id"])
        for acc in (total, groups["day"][day_of(f["created_at"])], groups["surface"][f["surface"]],
                    groups["developer"][f["developer"]], models[f["answered_model"]]):
            acc.add(spend, counterfactual, score)
        if score is not None:
            if f["answered_model"] == baseline_model:
                observed.append(score)
            if estimate is not None and f.get("task_type"):
                estimates.append(estimate(f["task_type"], float(f.get("complexity") or 0.0)))
    return Savings(
        window=window, since=since, baseline_model=baseline_model, requests=total.requests,
        spend_usd=total.spend, baseline_usd=total.baseline, saved_usd=total.baseline - total.spend,
        rated=total.rated, quality=total.quality,
        baseline_quality_observed=sum(observed) / len(observed) if observed else None, baseline_rated=len(observed),
        baseline_quality_estimated=sum(estimates) / len(estimates) if estimates else None,
        by_day=_groups(groups["day"]), by_surface=_groups(groups["surface"]),
        by_developer=_groups(groups["developer"]),
        by_model=sorted((ModelValue(model=m, requests=a.requests, spend_usd=a.spend, rated=a.rated, quality=a.quality,
                                    cost_per_quality_point=a.cost_per_point)
                         for m, a in models.items()), key=lambda v: (-v.requests, v.model)),
    )


class _Acc:
    """Running sums of one group."""

    __slots__ = ("baseline", "rated", "rated_spend", "requests", "score", "spend")

    def __init__(self) -> None:
        self.requests, self.rated = 0, 0
        self.spend = self.baseline = self.score = self.rated_spend = 0.0

    def add(self, spend: float, baseline: float, score: float | None) -> None:
        self.requests += 1
        self.spend += spend
        self.baseline += baseline
        if score is not None:
            self.rated += 1
            self.score += score
            self.rated_spend += spend

    @property
    def quality(self) -> float | None:
        return self.score / self.rated if self.rated else None

    @property
    def cost_per_point(self) -> float | None:
        """Spend of the rated answers per quality point they earned (unrated traffic does not dilute it)."""
        return self.rated_spend / self.score if self.score > 0 else None


def _groups(accs: Mapping[str, _Acc]) -> list[SavingsGroup]:
    return [SavingsGroup(key=k, requests=a.requests, spend_usd=a.spend, baseline_usd=a.baseline, rated=a.rated,
                         quality=a.quality) for k, a in sorted(accs.items())]
