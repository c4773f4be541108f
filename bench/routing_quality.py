"""Routing quality on routing-tune: fit on train, report on test, through the public routing path.

    /work/main/.venv/bin/python bench/routing_quality.py            # offline: single models, oracle, zero router, routers
    /work/main/.venv/bin/python bench/routing_quality.py --online   # replay train with feedback for the chosen model only

The router is Switchboard's own: ``decide()`` with the 9 scored models as ``Candidate``s (prices
from models.json, tier from price), the shipped classifier (no task labels at decision time), and a
``RoutingMatrix`` built from train outcomes with ``apply_signals`` (one judge signal per train
prompt and model, keyed by the classifier's own task type and complexity).

The trade-off knob swept for the curves: for the complexity-gated policy, the quality tolerance
(how far below the best predicted quality a cheaper model may be, absolute floor off); for the
specialist policy, the cost weight (quality points traded per unit of cost relative to the dearest
model). Each policy's reported operating point is chosen on a held-out fifth of train, never on test.

AUC: mean quality over the cost range of the single models (area under the upper convex hull of a
router's points, the cheapest single model always available, divided by the range). The zero
router is the hull of the single models alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._routing_data import COST_NOTE, Row, load_candidates, load_rows, scored_models
from daemon.router.classify import classify
from daemon.router.engine import decide
from daemon.router.matrix import QualitySignal, RoutingMatrix, apply_signal, apply_signals
from daemon.router.settings import PolicySettings, RoutingSettings
from daemon.router.types import Candidate, Classification, RouteRequest

TOLERANCES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 1.0)
COST_WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0)
KNOBS = {"complexity": ("tolerance", TOLERANCES), "specialist": ("cost_weight", COST_WEIGHTS)}


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


def choose_operating_point(
    kind: str, train: Sequence[Row], candidates: Sequence[Candidate], models: Sequence[str], *, rule: str = "floor"
) -> tuple[float, float, float]:
    """Knob picked on a held-out fifth of train, by one of two rules:

    - ``floor``: the cheapest setting at or above the best single model's quality there;
    - ``cap``: the best quality among settings that cost at most 20% of the best single model there
      (the target's own cost budget, so the choice is made the way a user with that budget would).

    Returns (knob, validation quality, validation cost share of the best single model)."""
    fit = [r for i, r in enumerate(train) if i % 5 != 4]
    val = [r for i, r in enumerate(train) if i % 5 == 4]
    matrix = fit_matrix(fit, models)
    classes = [classify(request_for(r)) for r in val]
    singles = single_models(val, candidates)
    best = max(singles, key=lambda p: (p.quality, -p.cost))
    results = [(k, *run_router(val, classes, candidates, matrix, routed_settings(kind, k))) for k in KNOBS[kind][1]]
    if rule == "cap":
        capped = [(-q, cost, k) for k, q, cost in results if cost <= 0.2 * best.cost]
        if capped:
            neg_q, cost, knob = min(capped)
            return knob, -neg_q, cost / best.cost
    ok = [(cost, k, q) for k, q, cost in results if q >= best.quality]
    cost, knob, q = min(ok) if ok else (results[0][2], results[0][0], results[0][1])
    return knob, q, cost / best.cost


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
    cheapest_point = min((p.cost, p.quality) for p in singles)

    def line(label: str, q: float, cost: float) -> None:
        print(f"{label:58s} {q:8.4f} {cost:12.3e} {cost / best.cost:10.1%}")

    print(f"routing-tune: fit on {len(train)} train prompts, report on {len(test)} test prompts; {COST_NOTE}")
    print(f"{'router':58s} {'quality':>8s} {'cost $/req':>12s} {'% best cost':>11s}")
    for p in sorted(singles, key=lambda p: p.cost):
        line(p.label, p.quality, p.cost)
    o = oracle(test, candidates)
    line(o.label, o.quality, o.cost)

    curves: dict[str, list[Point]] = {}
    for kind, (name, knobs) in KNOBS.items():
        for rule in ("floor", "cap"):
            knob, vq, vshare = choose_operating_point(kind, train, candidates, models, rule=rule)
            q, cost = run_router(test, classes, candidates, matrix, routed_settings(kind, knob))
            line(f"Switchboard {kind}, {name}={knob} (train, rule {rule})", q, cost)
        curves[kind] = [
            Point(f"{kind} {name}={k}", *run_router(test, classes, candidates, matrix, routed_settings(kind, k))) for k in knobs
        ]
    shipped_q, shipped_cost = run_router(test, classes, candidates, matrix, RoutingSettings(exploration_rate=0.0))
    line("Switchboard auto:balanced, shipped defaults", shipped_q, shipped_cost)
    value_q, value_cost = run_router(
        test, classes, candidates, matrix, RoutingSettings(surfaces={}, default_policy="value", exploration_rate=0.0)
    )
    line("Switchboard auto:value, shipped defaults", value_q, value_cost)

    zero = [(p.cost, p.quality) for p in singles]
    print(f"\nAUC = mean quality over cost {lo:.3e}..{hi:.3e} $/req (upper hull; {COST_NOTE})")
    print(f"  {'zero router (hull of single models)':40s} {auc(zero, lo, hi):.4f}")
    for kind, pts in curves.items():
        print(f"  {'Switchboard ' + kind + ' sweep':40s} {auc([cheapest_point] + [(p.cost, p.quality) for p in pts], lo, hi):.4f}")
    for kind, pts in curves.items():
        print(f"\n{kind} sweep (test):")
        for p in pts:
            flag = "  <- meets target" if p.quality >= best.quality and p.cost <= 0.2 * best.cost else ""
            print(f"  {p.label:28s} quality {p.quality:.4f}  cost {p.cost:.3e} ({p.cost / best.cost:5.1%} of best single){flag}")
    print(
        f"\ntarget: quality >= {best.quality:.4f} ({best.label}) at <= {0.2 * best.cost:.3e} $/req (20% of its cost)"
    )


ONLINE_POLICY = PolicySettings(kind="complexity", floor_min=1.0, floor_max=1.0, tolerance_min=0.03, tolerance_max=0.03)
"""Online replay: complexity-gated, absolute floor off, cheapest model within 0.03 of the best estimate."""


def online(block: int = 500) -> None:
    """Replay train in order from an empty matrix (tier priors only); feedback only for the model chosen."""
    train = load_rows("train")
    models = sorted(scored_models(train))
    candidates = load_candidates(set(models))
    by_name = {c.name: c for c in candidates}
    settings = RoutingSettings(
        policies={"online": ONLINE_POLICY},
        surfaces={},
        default_policy="online",
        exploration_rate=0.1,
        exploration_min_evidence=10.0,
        exploration_max_cost_ratio=10.0,
    )
    matrix = RoutingMatrix()
    totals = [0.0, 0.0]
    window = [0.0, 0]
    fixed: dict[str, list[float]] = {m: [0.0, 0.0] for m in models}
    print(f"online replay of {len(train)} train prompts in file order, feedback for the chosen model only; {COST_NOTE}")
    print(
        "policy: complexity-gated, tolerance 0.03, absolute floor off; exploration 10% of requests, to models with < 10 "
        "outcomes in the cell; matrix starts empty (tier priors)"
    )
    print(
        f"{'requests':>8s} {'cum q':>7s} {'block q':>7s} {'cum $/req':>10s} {'best fixed so far':>32s} "
        f"{'its q':>7s} {'its $/req':>10s} {'gap q':>7s} {'matrix v':>8s}"
    )
    for i, r in enumerate(train, 1):
        req = request_for(r)
        c = classify(req)
        d = decide(req, candidates, matrix, settings=settings, classification=c)
        score = r.scores[d.model]
        totals[0] += score
        totals[1] += r.cost(by_name[d.model])
        window[0] += score
        window[1] += 1
        matrix = apply_signal(matrix, QualitySignal(c.task_type, c.complexity, d.model, score, source="benchmark", at=float(i)))
        for m in models:
            fixed[m][0] += r.scores[m]
            fixed[m][1] += r.cost(by_name[m])
        if i % block == 0 or i == len(train):
            best = max(fixed, key=lambda m: fixed[m][0])
            bq, bc = fixed[best][0] / i, fixed[best][1] / i
            q = totals[0] / i
            print(
                f"{i:8d} {q:7.4f} {window[0] / window[1]:7.4f} {totals[1] / i:10.3e} {best:>32s} "
                f"{bq:7.4f} {bc:10.3e} {q - bq:+7.4f} {matrix.version:8d}"
            )
            window = [0.0, 0]


def main() -> None:
    """Offline comparison (default) or online replay (``--online``)."""
    parser = argparse.ArgumentParser(description="Switchboard routing quality on routing-tune")
    parser.add_argument("--online", action="store_true", help="replay train with feedback for the chosen model only")
    args = parser.parse_args()
    online() if args.online else offline()


if __name__ == "__main__":
    main()
