"""Train the router's shipped classifier weights from the routing-tune TRAIN split only.

    /work/main/.venv/bin/python bench/train_router.py            # writes daemon/router/classifier_weights.json

Two linear models over the classifier's own features (``daemon.router.features``) plus a word
vocabulary (words in at least MIN_DF train prompts):

- task type: softmax regression; labels are the dataset task mapped to a Switchboard task type
  (``bench/_routing_data.TRAIN_LABELS``); the labels are used here only, never at decision time;
- complexity: logistic regression on the prompt's failure rate (1 - mean score over all models),
  i.e. "how hard is this for a typical model".

Pure Python (no numpy), seeded, deterministic: the same data gives byte-identical weights. A fifth
of train (every 5th row) is held out first to report accuracy and error, then the final weights
are fitted on all of train.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._routing_data import DATA_DIR, TRAIN_LABELS, Row, load_rows
from daemon.router.classify import WEIGHTS_PATH
from daemon.router.features import FEATURE_NAMES, extract
from daemon.router.types import RouteRequest

MIN_DF = 5
MAX_VOCAB = 3000
EPOCHS = 25
LR = 0.05
L2 = 1e-4
PRUNE = 0.02
SEED = 20250101

Sparse = list[tuple[int, float]]

TASK_IGNORES = frozenset({"question", "question_mark"})
"""Dense features the task-type model does not get: in this data a question mark separates the
multiple-choice sets from the open QA sets, which says nothing about developers' prompts."""


def featurize(rows: list[Row]) -> tuple[list[tuple[dict[str, float], set[str]]], list[str]]:
    """Features of each row and the vocabulary (by document frequency, then alphabetically)."""
    feats = []
    df: Counter[str] = Counter()
    for r in rows:
        dense, words = extract(RouteRequest.from_prompt(r.prompt))
        wset = set(words)
        feats.append((dense, wset))
        df.update(wset)
    vocab = sorted((w for w, n in df.items() if n >= MIN_DF), key=lambda w: (-df[w], w))[:MAX_VOCAB]
    return feats, sorted(vocab)


def vectorize(
    feats: list[tuple[dict[str, float], set[str]]], vocab: list[str], ignore: frozenset[str] = frozenset()
) -> list[Sparse]:
    """Sparse vectors: dense features first (minus ``ignore``), then one slot per vocabulary word."""
    index = {w: len(FEATURE_NAMES) + i for i, w in enumerate(vocab)}
    out = []
    for dense, words in feats:
        vec = [(i, dense[name]) for i, name in enumerate(FEATURE_NAMES) if dense[name] and name not in ignore]
        vec += [(index[w], 1.0) for w in sorted(words) if w in index]
        out.append(vec)
    return out


def _dot(w: list[float], x: Sparse) -> float:
    return sum(w[i] * v for i, v in x)


def fit_softmax(xs: list[Sparse], ys: list[int], n_classes: int, dim: int) -> list[list[float]]:
    """Multinomial logistic regression by SGD with L2 (lazy-free: small data, plain updates)."""
    rng = random.Random(SEED)
    w = [[0.0] * dim for _ in range(n_classes)]
    order = list(range(len(xs)))
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        lr = LR / (1 + epoch * 0.2)
        for n in order:
            x, y = xs[n], ys[n]
            logits = [_dot(wc, x) for wc in w]
            top = max(logits)
            exps = [math.exp(z - top) for z in logits]
            total = sum(exps)
            for c in range(n_classes):
                g = exps[c] / total - (1.0 if c == y else 0.0)
                wc = w[c]
                for i, v in x:
                    wc[i] -= lr * (g * v + L2 * wc[i])
    return w


def fit_logistic(xs: list[Sparse], ts: list[float], dim: int) -> list[float]:
    """Logistic regression with soft targets in [0, 1] (cross-entropy), SGD with L2."""
    rng = random.Random(SEED + 1)
    w = [0.0] * dim
    order = list(range(len(xs)))
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        lr = LR / (1 + epoch * 0.2)
        for n in order:
            x = xs[n]
            z = max(-30.0, min(30.0, _dot(w, x)))
            g = 1.0 / (1.0 + math.exp(-z)) - ts[n]
            for i, v in x:
                w[i] -= lr * (g * v + L2 * w[i])
    return w


def targets(rows: list[Row]) -> tuple[list[str], list[int], list[float]]:
    """Class names, class index per row, and difficulty (1 - mean score) per row."""
    classes = sorted({TRAIN_LABELS[r.task].value for r in rows})
    ys = [classes.index(TRAIN_LABELS[r.task].value) for r in rows]
    ts = [1.0 - sum(r.scores.values()) / len(r.scores) for r in rows]
    return classes, ys, ts


def train(rows: list[Row]) -> tuple[list[str], list[str], list[list[float]], list[float]]:
    """Fit both models on ``rows``; returns classes, vocabulary, task weights, complexity weights."""
    feats, vocab = featurize(rows)
    classes, ys, ts = targets(rows)
    dim = len(FEATURE_NAMES) + len(vocab)
    task_model = fit_softmax(vectorize(feats, vocab, TASK_IGNORES), ys, len(classes), dim)
    return classes, vocab, task_model, fit_logistic(vectorize(feats, vocab), ts, dim)


def evaluate(train_rows: list[Row], held: list[Row]) -> dict[str, float]:
    """Held-out task accuracy and complexity mean absolute error of a fit on ``train_rows``."""
    classes, vocab, wt, wc = train(train_rows)
    feats, _ = featurize(held)
    xs = vectorize(feats, vocab)
    xt = vectorize(feats, vocab, TASK_IGNORES)
    _, ys, ts = targets(held)
    correct = sum(1 for x, y in zip(xt, ys, strict=True) if max(range(len(classes)), key=lambda c: _dot(wt[c], x)) == y)
    mae = sum(abs(1 / (1 + math.exp(-_dot(wc, x))) - t) for x, t in zip(xs, ts, strict=True)) / len(xs)
    return {"task_accuracy": correct / len(xs), "complexity_mae": mae}


def to_json(classes: list[str], vocab: list[str], wt: list[list[float]], wc: list[float], source_hash: str) -> dict:
    """The shipped weights file: small weights pruned, values rounded, keys sorted."""
    d = len(FEATURE_NAMES)

    def keep(v: float) -> bool:
        return abs(v) >= PRUNE

    task_dense = {c: {FEATURE_NAMES[i]: round(wt[k][i], 4) for i in range(d) if keep(wt[k][i])} for k, c in enumerate(classes)}
    task_words: dict[str, dict[str, float]] = {}
    for j, word in enumerate(vocab):
        ws = {c: round(wt[k][d + j], 4) for k, c in enumerate(classes) if keep(wt[k][d + j])}
        if ws:
            task_words[word] = ws
    comp_dense = {FEATURE_NAMES[i]: round(wc[i], 4) for i in range(d) if keep(wc[i])}
    comp_words = {word: round(wc[d + j], 4) for j, word in enumerate(vocab) if keep(wc[d + j])}
    return {
        "version": f"routing-tune-train-{source_hash[:12]}",
        "trained_on": "routing-tune prompts.jsonl, split=train only (bench/train_router.py)",
        "task": {"dense": task_dense, "words": task_words},
        "complexity": {"dense": comp_dense, "words": comp_words},
    }


def main() -> None:
    """Hold-out report, then fit on all of train and write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args()
    rows = load_rows("train")
    source_hash = hashlib.sha256((DATA_DIR / "prompts.jsonl").read_bytes()).hexdigest()
    held = [r for i, r in enumerate(rows) if i % 5 == 4]
    fit = [r for i, r in enumerate(rows) if i % 5 != 4]
    report = evaluate(fit, held)
    print(f"held-out fifth of train: task-type accuracy {report['task_accuracy']:.3f}, complexity MAE {report['complexity_mae']:.3f}")
    classes, vocab, wt, wc = train(rows)
    data = to_json(classes, vocab, wt, wc, source_hash)
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    n_words = len(data["task"]["words"]) + len(data["complexity"]["words"])
    print(f"wrote {args.out} ({len(rows)} train prompts, {len(vocab)} vocabulary words, {n_words} word weights kept)")


if __name__ == "__main__":
    main()
