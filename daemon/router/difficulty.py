"""How hard a request is, as one number: its difficulty on a logit scale, and complexity = σ(difficulty).

The difficulty model is linear in the request's features (``daemon.router.features``), so every
decision can say what drove it. Its weights have two layers:

- **Hand-set weights** (``PRIOR_WEIGHTS``) say what makes work hard for any model, whatever the
  prompt's wording: how long and structured the ask is, whether it asks for reasoning, proof or
  design, how much code and how many files are in play, how many constraints it sets, how deep an
  answer it wants, a traceback to chase. A greeting or a one-line factual question is easy.
  Context (a long system prompt, tool schemas, a long conversation) weighs little: an agent's
  "say hello" is still a greeting.
- **Learned corrections** (``difficulty_weights.json``, fitted by ``bench/train_router.py`` on
  routing-tune) adjust those weights by how item difficulty varied *within* each public task, with
  one free offset per task. The offsets absorb what differs between tasks (a grader that demands
  an exact string makes trivia look impossible), so a benchmark's quirks never become "short
  questions are hard". Corrections are shrunk toward zero and capped; leave-one-task-out chose a
  shrinkage under which they are nearly zero (what varies within those tasks does not carry).
- **A semantic term**: a linear map of the ask's embedding, fitted on hand-labelled developer
  requests (``bench/data/difficulty_seed.jsonl``: trivial to research-level, long pastes with easy
  asks and one-line expert asks) as a residual on top of the hand-set weights, with the length
  features partialled out so it learns what an ask is about ("exactly-once across crashes",
  "prove ... cyclic"), not how long it is.

Difficulty 0 is a middling request (complexity 0.5). The quality model (``daemon.router.quality``)
turns difficulty and a model's ability into a predicted quality.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_PATH = Path(__file__).with_name("difficulty_weights.json")

PRIOR_WEIGHTS: dict[str, float] = {
    # A typical short question sits below the middle; everything else moves it from there.
    "bias": -1.9,
    # The size and shape of the instruction (what a person wrote to say what to do, without the
    # material it operates on): a paragraph is harder than a line, a spec with a list of requirements
    # harder still (log_chars is ln(1 + chars) / 10: +0.35 per e-fold of length).
    "log_chars": 3.5,
    # Material the ask operates on (pasted code, data, logs) adds a little: more to read and keep
    # straight, but "rename this prop" stays easy however long the file (+0.1 per e-fold).
    "log_material": 1.0,
    "lines": 0.3,
    "list_items": 0.5,
    # What it asks for.
    "reasoning": 1.1,
    "scope": 0.7,
    "constraint": 0.7,
    "depth": 0.5,
    "debug": 0.45,
    "math": 0.5,
    "math_symbols": 0.35,
    "edit": 0.25,
    "files": 1.6,
    "code_blocks": 0.4,
    "code_lines": 0.4,
    "symbols": 0.25,
    "tool_trace": 0.5,
    "choices": 0.3,
    # Easy work: a greeting, a bare completion in the editor, pulling fields out of given text.
    "trivial": -1.5,
    "fim": -0.6,
    "surface_lsp": -0.4,
    "extract": -0.2,
    "json": -0.2,
    # Context, weighed lightly (see the module docstring), and a long requested answer.
    "turns": 0.3,
    "log_context_tokens": 0.6,
    "system": 0.1,
    "tools": 0.1,
    "log_max_output": 0.3,
}

HINT_SHIFT: dict[str, float] = {"light": -1.2, "heavy": 0.8}
"""Difficulty added when the name the client sent says what it wants: an agent asking for its
small/background model wants a cheap answer; one asking for its thinking model, a strong one."""

DIFFICULTY_CAP = 3.5
"""Difficulty saturates at ±this (complexity 0.03-0.97)."""

MAX_CORRECTION = 0.6
"""A learned correction moves a hand-set weight by at most this much."""


@dataclass(frozen=True, slots=True)
class DifficultyWeights:
    """Hand-set weights plus learned corrections, combined once, and the semantic term's weights."""

    weights: Mapping[str, float]
    version: str = "prior"
    semantic: np.ndarray | None = None
    """Weights over the ask's embedding (its last entry the intercept): the semantic term."""
    items: tuple[tuple[str, float], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple((k, v) for k, v in self.weights.items() if v))

    @classmethod
    def combine(cls, corrections: Mapping[str, float] | None = None, version: str = "prior",
                semantic: Sequence[float] | None = None) -> DifficultyWeights:
        """``PRIOR_WEIGHTS`` with each correction (capped at ``MAX_CORRECTION``) added."""
        merged = dict(PRIOR_WEIGHTS)
        for name, delta in (corrections or {}).items():
            merged[name] = merged.get(name, 0.0) + max(-MAX_CORRECTION, min(MAX_CORRECTION, float(delta)))
        vector = None if semantic is None else np.asarray(semantic, dtype=np.float32)
        return cls(merged, version, vector)

    def semantic_term(self, embedding: np.ndarray | None) -> float:
        """What the ask's meaning adds to its difficulty (0 without an embedding or semantic weights)."""
        if embedding is None or self.semantic is None or embedding.shape[0] + 1 != self.semantic.shape[0]:
            return 0.0
        return float(embedding @ self.semantic[:-1] + self.semantic[-1])

    def difficulty(self, feats: Mapping[str, float], hint: str | None = None, shift: float = 0.0,
                   semantic: float = 0.0) -> float:
        """The request's difficulty (logit scale) from its features, plus ``shift`` and the semantic term,
        softly capped at ±``DIFFICULTY_CAP``: past that, more cues say little more (a spec listing
        twenty files is not twice as hard as one listing ten)."""
        z = HINT_SHIFT.get(hint or "", 0.0) + shift + semantic
        for name, weight in self.items:
            value = feats.get(name)
            if value:
                z += weight * value
        return DIFFICULTY_CAP * math.tanh(z / DIFFICULTY_CAP)

    def drivers(self, feats: Mapping[str, float], semantic: float = 0.0, top: int = 3) -> list[tuple[str, float]]:
        """The features (and the ask's meaning, as "semantic") that moved its difficulty most."""
        terms = [(name, weight * feats[name]) for name, weight in self.items
                 if name != "bias" and feats.get(name) and abs(weight * feats[name]) >= 0.05]
        if abs(semantic) >= 0.05:
            terms.append(("semantic", semantic))
        terms.sort(key=lambda t: -abs(t[1]))
        return [(name, round(value, 2)) for name, value in terms[:top]]


def complexity_of(difficulty: float) -> float:
    """Complexity in [0, 1]: the logistic of difficulty."""
    return 1.0 / (1.0 + math.exp(-difficulty))


def difficulty_of(complexity: float) -> float:
    """The difficulty of a complexity (inverse of ``complexity_of``), clamped to a finite range."""
    c = min(1.0 - 1e-4, max(1e-4, complexity))
    return math.log(c / (1.0 - c))


@lru_cache(maxsize=1)
def shipped_difficulty() -> DifficultyWeights:
    """The hand-set weights with the shipped learned corrections (when the file is present)."""
    if not WEIGHTS_PATH.exists():
        return DifficultyWeights.combine()
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    semantic = data.get("semantic") or {}
    return DifficultyWeights.combine(data.get("corrections", {}), str(data.get("version", "learned")),
                                     semantic.get("weights"))
