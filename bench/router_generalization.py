"""Does the router's judgement carry to prompts it has never seen? Leave-one-task-out on routing-tune.

    .venv/bin/python bench/router_generalization.py                 # held-out tasks, pooled, groups
    .venv/bin/python bench/router_generalization.py --learning      # + the online-learning curve
    .venv/bin/python bench/router_generalization.py --write DIR     # also keep the scores files
    .venv/bin/python bench/router_generalization.py --baseline-rev 01e3e12   # + that revision's router, same prompts

For every task of routing-tune the router is trained without it (``bench/train_router.py``'s
learned difficulty corrections are fitted on the other tasks' train split; the hand-set weights
never see the data) and scores **every** prompt of the held-out task, both splits, through the
public routing path: ``decide()`` with two configured candidates, the strong model as a
medium-tier model and the weak one as a small-tier model (list prices from models.json), an empty
matrix and no outcomes. A prompt's score is how much the router expects the strong model to beat
the weak one: predicted quality (strong) minus predicted quality (weak).

The yardstick is ``../shared/tools/pgr.py``: the share of the weak→strong quality gap recovered by
sending the top x% of prompts (by score) to the strong model, for every x, next to the same figure
for prompt length and for random rankings on the same prompts. It is printed per held-out task,
as their mean, pooled (all held-out prompts ranked together) and for groups of three tasks held
out together (mixed traffic, one router per group).

``--learning``: the held-out tasks (groups of three) replayed in a random order, the router
learning online from each prompt's outcomes on both models (what shadow comparisons give): the
same figure on the prompts not yet seen, after 50, 300 and 1,000 outcomes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._routing_data import DATA_DIR, Row, load_rows  # noqa: E402

PGR = Path(__file__).resolve().parents[2] / "shared" / "tools" / "pgr.py"
if not PGR.exists():
    PGR = DATA_DIR.parents[1] / "tools" / "pgr.py"
STRONG, WEAK = "llama-3.1-nemotron-51b-instruct", "codegemma-7b"
GROUPS_SEED = 7
N_GROUPS = 5


def candidates(strong: str, weak: str):  # type: ignore[no-untyped-def]
    """The two models as a user would configure them: the strong one medium tier, the weak one small."""
    from daemon.router.types import Candidate

    prices = json.loads((DATA_DIR / "models.json").read_text())
    def cand(name: str, tier: str) -> Candidate:
        p = prices[name]
        return Candidate(name, tier, p["input_usd_per_mtok"], p["output_usd_per_mtok"], 1_000_000)  # type: ignore[arg-type]
    return [cand(strong, "medium"), cand(weak, "small")]


def gap_scores(rows: Sequence[Row], cands, difficulty, knowledge=None, matrix=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Router score per prompt id: predicted quality(strong) - predicted quality(weak)."""
    from daemon.router.classify import classify
    from daemon.router.engine import decide
    from daemon.router.matrix import RoutingMatrix
    from daemon.router.memory import NO_KNOWLEDGE
    from daemon.router.settings import RoutingSettings
    from daemon.router.types import RouteRequest

    settings = RoutingSettings(exploration_rate=0.0)
    matrix = matrix or RoutingMatrix()
    out = {}
    for row in rows:
        request = RouteRequest.from_prompt(row.prompt, request_id=row.id)
        cls = classify(request, difficulty=difficulty)
        d = decide(request, cands, matrix, settings=settings, classification=cls, knowledge=knowledge or NO_KNOWLEDGE)
        q = {c.model: c.predicted_quality for c in d.candidates}
        out[row.id] = q[cands[0].name] - q[cands[1].name]
    return out


def run_pgr(scores: dict[str, float], strong: str, weak: str, keep: Path | None, name: str) -> str:
    """pgr.py's table for these scores."""
    folder = keep or Path(tempfile.mkdtemp(prefix="pgr-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"id": i, "score": s}) + "\n" for i, s in scores.items()))
    result = subprocess.run([sys.executable, str(PGR), str(path), "--strong", strong, "--weak", weak,
                             "--data", str(DATA_DIR / "prompts.jsonl")], capture_output=True, text=True, check=True)
    return result.stdout


def summary_line(table: str, label: str) -> tuple[float, float, float] | None:
    """(router, length, random) of one row of pgr.py's table."""
    for line in table.splitlines():
        if line.startswith(label):
            parts = line[len(label):].split()
            if label.startswith("mean"):
                return float(parts[0]), float(parts[1]), 0.5
            return float(parts[3]), float(parts[4]), float(parts[5])
    return None


def trained_difficulty(train: Sequence[Row], use_learned: bool):  # type: ignore[no-untyped-def]
    """The difficulty weights a router trained on ``train`` would ship."""
    from daemon.router.difficulty import DifficultyWeights, shipped_difficulty

    if not use_learned:
        return DifficultyWeights.combine()
    from bench.train_router import fit_corrections

    # The semantic term never saw routing-tune (it is fitted on labelled developer requests): shipped as is.
    semantic = shipped_difficulty().semantic
    return DifficultyWeights.combine(fit_corrections(train), "fold", None if semantic is None else list(semantic))


def held_out_groups(tasks: Sequence[str]) -> list[tuple[str, ...]]:
    rng = random.Random(GROUPS_SEED)
    return [tuple(sorted(rng.sample(list(tasks), 3))) for _ in range(N_GROUPS)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strong", default=STRONG)
    ap.add_argument("--weak", default=WEAK)
    ap.add_argument("--prior-only", action="store_true", help="hand-set difficulty weights only (no learned corrections)")
    ap.add_argument("--learning", action="store_true", help="also the online-learning curve")
    ap.add_argument("--write", type=Path, default=None, help="keep the scores files here")
    ap.add_argument("--baseline-rev", default=None,
                    help="also score every prompt with the router of this git revision (its shipped weights, no retraining)")
    args = ap.parse_args()
    rows = load_rows()
    tasks = sorted({r.task for r in rows})
    cands = candidates(args.strong, args.weak)
    learned = not args.prior_only
    print(f"strong {args.strong} (medium tier), weak {args.weak} (small tier); learned corrections: {learned}")

    loto: dict[str, float] = {}
    for task in tasks:
        train = [r for r in rows if r.task != task and r.split == "train"]
        loto |= gap_scores([r for r in rows if r.task == task], cands, trained_difficulty(train, learned))
    table = run_pgr(loto, args.strong, args.weak, args.write, "leave-one-task-out")
    print("\n## Leave one task out (each task scored by a router trained without it)\n")
    print(table)

    print("## Groups of three tasks held out together (mixed traffic)\n")
    pooled = []
    for group in held_out_groups(tasks):
        train = [r for r in rows if r.task not in group and r.split == "train"]
        scores = gap_scores([r for r in rows if r.task in group], cands, trained_difficulty(train, learned))
        row = summary_line(run_pgr(scores, args.strong, args.weak, args.write, "group-" + "-".join(group)),
                           "pooled (mixed traffic)")
        assert row is not None
        pooled.append(row)
        print(f"  {', '.join(group):58s} router {row[0]:.3f}  length {row[1]:.3f}  random {row[2]:.3f}")
    print(f"  {'mean over groups':58s} router {statistics.mean(p[0] for p in pooled):.3f}  "
          f"length {statistics.mean(p[1] for p in pooled):.3f}  random {statistics.mean(p[2] for p in pooled):.3f}")

    if args.learning:
        learning_curve(rows, tasks, cands, args, learned)
    if args.baseline_rev:
        print(f"\n## The router at {args.baseline_rev}, same prompts and candidates (its own shipped weights)\n")
        print(run_pgr(baseline_scores(args.baseline_rev, args.strong, args.weak), args.strong, args.weak,
                      args.write, f"baseline-{args.baseline_rev}"))
    return 0


_BASELINE = """
import json, sys
from daemon.router.engine import decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.settings import RoutingSettings
from daemon.router.types import Candidate, RouteRequest
data, strong, weak = sys.argv[1:4]
prices = json.load(open(data + "/models.json"))
cand = lambda n, t: Candidate(n, t, prices[n]["input_usd_per_mtok"], prices[n]["output_usd_per_mtok"], 1_000_000)
cands, settings = [cand(strong, "medium"), cand(weak, "small")], RoutingSettings(exploration_rate=0.0)
for line in open(data + "/prompts.jsonl"):
    r = json.loads(line)
    d = decide(RouteRequest.from_prompt(r["prompt"], request_id=r["id"]), cands, RoutingMatrix(), settings=settings)
    q = {c.model: c.predicted_quality for c in d.candidates}
    print(json.dumps({"id": r["id"], "score": q[strong] - q[weak]}))
"""


def baseline_scores(rev: str, strong: str, weak: str) -> dict[str, float]:
    """Every prompt's gap score from the router of git revision ``rev``, run from a temporary worktree."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="router-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            out = subprocess.run([sys.executable, "-c", _BASELINE, str(DATA_DIR), strong, weak], cwd=tree,
                                 capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONPATH": str(tree)}).stdout
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=True)
    return {item["id"]: item["score"] for item in map(json.loads, out.splitlines())}


def learning_curve(rows: Sequence[Row], tasks: Sequence[str], cands, args, learned: bool) -> None:  # type: ignore[no-untyped-def]
    """The router learning from outcomes on held-out tasks, measured on the prompts it has not seen."""
    from daemon.router.classify import classify
    from daemon.router.matrix import QualitySignal, RoutingMatrix, apply_signals
    from daemon.router.memory import Knowledge, Outcome
    from daemon.router.types import RouteRequest

    checkpoints = (0, 50, 300, 1000)
    print("\n## Learning from its own outcomes (groups of three held out; outcomes on both models per prompt)\n")
    print(f"  {'group':58s} " + "  ".join(f"{n:>5d}" for n in checkpoints) + "   length")
    curves = []
    for group in held_out_groups(tasks):
        train = [r for r in rows if r.task not in group and r.split == "train"]
        difficulty = trained_difficulty(train, learned)
        stream = [r for r in rows if r.task in group]
        random.Random(11).shuffle(stream)
        knowledge, matrix, seen, outcomes = Knowledge(), RoutingMatrix(), 0, 0
        curve = []
        length = 0.0
        for target in checkpoints:
            batch: list[Outcome] = []
            signals: list[QualitySignal] = []
            while outcomes < target and seen < len(stream):
                row = stream[seen]
                seen += 1
                cls = classify(RouteRequest.from_prompt(row.prompt), difficulty=difficulty)
                for cand in cands:
                    quality = row.scores[cand.name]
                    batch.append(Outcome(cls.embedding, cand.name, quality, difficulty=cls.difficulty,
                                         task_type=cls.task_type))
                    signals.append(QualitySignal(cls.task_type, cls.complexity, cand.name, quality, source="judge"))
                    outcomes += 1
            knowledge = knowledge.adding(batch)
            matrix = apply_signals(matrix, signals)
            rest = stream[seen:]
            scores = gap_scores(rest, cands, difficulty, knowledge, matrix)
            row_ = summary_line(run_pgr(scores, args.strong, args.weak, None, "learn"), "pooled (mixed traffic)")
            assert row_ is not None
            curve.append(row_[0])
            length = row_[1] if target == 0 else length
        curves.append(curve)
        print(f"  {', '.join(group):58s} " + "  ".join(f"{v:5.3f}" for v in curve) + f"   {length:5.3f}")
    print(f"  {'mean':58s} " + "  ".join(f"{statistics.mean(c[i] for c in curves):5.3f}"
                                          for i in range(len(checkpoints))))


if __name__ == "__main__":
    raise SystemExit(main())
