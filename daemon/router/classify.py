"""Task type and complexity of a request, with the features that drove them.

Two layers, both linear so a decision stays explainable and well under a millisecond:

- **Structure rules** (hand-written, below) settle what the prompt's shape says plainly: a caller's
  task hint, fill-in-the-middle, code with an edit or explain instruction, tabular data, JSON asked.
- **Learned weights** (``classifier_weights.json``, trained by ``bench/train_router.py`` on the
  routing-tune train split) score the remaining types from dense features and words, and predict
  complexity as the expected failure rate of a typical model on the prompt. Context that the
  training prompts never had (files in play, conversation depth, tools, long requested output)
  adds a hand-set term on top, so an agent's multi-file edit is never rated easy because a
  benchmark had no such prompt.

Without the weights file the hand-set fallbacks below are used, so the package works unconfigured.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from daemon.router.features import CODE_LINE, CUES, WORD, extract, scan
from daemon.router.types import Classification, RouteRequest, TaskType

WEIGHTS_PATH = Path(__file__).with_name("classifier_weights.json")

Classifier = Callable[[RouteRequest], Classification]
"""Anything that maps a request to a classification; a heavier (embedding) classifier plugs in here."""

# Hand-set task scores used when no learned weights exist (and for types the training data lacks).
_RULE_WEIGHTS: dict[TaskType, dict[str, float]] = {
    TaskType.CODE_COMPLETION: {"code_lines": 2.0, "ends_with_code": 1.5, "symbols": 0.5, "code_blocks": 0.5},
    TaskType.CODE_EDIT: {"edit": 1.2, "code_blocks": 1.0, "files": 1.0, "code_lines": 1.0},
    TaskType.CODE_EXPLAIN: {"explain": 1.2, "code_blocks": 1.0, "code_lines": 1.0},
    TaskType.PROSE: {"prose": 1.5, "comma_list": 1.0, "bias": 0.2},
    TaskType.DATA: {"data": 1.5, "digits": 0.5},
    TaskType.MATH: {"math": 1.2, "math_symbols": 1.5, "digits": 1.0, "reasoning": 1.0},
    TaskType.CHAT: {"bias": 0.5, "question": 0.5, "question_mark": 0.5},
    TaskType.EXTRACTION: {"extract": 1.2, "choices": 1.5, "json": 1.5},
}

_WRITING_VERBS = frozenset(
    "write draft compose rewrite summarize summarise translate proofread polish paraphrase outline".split()
)
_CODE_NOUNS = frozenset(
    "function functions class method script code program regex query sql python javascript typescript rust go "
    "java test tests unittest endpoint api cli bash shell dockerfile variable variables module modules loop "
    "logic handler repo repository codebase".split()
)
_PROOF_VERBS = frozenset("prove derive".split())
_FENCED = re.compile(r"```.*?(?:```|$)", re.S)
_TYPES = tuple(TaskType)
_ORDER = {t: i for i, t in enumerate(_TYPES)}

# Complexity contributions of context the training prompts never show (see module docstring).
_CONTEXT_COMPLEXITY: dict[str, float] = {
    "files": 0.25,
    "turns": 0.1,
    "tools": 0.08,
    "code_blocks": 0.08,
    "log_max_output": 0.15,
}

LEARNED_SHARE = 0.6
"""Weight of the learned complexity against the hand-set one (length, reasoning and math cues); 0.2-0.6
scored alike on a held-out fifth of train, and the larger share keeps the learned model in charge."""

# Fallback complexity model (no weights file): length, reasoning and math cues raise it.
_FALLBACK_COMPLEXITY: dict[str, float] = {
    "bias": -2.2,
    "log_chars": 2.2,
    "reasoning": 0.8,
    "math": 0.5,
    "math_symbols": 0.6,
    "symbols": 0.4,
}


@dataclass(frozen=True, slots=True)
class LinearWeights:
    """Learned weights: per-task dense and word weights, and a complexity regressor."""

    version: str
    task_dense: Mapping[TaskType, Mapping[str, float]]
    task_words: Mapping[str, Mapping[TaskType, float]]
    complexity_dense: Mapping[str, float]
    complexity_words: Mapping[str, float]
    untrained: tuple[TaskType, ...] = field(init=False)
    """Task types the training data had no examples of (they keep the hand-set rules)."""
    task_dense_items: tuple[tuple[TaskType, tuple[tuple[str, float], ...]], ...] = field(init=False)
    """``task_dense`` as tuples, the fastest shape to sum over at request time."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "untrained", tuple(t for t in _TYPES if t not in self.task_dense))
        object.__setattr__(self, "task_dense_items", tuple((t, tuple(w.items())) for t, w in self.task_dense.items()))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LinearWeights:
        """Parse the JSON written by ``bench/train_router.py``."""
        task = data["task"]
        comp = data["complexity"]
        assert isinstance(task, dict) and isinstance(comp, dict)
        return cls(
            version=str(data.get("version", "unknown")),
            task_dense={TaskType(t): dict(w) for t, w in task["dense"].items()},
            task_words={word: {TaskType(t): v for t, v in ws.items()} for word, ws in task["words"].items()},
            complexity_dense=dict(comp["dense"]),
            complexity_words=dict(comp["words"]),
        )


@lru_cache(maxsize=1)
def shipped_weights() -> LinearWeights | None:
    """The weights shipped next to this module, read once; None when the file is absent."""
    if not WEIGHTS_PATH.exists():
        return None
    return LinearWeights.from_dict(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")))


def classify(request: RouteRequest, weights: LinearWeights | None | bool = True) -> Classification:
    """Task type and complexity in [0, 1] of ``request``; ``weights=True`` uses the shipped weights."""
    learned = shipped_weights() if weights is True else (weights or None)
    feats, words = extract(request)
    task = _task_type(request, feats, words, learned)
    complexity = _complexity(feats, words, learned)
    shown = {k: round(v, 3) for k, v in feats.items() if v and k != "bias"}
    shown["complexity_model"] = 1.0 if learned else 0.0
    return Classification(task_type=task, complexity=complexity, features=shown)


def _task_type(
    request: RouteRequest, feats: Mapping[str, float], words: list[str], learned: LinearWeights | None
) -> TaskType:
    if request.task_hint is not None:
        return request.task_hint
    if request.is_fim:
        return TaskType.CODE_COMPLETION
    has_code = feats["code_blocks"] > 0 or feats["code_lines"] >= 0.25 or feats["files"] > 0
    if has_code:
        # With code in the prompt, the instruction around it decides: edit, explain, or (no instruction,
        # ending in code) completion. Cue words inside the code itself ("add", "update") do not count.
        edit, explain, n_words = _instruction_cues(_last_user_text(request))
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
    if feats["data"] >= 1.0 and not has_code:
        return TaskType.DATA
    if request.wants_json:
        return TaskType.EXTRACTION
    # Hand-set rule scores for every type, plus learned logits where training data existed; types the
    # data never showed pay a small penalty so they win only on clear cues.
    scores = _rule_scores(feats, _TYPES)
    if learned is not None:
        for task in learned.untrained:
            scores[task] -= 1.0
        for task, dense in learned.task_dense_items:
            scores[task] += sum(w * feats[name] for name, w in dense)
        task_words = learned.task_words
        for word in set(words):
            ws = task_words.get(word)
            if ws:
                for task, w in ws.items():
                    scores[task] += w
    # Highest score wins; on a tie the type listed first in TaskType.
    return max(scores, key=lambda t: (scores[t], -_ORDER[t]))


def _last_user_text(request: RouteRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.text
    return request.messages[-1].text if request.messages else ""


def _instruction_cues(text: str) -> tuple[int, int, int]:
    """(edit cues, explain cues, words) in the prose around the code: unindented, non-code lines outside fences."""
    text = _FENCED.sub("\n", scan(text))
    edit = explain = n_words = 0
    for line in text.splitlines():
        if not line.strip() or line[:1] in (" ", "\t") or CODE_LINE.match(line):
            continue
        for word in WORD.findall(line.lower()):
            n_words += 1
            edit += word in CUES["edit"]
            explain += word in CUES["explain"]
    return edit, explain, n_words


def _rule_scores(feats: Mapping[str, float], tasks: tuple[TaskType, ...]) -> dict[TaskType, float]:
    return {task: sum(w * feats[name] for name, w in _RULE_WEIGHTS[task].items()) for task in tasks}


def _complexity(feats: Mapping[str, float], words: list[str], learned: LinearWeights | None) -> float:
    z = sum(w * feats[name] for name, w in _FALLBACK_COMPLEXITY.items())
    base = 1.0 / (1.0 + math.exp(-z))
    if learned is not None:
        # The learned regressor knows how hard benchmark-style prompts are for a typical model; the
        # hand-set part keeps length and reasoning cues in charge for prompts unlike the training set.
        z = sum(w * feats[name] for name, w in learned.complexity_dense.items())
        z += sum(learned.complexity_words.get(word, 0.0) for word in set(words))
        base = LEARNED_SHARE / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) + (1.0 - LEARNED_SHARE) * base
    extra = sum(w * feats[name] for name, w in _CONTEXT_COMPLEXITY.items())
    return min(1.0, max(0.0, base + extra))
