"""Shared loading and cost accounting for the routing-tune benchmarks and the router trainer.

Cost estimate (stated next to every figure): input tokens = ceil(characters / 4); output tokens a
fixed answer length per task (``ANSWER_TOKENS``); cost = tokens x the model's list price from
models.json. The router itself never sees the task name: it predicts its own cost from the same
token estimate and a typical answer length for the task *type* it classified.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from daemon.router.types import Candidate, TaskType, Tier

DATA_DIR = Path(os.environ.get("ROUTING_TUNE_DIR", "/work/shared/data/routing-tune"))

ANSWER_TOKENS: dict[str, int] = {
    "natural_qa": 16,
    "trivia_qa": 16,
    "commonsense_qa": 8,
    "openbook_qa": 8,
    "arc_challenge": 8,
    "math": 300,
    "gpqa": 200,
    "human_eval": 200,
    "agentverse-logicgrid": 200,
    "commongen": 50,
}
"""Fixed answer length per task for the cost estimate (short answers for QA, worked solutions for math/code)."""

COST_NOTE = "cost = (ceil(chars/4) input + fixed answer tokens per task) x list price; mean USD per request"

TRAIN_LABELS: dict[str, TaskType] = {
    "human_eval": TaskType.CODE_COMPLETION,
    "math": TaskType.MATH,
    "agentverse-logicgrid": TaskType.MATH,
    "gpqa": TaskType.EXTRACTION,
    "natural_qa": TaskType.CHAT,
    "trivia_qa": TaskType.CHAT,
    "commonsense_qa": TaskType.EXTRACTION,
    "openbook_qa": TaskType.EXTRACTION,
    "arc_challenge": TaskType.EXTRACTION,
    "commongen": TaskType.PROSE,
}
"""Dataset task -> Switchboard task type, used ONLY as training labels for the classifier (train split).

Multiple-choice science/commonsense questions count as classification (extraction); graduate science
and logic puzzles as math/reasoning; open factual questions as chat; "write a sentence using these
concepts" as prose; HumanEval signatures as code completion."""


@dataclass(frozen=True, slots=True)
class Row:
    """One prompt with its per-model scores."""

    id: str
    split: str
    task: str
    prompt: str
    scores: dict[str, float]

    @property
    def input_tokens(self) -> int:
        """Benchmark token estimate of the prompt."""
        return (len(self.prompt) + 3) // 4

    def cost(self, candidate: Candidate) -> float:
        """Benchmark cost of answering this prompt with ``candidate`` (see module docstring)."""
        out = ANSWER_TOKENS[self.task]
        return (self.input_tokens * candidate.input_usd_per_mtok + out * candidate.output_usd_per_mtok) / 1e6


def load_rows(split: str | None = None) -> list[Row]:
    """Rows of one split (or all), in file order."""
    rows = []
    with (DATA_DIR / "prompts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if split is None or d["split"] == split:
                rows.append(Row(d["id"], d["split"], d["task"], d["prompt"], d["scores"]))
    return rows


def tier_for(price: float) -> Tier:
    """Tier from list price (USD per million tokens): the data has no tiers of its own."""
    if price <= 0.25:
        return Tier.SMALL
    if price <= 0.7:
        return Tier.MEDIUM
    return Tier.FRONTIER


def load_candidates(scored: set[str]) -> list[Candidate]:
    """The routable models (those with scores) as Candidates with models.json prices."""
    models = json.loads((DATA_DIR / "models.json").read_text(encoding="utf-8"))
    out = []
    for name in sorted(scored):
        m = models[name]
        out.append(
            Candidate(
                name=name,
                tier=tier_for(m["input_usd_per_mtok"]),
                input_usd_per_mtok=m["input_usd_per_mtok"],
                output_usd_per_mtok=m["output_usd_per_mtok"],
                context_window=32_000,
                provider=m["model"].split("/", 1)[0],
            )
        )
    return out


def scored_models(rows: list[Row]) -> set[str]:
    """Models that have a score on every row."""
    names = set(rows[0].scores)
    for r in rows:
        names &= set(r.scores)
    return names
