"""Train what the router ships: difficulty corrections (routing-tune) and task-type centres (seed prompts).

    .venv/bin/python bench/train_router.py          # writes daemon/router/difficulty_weights.json
                                                    #    and daemon/router/task_centroids.json

**Difficulty corrections** (``fit_corrections``), from routing-tune's TRAIN split only: an
item-response model of every (prompt, model) score, P(success) = σ(a · (θ_model − b_prompt)), with
b_prompt = the hand-set difficulty (``daemon.router.difficulty.PRIOR_WEIGHTS`` over the router's own
features) + a correction per feature + a free offset per task. The offsets take whatever differs
between tasks (their graders, their topics), so the corrections learn only how difficulty varies
*within* a task — which is what transfers to prompts of a kind never seen. Corrections are ridge
-penalised toward zero and capped at ``MAX_CORRECTION`` when used. Model abilities are fitted
too and thrown away: the router's abilities come from the user's config.

**The semantic term** (``fit_semantic``): a ridge map from the ask's embedding to what the hand-set
difficulty misses, on hand-labelled developer requests (``bench/data/difficulty_seed.jsonl``, written
for training, separately from the smoke sets under ``bench/data``/``bench/smoke``).

**Task-type centres** (``fit_centroids``): the mean embedding of hand-labelled developer prompts per
task type (``bench/data/task_seed.jsonl``), normalised. Not routing-tune: its tasks are not
developer work.

numpy, full-batch Adam, seeded: the same data gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._routing_data import Row, load_rows  # noqa: E402
from daemon.router.classify import CENTROIDS_PATH, TASK_SHIFT, _task_type  # noqa: E402
from daemon.router.difficulty import PRIOR_WEIGHTS, WEIGHTS_PATH, DifficultyWeights  # noqa: E402
from daemon.router.features import extract  # noqa: E402
from daemon.router.prompt import PromptView  # noqa: E402
from daemon.router.types import RouteRequest, TaskType  # noqa: E402

SEED_PATH = Path(__file__).resolve().parent / "data" / "task_seed.jsonl"
DIFFICULTY_SEED_PATH = Path(__file__).resolve().parent / "data" / "difficulty_seed.jsonl"
DISCRIMINATION = 1.2
RIDGE = 5.0
"""Penalty on each correction, per unit of mean cross-entropy. Chosen by leave-one-task-out
(bench/router_generalization.py): 0.01, 0.05 and 0.5 all did worse on held-out tasks than 5, under which
the corrections are close to zero — what routing-tune says about difficulty within its tasks does not
carry to tasks it lacks, so the hand-set weights stay in charge."""
STEPS = 600
LR = 0.05
CORRECTED = tuple(name for name in PRIOR_WEIGHTS if name != "bias")
"""The weights that get a correction (the bias is absorbed by the task offsets)."""


def design(rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray]:
    """(features over ``CORRECTED`` per row, hand-set difficulty per row)."""
    X = np.zeros((len(rows), len(CORRECTED)))
    base = np.zeros(len(rows))
    for i, row in enumerate(rows):
        request = RouteRequest.from_prompt(row.prompt)
        view = PromptView.of(request)
        feats, words, instruction = extract(request, view)
        X[i] = [feats.get(name, 0.0) for name in CORRECTED]
        task = _task_type(request, instruction, feats, words, None)
        base[i] = sum(w * feats.get(n, 0.0) for n, w in PRIOR_WEIGHTS.items()) + TASK_SHIFT.get(task, 0.0)
    return X, base


def fit_corrections(rows: Sequence[Row], *, ridge: float = RIDGE, steps: int = STEPS) -> dict[str, float]:
    """Per-feature corrections to the hand-set difficulty weights, fitted within tasks (see module doc)."""
    models = sorted(rows[0].scores)
    tasks = sorted({r.task for r in rows})
    Y = np.array([[r.scores[m] for m in models] for r in rows])
    X, base = design(rows)
    task_index = np.array([tasks.index(r.task) for r in rows])
    n = len(rows)
    params = {"delta": np.zeros(X.shape[1]), "offset": np.zeros(len(tasks)), "theta": np.zeros(len(models))}
    m1 = {k: np.zeros_like(v) for k, v in params.items()}
    m2 = {k: np.zeros_like(v) for k, v in params.items()}
    a = DISCRIMINATION
    for step in range(1, steps + 1):
        b = base + X @ params["delta"] + params["offset"][task_index]
        p = 1.0 / (1.0 + np.exp(-a * (params["theta"][None, :] - b[:, None])))
        r = (p - Y) / n  # d loss / d z, mean cross-entropy per prompt
        grad_b = -a * r.sum(axis=1)
        grads = {
            "delta": X.T @ grad_b + ridge * params["delta"],
            "offset": np.bincount(task_index, grad_b, len(tasks)),
            "theta": a * r.sum(axis=0),
        }
        for k in params:
            m1[k] = 0.9 * m1[k] + 0.1 * grads[k]
            m2[k] = 0.999 * m2[k] + 0.001 * grads[k] ** 2
            params[k] -= LR * (m1[k] / (1 - 0.9**step)) / (np.sqrt(m2[k] / (1 - 0.999**step)) + 1e-8)
    return {name: round(float(v), 4) for name, v in zip(CORRECTED, params["delta"], strict=True) if abs(v) >= 0.01}


LEVEL_DIFFICULTY = {1: -2.5, 2: -1.2, 3: 0.0, 4: 1.3, 5: 2.6}
"""A labelled level (1 trivial ... 5 research-level) as a difficulty (complexity 0.08, 0.23, 0.5, 0.79, 0.93)."""
SEMANTIC_RIDGE = 1.0
"""Chosen by leave-one-domain-out on the labelled requests (Spearman 0.54 at 1, 0.47 at 3, 0.36 at 10)."""
PARTIALLED = ("log_chars", "log_material")


def fit_semantic(path: Path = DIFFICULTY_SEED_PATH, *, ridge: float = SEMANTIC_RIDGE) -> list[float]:
    """Weights over the ask's embedding (intercept last) predicting what the hand-set difficulty misses.

    A ridge regression of (labelled difficulty - hand-set difficulty) on the embedding, with the length
    features as unpenalised regressors that are then dropped: the labelled set pairs long pastes with
    easy asks and one-line asks with expert work on purpose, and the length coefficients soak that up
    so the embedding's weights learn what a request is about rather than how long it is.
    """
    from daemon.router.classify import classify

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    neutral = DifficultyWeights.combine()
    embeddings, lengths, residuals = [], [], []
    for row in rows:
        cls = classify(RouteRequest.from_prompt(row["prompt"]), difficulty=neutral)
        if cls.embedding is None:
            raise SystemExit("the embedding files are not installed (wordllama): cannot fit the semantic term")
        embeddings.append(cls.embedding)
        lengths.append([cls.features.get(name, 0.0) for name in PARTIALLED])
        residuals.append(LEVEL_DIFFICULTY[int(row["difficulty"])] - cls.difficulty)
    E = np.asarray(embeddings, np.float64)
    X = np.c_[E, np.asarray(lengths), np.ones(len(rows))]
    penalty = ridge * np.eye(X.shape[1])
    penalty[E.shape[1]:, E.shape[1]:] = 0.0  # length and intercept unpenalised
    w = np.linalg.solve(X.T @ X + penalty + 1e-9 * np.eye(X.shape[1]), X.T @ np.asarray(residuals))
    weights = w[:E.shape[1]]
    # Centred on the labelled set: the term moves a request up or down by what it is about, and adds
    # nothing on average (the intercept fitted beside the length terms belongs with them, not here).
    intercept = -float((E @ weights).mean())
    return [round(float(v), 5) for v in (*weights, intercept)]


def fit_centroids(path: Path = SEED_PATH) -> dict[str, list[float]]:
    """The normalised mean embedding of each task type's seed prompts."""
    from daemon.router.embedding import shipped_embedder

    embedder = shipped_embedder()
    if embedder is None:
        raise SystemExit("the embedding files are not installed (wordllama): cannot compute task centres")
    sums: dict[str, np.ndarray] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        task = TaskType(item["task_type"]).value
        sums[task] = sums.get(task, 0) + embedder.embed(item["prompt"])
    return {t: [round(float(x), 5) for x in v / np.linalg.norm(v)] for t, v in sorted(sums.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = ap.parse_args()
    train = load_rows("train")
    corrections = fit_corrections(train)
    semantic = fit_semantic()
    difficulty = {"version": f"routing-tune-train-{len(train)}-within-task+difficulty-seed", "discrimination": DISCRIMINATION,
                  "ridge": RIDGE, "corrections": corrections,
                  "semantic": {"ridge": SEMANTIC_RIDGE, "source": DIFFICULTY_SEED_PATH.name, "weights": semantic}}
    print(json.dumps(corrections, indent=1))
    centroids = {"version": f"task-seed-{sum(1 for _ in SEED_PATH.open())}", "centroids": fit_centroids()}
    if not args.dry_run:
        WEIGHTS_PATH.write_text(json.dumps(difficulty, indent=1) + "\n", encoding="utf-8")
        CENTROIDS_PATH.write_text(json.dumps(centroids) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_PATH} and {CENTROIDS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
