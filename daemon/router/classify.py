"""Task type and complexity of a request, with the features that drove them.

The classifier reads the request's **ask** (``daemon.router.prompt``: the latest turn a person
wrote, and the tool results that answer it), never an agent's system prompt or tool schemas,
which are context features.

- **Task type**: structure rules settle what the ask's shape says plainly (a caller's hint,
  fill-in-the-middle, code with an edit or explain instruction, an imperative to write, tabular
  data, JSON asked); otherwise the ask's embedding is compared with the centre of each type's
  seed examples (``task_centroids.json``, made by ``bench/train_router.py`` from hand-labelled
  developer prompts), added to hand-set cue scores.
- **Complexity** is σ(difficulty): a linear model of how demanding the ask is
  (``daemon.router.difficulty``), shifted by the name the client sent when an alias says it wants
  a light or a heavy answer.

Without the embedding files the cue scores decide the type alone, so routing still works.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from daemon.router.difficulty import DifficultyWeights, shipped_difficulty
from daemon.router.embedding import StaticEmbedder, shipped_embedder
from daemon.router.features import CUES, WORD, extract
from daemon.router.prompt import PromptView
from daemon.router.types import Classification, RouteRequest, TaskType, rounder

CENTROIDS_PATH = Path(__file__).with_name("task_centroids.json")

Classifier = Callable[[RouteRequest], Classification]
"""Anything that maps a request to a classification."""

# Hand-set cue scores per type: what the ask's features say about its type.
_RULE_WEIGHTS: dict[TaskType, dict[str, float]] = {
    TaskType.CODE_COMPLETION: {"code_lines": 2.0, "ends_with_code": 1.5, "symbols": 0.5, "code_blocks": 0.5},
    TaskType.CODE_EDIT: {"edit": 1.2, "code_blocks": 1.0, "files": 1.0, "code_lines": 1.0, "debug": 0.5},
    TaskType.CODE_EXPLAIN: {"explain": 1.2, "code_blocks": 1.0, "code_lines": 1.0},
    TaskType.PROSE: {"prose": 1.5, "bias": 0.2},
    TaskType.DATA: {"data": 1.5, "digits": 0.3},
    TaskType.MATH: {"math": 1.2, "math_symbols": 1.2, "digits": 0.8},
    TaskType.CHAT: {"bias": 0.6, "question": 0.5, "question_mark": 0.5, "trivial": 1.0},
    TaskType.EXTRACTION: {"extract": 1.2, "choices": 1.5, "json": 1.5},
}
CENTROID_WEIGHT = 6.0
"""Cue-score points per unit of (cosine to a type's centre minus the mean cosine to all centres)."""

TASK_SHIFT: dict[TaskType, float] = {
    TaskType.CODE_COMPLETION: -0.3,
    TaskType.EXTRACTION: -0.3,
    TaskType.CHAT: -0.2,
    TaskType.MATH: 0.3,
    TaskType.CODE_EDIT: 0.2,
}
"""Difficulty added by task type: completing a line or pulling fields out of given text is lighter
work than editing code or solving a math problem of the same length."""

_WRITING_VERBS = frozenset(
    "write draft compose rewrite summarize summarise translate proofread polish paraphrase outline".split()
)
_CODE_NOUNS = frozenset(
    "function functions class method script code program regex query sql python javascript typescript rust go "
    "java test tests unittest endpoint api cli bash shell dockerfile variable variables module modules loop "
    "logic handler repo repository codebase service services".split()
)
_PROOF_VERBS = frozenset("prove derive".split())
_EXTRACTION_VERBS = frozenset("extract classify categorize categorise label tag parse".split())
_EDIT_CUES, _EXPLAIN_CUES = CUES["edit"], CUES["explain"]
_TYPES = tuple(TaskType)
_round_feature = rounder(3)


@dataclass(frozen=True, eq=False)
class TypeCentroids:
    """The unit centre of each task type's seed embeddings."""

    types: tuple[TaskType, ...]
    matrix: np.ndarray
    """(types, dims) float32, unit rows."""
    version: str = "unknown"

    def scores(self, embedding: np.ndarray) -> dict[TaskType, float]:
        """Per type, cosine to its centre minus the mean cosine (positive: closer than average)."""
        sims = self.matrix @ embedding
        mean = float(sims.mean())
        return {t: float(s) - mean for t, s in zip(self.types, sims, strict=True)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TypeCentroids:
        """Parse the JSON written by ``bench/train_router.py``."""
        centres = data["centroids"]
        assert isinstance(centres, dict)
        types = tuple(TaskType(t) for t in centres)
        matrix = np.array([centres[t.value] for t in types], np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        return cls(types, matrix, str(data.get("version", "unknown")))


@lru_cache(maxsize=1)
def shipped_centroids() -> TypeCentroids | None:
    """The shipped task-type centres, or None when the file is absent."""
    if not CENTROIDS_PATH.exists():
        return None
    return TypeCentroids.from_dict(json.loads(CENTROIDS_PATH.read_text(encoding="utf-8")))


_SHIPPED = object()


def classify(
    request: RouteRequest,
    *,
    embedder: StaticEmbedder | None | object = _SHIPPED,
    centroids: TypeCentroids | None | object = _SHIPPED,
    difficulty: DifficultyWeights | None = None,
) -> Classification:
    """Task type, complexity and difficulty of ``request``, its ask's embedding and what drove them.

    The defaults are the shipped embedder, centres and difficulty weights; pass None to go without.
    """
    emb_model = shipped_embedder() if embedder is _SHIPPED else embedder
    centres = shipped_centroids() if centroids is _SHIPPED else centroids
    weights = difficulty or shipped_difficulty()
    view = PromptView.of(request)
    feats, words, instruction = extract(request, view)
    embedding = emb_model.embed(view.ask) if isinstance(emb_model, StaticEmbedder) and view.ask else None
    type_scores = centres.scores(embedding) if embedding is not None and isinstance(centres, TypeCentroids) else None
    task = _task_type(request, instruction, feats, words, type_scores)
    semantic = weights.semantic_term(embedding)
    d = weights.difficulty(feats, request.model_hint, TASK_SHIFT.get(task, 0.0), semantic)
    complexity = 1.0 / (1.0 + math.exp(-d))
    shown = {k: _round_feature(v) for k, v in feats.items() if v and k != "bias"}
    if semantic:
        shown["semantic"] = _round_feature(semantic)
    return Classification(task_type=task, complexity=complexity, features=shown, difficulty=d, embedding=embedding,
                          drivers=tuple(weights.drivers(feats, semantic)))


def _task_type(
    request: RouteRequest,
    instruction: str,
    feats: Mapping[str, float],
    words: list[str],
    type_scores: Mapping[TaskType, float] | None,
) -> TaskType:
    if request.task_hint is not None:
        return request.task_hint
    if request.is_fim:
        return TaskType.CODE_COMPLETION
    has_code = feats["code_blocks"] > 0 or feats["code_lines"] >= 0.25
    if has_code:
        # With code in the ask, the instruction around it decides: edit, explain, or (no instruction,
        # ending in code) completion. Cue words inside the code itself ("add", "update") do not count.
        edit, explain, n_words = _instruction_cues(instruction)
        if edit > 0 and edit >= explain:
            return TaskType.CODE_EDIT
        if explain > 0:
            return TaskType.CODE_EXPLAIN
        if feats["ends_with_code"] and n_words <= 12:
            return TaskType.CODE_COMPLETION
    if words and not has_code and _CODE_NOUNS.intersection(words[1:9]):
        # An imperative about code named in words ("refactor this function", "explain how the retry
        # logic in this class works") is a code task even when the code itself is not pasted in.
        if words[0] in CUES["edit"]:
            return TaskType.CODE_EDIT
        if words[0] in CUES["explain"]:
            return TaskType.CODE_EXPLAIN
    if words and words[0] in _PROOF_VERBS:
        return TaskType.MATH
    if words and words[0] in _WRITING_VERBS and not has_code:
        # An imperative "write/draft/summarize ..." is a writing task; "write a function" is code.
        return TaskType.CODE_COMPLETION if _CODE_NOUNS.intersection(words[:12]) else TaskType.PROSE
    if words and words[0] in _EXTRACTION_VERBS and not has_code:
        return TaskType.EXTRACTION
    if feats["data"] >= 1.0 and not has_code:
        return TaskType.DATA
    if request.wants_json or (feats["choices"] >= 0.6 and not has_code):
        # JSON asked for, or a pick among lettered options given in the ask: extraction/classification.
        return TaskType.EXTRACTION
    scores = {t: sum(w * feats.get(name, 0.0) for name, w in _RULE_WEIGHTS[t].items()) for t in _TYPES}
    if type_scores is not None:
        for t, s in type_scores.items():
            scores[t] += CENTROID_WEIGHT * s
    # Highest score wins; on a tie the type listed first in TaskType.
    return max(_TYPES, key=lambda t: (scores[t], -_TYPES.index(t)))


def _instruction_cues(instruction: str) -> tuple[int, int, int]:
    """(edit cues, explain cues, words) in the instruction: the prose around the code, whose own cue
    words ("add", "update" in a pasted file) do not count."""
    edit = explain = n_words = 0
    for word in WORD.findall(instruction.lower()):
        n_words += 1
        edit += word in _EDIT_CUES
        explain += word in _EXPLAIN_CUES
    return edit, explain, n_words
