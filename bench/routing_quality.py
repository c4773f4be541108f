"""Routing quality on routing-tune: fit on train, report on test, through the public routing path.

    /work/main/.venv/bin/python bench/routing_quality.py            # offline: single models, oracle, zero router, routers
    /work/main/.venv/bin/python bench/routing_quality.py --online   # replay train with feedback for the chosen model only

The router is Switchboard's own: ``decide()`` with the 9 scored models as ``Candidate``s (prices
from models.json, tier from price), the shipped classifier (no task labels at decision time), and a
``RoutingMatrix`` built from train outcomes with ``apply_signals`` (one judge signal per train
prompt and model, keyed by the classifier's own task type and complexity).

The trade-off knob swept for the curves: for the complexity-gated policy, the quality tolerance
(how far below the best predicted quality a cheaper model may be, absolute floor off); for the
specialist policy, the cost weight. The operating point reported as "Switchboard (balanced)" is
chosen on a held-out fifth of train, never on test.

AUC: mean quality over the cost range of the single models (area under the upper convex hull of a
router's points, the cheapest single model always available, divided by the range). The zero
router is the hull of the single models alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._routing_data import COST_NOTE, Row, load_candidates, load_rows, scored_models  # noqa: E402
from daemon.router.classify import classify  # noqa: E402
from daemon.router.engine import decide  # noqa: E402
from daemon.router.matrix import QualitySignal, RoutingMatrix, apply_signal, apply_signals  # noqa: E402
from daemon.router.settings import PolicySettings, RoutingSettings  # noqa: E402
from daemon.router.types import Candidate, Classification, RouteRequest  # noqa: E402

TOLERANCES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 1.0)
COST_WEIGHTS = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class Point:
    """One router configuration's result: mean quality and mean cost per request."""

    label: str
    quality: float
    cost: float


def routed_settings(kind: str, knob: float) -> RoutingSettings:
    """Settings with one policy "bench" at the given knob, exploration off (offline evaluation)."""
    if kind == "complexity":
        policy = PolicySettings(kind="complexity", floor_min=1.0, floor_max=1.0, tolerance_min=knob, tolerance_max=knob)
    else:
        policy = PolicySettings(kind="specialist", cost_weight=knob)
    return RoutingSettings(policies={"bench": policy}, surfaces={}, default_policy="bench", exploration_rate=0.0)


def request_for(row: Row) -> RouteRequest:
    """The request a user would send: the prompt and its id, nothing else."""
    return RouteRequest.from_prompt(row.prompt, request_id=row.id)


def fit_matrix(rows: Sequence[Row], models: Sequence[str]) -> RoutingMatrix:
    """Matrix from train outcomes: every model's score on every prompt, at the classifier's cell."""
    signals = []
    for r in rows:
        c = classify(request_for(r))
        signals += [QualitySignal(c.task_type, c.complexity, m, r.scores[m], source="benchmark") for m in models]
    return apply_signals(RoutingMatrix(), signals)


def run_router(
    rows: Sequence[Row],
    classes: Sequence[Classification],
    candidates: Sequence[Candidate],
    matrix: RoutingMatrix,
    settings: RoutingSettings,
) -> tuple[float, float]:
    """Mean quality and cost of routing ``rows`` with ``decide``."""
    by_name = {c.name: c for c in candidates}
    q = cost = 0.0
    for r, c in zip(rows, classes, strict=True):
        d = decide(request_for(r), candidates, matrix, settings=settings, classification=c)
        q += r.scores[d.model]
        cost += r.cost(by_name[d.model])
    return q / len(rows), cost / len(rows)


def upper_hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Upper-left convex hull (cost ascending, quality non-decreasing) of (cost, quality) points."""
    pts = sorted(set(points), key=lambda p: (p[0], -p[1]))
    hull: list[tuple[float, float]] = []
    for p in pts:
        if hull and p[1] <= hull[-1][1]:
            continue
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (y2 - y1) * (p[0] - x1) <= (p[1] - y1) * (x2 - x1):
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


def auc(points: Sequence[tuple[float, float]], lo: float, hi: float) -> float:
    """Mean quality of the hull of ``points`` over costs [lo, hi] (flat past its last point)."""
    hull = upper_hull(points)

    def at(x: float) -> float:
        if x <= hull[0][0]:
            return hull[0][1] if x >= hull[0][0] - 1e-15 else 0.0
        for (x1, y1), (x2, y2) in zip(hull, hull[1:], strict=False):
            if x <= x2:
                return y1 + (y2 - y1) * (x - x1) / (x2 - x1)
        return hull[-1][1]

    steps = 2000
    xs = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    ys = [at(x) for x in xs]
    return sum((ys[i] + ys[i + 1]) / 2 for i in range(steps)) / steps


def single_models(rows: Sequence[Row], candidates: Sequence[Candidate]) -> list[Point]:
    """Each model alone."""
    return [
        Point(c.name, sum(r.scores[c.name] for r in rows) / len(rows), sum(r.cost(c) for r in rows) / len(rows))
        for c in candidates
    ]


def oracle(rows: Sequence[Row], candidates: Sequence[Candidate]) -> Point:
    """Cheapest model with the best score on each prompt (cheapest overall when all fail)."""
    q = cost = 0.0
    for r in rows:
        best = max(r.scores.values())
        pick = min((c for c in candidates if r.scores[c.name] == best), key=lambda c: (r.cost(c), c.name))
        q += best
        cost += r.cost(pick)
    return Point("oracle (cheapest best)", q / len(rows), cost / len(rows))


def choose_operating_point(train: Sequence[Row], candidates: Sequence[Candidate], models: Sequence[str]) -> float:
    """Tolerance picked on a held-out fifth of train: cheapest one at or above the best single model there."""
    fit = [r for i, r in enumerate(train) if i % 5 != 4]
    val = [r for i, r in enumerate(train) if i % 5 == 4]
    matrix = fit_matrix(fit, models)
    classes = [classify(request_for(r)) for r in val]
    best_single = max(p.quality for p in single_models(val, candidates))
    results = [(t, *run_router(val, classes, candidates, matrix, routed_settings("complexity", t))) for t in TOLERANCES]
    ok = [(cost, t) for t, q, cost in results if q >= best_single]
    return min(ok)[1] if ok else 0.0


def offline() -> None:
    """The full comparison on test."""
    train, test = load_rows("train"), load_rows("test")
    models = sorted(scored_models(train + test))
    candidates = load_candidates(set(models))
    matrix = fit_matrix(train, models)
    classes = [classify(request_for(r)) for r in test]
    singles = single_models(test, candidates)
    best = max(singles, key=lambda p: (p.quality, -p.cost))
    lo, hi = min(p.cost for p in singles), max(p.cost for p in singles)
    cheapest_point = min(((p.cost, p.quality) for p in singles))

    print(f"routing-tune: fit on {len(train)} train prompts, report on {len(test)} test prompts; {COST_NOTE}")
    print(f"{'router':44s} {'quality':>8s} {'cost $/req':>12s} {'% best cost':>11s}")
    for p in sorted(singles, key=lambda p: p.cost):
        print(f"{p.label:44s} {p.quality:8.4f} {p.cost:12.3e} {p.cost / best.cost:10.1%}")
    o = oracle(test, candidates)
    print(f"{o.label:44s} {o.quality:8.4f} {o.cost:12.3e} {o.cost / best.cost:10.1%}")

    tol = choose_operating_point(train, candidates, models)
    curves: dict[str, list[Point]] = {}
    for kind, knobs, name in (("complexity", TOLERANCES, "tolerance"), ("specialist", COST_WEIGHTS, "cost_weight")):
        curves[kind] = [
            Point(f"{kind} {name}={k}", *run_router(test, classes, candidates, matrix, routed_settings(kind, k))) for k in knobs
        ]
    op_q, op_cost = run_router(test, classes, candidates, matrix, routed_settings("complexity", tol))
    shipped_q, shipped_cost = run_router(test, classes, candidates, matrix, RoutingSettings(exploration_rate=0.0))
    print(f"{'Switchboard balanced, tolerance ' + str(tol) + ' (chosen on train)':44s} {op_q:8.4f} {op_cost:12.3e} {op_cost / best.cost:10.1%}")
    print(f"{'Switchboard balanced, shipped defaults':44s} {shipped_q:8.4f} {shipped_cost:12.3e} {shipped_cost / best.cost:10.1%}")

    zero = [(p.cost, p.quality) for p in singles]
    print(f"\nAUC (mean quality over cost {lo:.3e}..{hi:.3e} $/req; {COST_NOTE})")
    print(f"  zero router (hull of single models)        {auc(zero, lo, hi):.4f}")
    for kind, pts in curves.items():
        print(f"  Switchboard {kind:32s} {auc([cheapest_point] + [(p.cost, p.quality) for p in pts], lo, hi):.4f}")
    for kind, pts in curves.items():
        print(f"\n{kind} sweep:")
        for p in pts:
            print(f"  {p.label:40s} quality {p.quality:.4f}  cost {p.cost:.3e} ({p.cost / best.cost:.1%} of {best.label})")
    print(
        f"\ntarget: quality >= {best.quality:.4f} ({best.label}) at <= {0.2 * best.cost:.3e} $/req (20% of its cost); "
        f"operating point: quality {op_q:.4f} at {op_cost / best.cost:.1%} of its cost"
    )


def online(block: int = 500) -> None:
    """Replay train in order from an empty matrix; feedback only for the model chosen."""
    train = load_rows("train")
    models = sorted(scored_models(train))
    candidates = load_candidates(set(models))
    by_name = {c.name: c for c in candidates}
    settings = RoutingSettings(
        policies={"online": PolicySettings(kind="complexity", floor_min=1.0, floor_max=1.0, tolerance_min=0.03, tolerance_max=0.03)},
        surfaces={},
        default_policy="online",
        exploration_rate=0.1,
        exploration_min_evidence=10.0,
        exploration_max_cost_ratio=10.0,
    )
    matrix = RoutingMatrix()
    q_sum = cost_sum = 0.0
    fixed: dict[str, list[float]] = {m: [0.0, 0.0] for m in models}
    print(f"online replay of {len(train)} train prompts, feedback for the chosen model only; {COST_NOTE}")
    print(f"{'requests':>8s} {'quality':>8s} {'cost $/req':>11s} {'best fixed':>28s} {'its q':>7s} {'its cost':>10s} {'gap':>7s} {'matrix v':>8s}")
    report = _online_reporter(fixed, block)
    for i, r in enumerate(train, 1):
        req = request_for(r)
        c = classify(req)
        d = decide(req, candidates, matrix, settings=settings, classification=c)
        score = r.scores[d.model]
        q_sum += score
        cost_sum += r.cost(by_name[d.model])
        matrix = apply_signal(matrix, QualitySignal(c.task_type, c.complexity, d.model, score, source="benchmark", at=float(i)))
        for m in models:
            fixed[m][0] += r.scores[m]
            fixed[m][1] += r.cost(by_name[m])
        if i % block == 0 or i == len(train):
            report(i, q_sum, cost_sum, matrix.version)


def _online_reporter(fixed: dict[str, list[float]], block: int) -> Callable[[int, float, float, int], None]:
    def report(n: int, q_sum: float, cost_sum: float, version: int) -> None:
        best = max(fixed, key=lambda m: fixed[m][0])
        bq, bc = fixed[best][0] / n, fixed[best][1] / n
        q = q_sum / n
        print(f"{n:8d} {q:8.4f} {cost_sum / n:11.3e} {best:>28s} {bq:7.4f} {bc:10.3e} {q - bq:+7.4f} {version:8d}")

    return report


def main() -> None:
    """Offline comparison (default) or online replay (``--online``)."""
    parser = argparse.ArgumentParser(description="Switchboard routing quality on routing-tune")
    parser.add_argument("--online", action="store_true", help="replay train with feedback for the chosen model only")
    args = parser.parse_args()
    online() if args.online else offline()


if __name__ == "__main__":
    main()
