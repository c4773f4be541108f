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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, repeat
from operator import itemgetter, mul
from pathlib import Path

from daemon.router.features import CODE_LINE, CUES, WORD, extract, scan
from daemon.router.types import Classification, RouteRequest, TaskType, rounder

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


class _DotProducts:
    """Several weight vectors dotted with one feature dict: ``sum(w * feats[name] for name, w in vector.items())``
    for each vector, bit for bit, at a fraction of the cost (~20 vectors run per request).

    Only the nonzero features' products are made, in one C-level ``map`` over a layout built once per
    set of nonzero features (a request has 5-12 of 29) and cached. This changes no bit: a zero
    feature's product is +-0.0 (if the weights are finite; otherwise every term is kept), and adding
    +-0.0 to a running sum that started at +0.0 never changes it. The kept terms are added in the
    vector's own order from the same start (``sum`` of floats from 0 is 0.0 + ... either way).
    """

    __slots__ = ("_finite", "_layouts", "_vectors")

    def __init__(self, vectors: Iterable[Mapping[str, float]]) -> None:
        self._vectors = tuple(tuple(vector.items()) for vector in vectors)
        self._finite = all(math.isfinite(w) for vector in self._vectors for _, w in vector)
        self._layouts: dict[tuple[str, ...], _Layout] = {}

    def __call__(self, feats: Mapping[str, float], nonzero: tuple[str, ...]) -> list[float]:
        """The dot products; ``nonzero`` is ``nonzero_features(feats)``."""
        layout = self._layouts.get(nonzero)
        if layout is None:
            layout = self._layout(feats, nonzero)
        weights, values_of, slices = layout
        products = list(map(mul, weights, values_of(feats)))
        return [sum(products[terms], 0.0) for terms in slices]

    def _layout(self, feats: Mapping[str, float], nonzero: tuple[str, ...]) -> _Layout:
        kept = set(nonzero) if self._finite else set(feats)
        names: list[str] = []
        weights: list[float] = []
        slices: list[slice] = []
        for vector in self._vectors:
            start = len(names)
            for name, w in vector:
                if name not in feats:
                    raise KeyError(name)  # as feats[name] would
                if name in kept:
                    names.append(name)
                    weights.append(w)
            slices.append(slice(start, len(names)))
        layout = (tuple(weights), _values_getter(names), tuple(slices))
        if len(self._layouts) >= _LAYOUT_CACHE_LIMIT:
            self._layouts.clear()
        self._layouts[nonzero] = layout
        return layout


_Layout = tuple[tuple[float, ...], Callable[[Mapping[str, float]], tuple[float, ...]], tuple[slice, ...]]
"""(weights of the kept terms, their feature values getter, each vector's slice of the terms)."""
_LAYOUT_CACHE_LIMIT = 1024


def nonzero_features(feats: Mapping[str, float]) -> tuple[str, ...]:
    """Names of the nonzero features, in order: the cache key of ``_DotProducts`` layouts."""
    return tuple(compress(feats, feats.values()))


def _values_getter(names: list[str]) -> Callable[[Mapping[str, float]], tuple[float, ...]]:
    """``feats -> tuple(feats[name] for name in names)`` (``itemgetter`` returns a bare value for one name)."""
    if len(names) == 1:
        only = names[0]
        return lambda feats: (feats[only],)
    if not names:
        return lambda feats: ()
    return itemgetter(*names)


_RULE_SCORES = _DotProducts(_RULE_WEIGHTS[task] for task in _TYPES)
"""Hand-set task scores, one per ``_TYPES`` entry."""
_FALLBACK_COMPLEXITY_TERMS = _DotProducts((_FALLBACK_COMPLEXITY, _CONTEXT_COMPLEXITY))
"""Complexity without learned weights: (fallback z, context extra)."""
_round_feature = rounder(3)
"""``round(value, 3)``: the precision features are shown with."""


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
    """``task_dense`` as tuples."""
    # Request-time layouts, built once per weights object (see ``_task_scores`` and ``_complexity``).
    _task_terms: _DotProducts = field(init=False, repr=False, compare=False)
    """Rule score of every ``_TYPES`` entry, then the dense score of every ``task_dense`` type."""
    _untrained_at: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """``_TYPES`` index of each ``untrained`` type."""
    _dense_at: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """``_TYPES`` index of each ``task_dense`` type, in ``task_dense`` order."""
    _word_terms: dict[str, tuple[tuple[int, float], ...]] = field(init=False, repr=False, compare=False)
    """``task_words`` with ``_TYPES`` indexes for keys, same order."""
    _complexity_terms: _DotProducts = field(init=False, repr=False, compare=False)
    """(fallback z, learned dense z, context extra)."""

    def __post_init__(self) -> None:
        def init(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        init("untrained", tuple(t for t in _TYPES if t not in self.task_dense))
        init("task_dense_items", tuple((t, tuple(w.items())) for t, w in self.task_dense.items()))
        init("_task_terms", _DotProducts([*(_RULE_WEIGHTS[t] for t in _TYPES), *self.task_dense.values()]))
        init("_untrained_at", tuple(_ORDER[t] for t in self.untrained))
        init("_dense_at", tuple(_ORDER[t] for t in self.task_dense))
        init("_word_terms", {w: tuple((_ORDER[t], v) for t, v in ws.items()) for w, ws in self.task_words.items()})
        init("_complexity_terms", _DotProducts((_FALLBACK_COMPLEXITY, self.complexity_dense, _CONTEXT_COMPLEXITY)))

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
    # One set for both word loops: its iteration order fixes the order of the float additions.
    wordset = set(words)
    nonzero = nonzero_features(feats)
    task = _task_type(request, feats, nonzero, words, wordset, learned)
    complexity = _complexity(feats, nonzero, wordset, learned)
    shown = {k: _round_feature(feats[k]) for k in nonzero if k != "bias"}
    shown["complexity_model"] = 1.0 if learned else 0.0
    return Classification(task_type=task, complexity=complexity, features=shown)


def _task_type(
    request: RouteRequest,
    feats: Mapping[str, float],
    nonzero: tuple[str, ...],
    words: list[str],
    wordset: set[str],
    learned: LinearWeights | None,
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
    scores = _task_scores(feats, nonzero, wordset, learned)
    # Highest score wins; on a tie the type listed first in TaskType (the first maximum's index).
    return _TYPES[scores.index(max(scores))]


def _task_scores(
    feats: Mapping[str, float], nonzero: tuple[str, ...], wordset: set[str], learned: LinearWeights | None
) -> list[float]:
    """Hand-set rule scores for every type (in ``_TYPES`` order), plus learned logits where training data
    existed; types the data never showed pay a small penalty so they win only on clear cues.

    Per type the additions run in a fixed order (rule, penalty or dense score, then words in ``wordset``
    order), so every score is the same float whatever layout computes it.
    """
    if learned is None:
        return _RULE_SCORES(feats, nonzero)
    sums = learned._task_terms(feats, nonzero)
    scores = sums[: len(_TYPES)]
    for at in learned._untrained_at:
        scores[at] -= 1.0
    for at, dense in zip(learned._dense_at, sums[len(_TYPES) :], strict=True):
        scores[at] += dense
    word_terms = learned._word_terms
    for word in wordset:
        terms = word_terms.get(word)
        if terms:
            for at, w in terms:
                scores[at] += w
    return scores


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


def _complexity(
    feats: Mapping[str, float], nonzero: tuple[str, ...], wordset: set[str], learned: LinearWeights | None
) -> float:
    if learned is None:
        z, extra = _FALLBACK_COMPLEXITY_TERMS(feats, nonzero)
        base = 1.0 / (1.0 + math.exp(-z))
    else:
        z, z_learned, extra = learned._complexity_terms(feats, nonzero)
        base = 1.0 / (1.0 + math.exp(-z))
        # The learned regressor knows how hard benchmark-style prompts are for a typical model; the
        # hand-set part keeps length and reasoning cues in charge for prompts unlike the training set.
        # (The word term is complexity_words.get(word, 0.0) summed over the words, in C.)
        z = z_learned + sum(map(learned.complexity_words.get, wordset, repeat(0.0)))
        base = LEARNED_SHARE / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) + (1.0 - LEARNED_SHARE) * base
    return min(1.0, max(0.0, base + extra))
