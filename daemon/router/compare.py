"""Consensus comparators: do two answers say the same thing?

Each comparator answers "equivalent or not" for one kind of answer; ``same_answer`` picks the kind
from the answers themselves (numbers, code, short text, prose). ``agreement`` groups N answers by
equivalence and returns the majority, which the gateway serves when the group is large enough and
otherwise sends to review and the tiebreaker.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

from daemon.router.confidence import code_blocks

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
_FINAL = re.compile(r"(?:answer|result|total|=|is)\s*[:=]?\s*\$?\\?(?:boxed\{)?\s*(-?[\d,]*\.?\d+)", re.I)
_BOXED = re.compile(r"\\boxed\{\s*(-?[\d,]*\.?\d+)\s*\}")
_WORD = re.compile(r"\w+")

PROSE_JACCARD = 0.6
"""Token-set Jaccard at or above which two prose answers count as the same."""

PROSE_RATIO = 0.85
"""Character similarity at or above which two prose answers count as the same."""


def normalize_text(text: str) -> str:
    """Case-, accent-, punctuation- and whitespace-insensitive form of a short answer."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b(the|a|an)\b", " ", text)
    return " ".join(text.split())


def final_number(text: str) -> float | None:
    """The answer's final number: a \\boxed{} value, else the number after "answer is", else the last number."""
    for pattern in (_BOXED, _FINAL):
        found = pattern.findall(text)
        if found:
            return _to_float(found[-1])
    nums = _NUMBER.findall(text)
    return _to_float(nums[-1]) if nums else None


def _to_float(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def numbers_equal(a: str, b: str, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Whether both answers end in the same number (within tolerance)."""
    x, y = final_number(a), final_number(b)
    if x is None or y is None:
        return False
    return abs(x - y) <= max(abs_tol, rel_tol * max(abs(x), abs(y)))


def _code_of(text: str) -> str:
    blocks = code_blocks(text)
    return "\n".join(code for _, code in blocks) if blocks else text


def code_equal(a: str, b: str) -> bool:
    """Python: equal ASTs (formatting and comments ignored). Otherwise: equal after whitespace normalisation."""
    ca, cb = _code_of(a), _code_of(b)
    try:
        return ast.dump(ast.parse(ca)) == ast.dump(ast.parse(cb))
    except SyntaxError:
        return _squash(ca) == _squash(cb)


def _squash(code: str) -> str:
    lines = (re.sub(r"\s+", " ", line).strip() for line in code.strip().splitlines())
    return "\n".join(line for line in lines if line)


def prose_similar(a: str, b: str, *, jaccard: float = PROSE_JACCARD, ratio: float = PROSE_RATIO) -> bool:
    """Close-enough prose: token-set Jaccard or character similarity above its threshold."""
    ta, tb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if ta or tb:
        if len(ta & tb) / len(ta | tb) >= jaccard:
            return True
    na, nb = normalize_text(a), normalize_text(b)
    return SequenceMatcher(None, na, nb, autojunk=False).ratio() >= ratio


def answer_kind(text: str) -> str:
    """"code", "number", "short" or "prose", from the answer's shape."""
    if "```" in text or re.search(r"^\s*(def|class|function|import)\s", text, re.M):
        return "code"
    words = _WORD.findall(text)
    if final_number(text) is not None and len(words) <= 40:
        return "number"
    return "short" if len(words) <= 12 else "prose"


def same_answer(a: str, b: str) -> bool:
    """Whether two answers agree, using the comparator their shape calls for."""
    kinds = {answer_kind(a), answer_kind(b)}
    if kinds == {"code"}:
        return code_equal(a, b)
    if kinds == {"number"}:
        return numbers_equal(a, b)
    if normalize_text(a) == normalize_text(b):
        return True
    if "short" in kinds and kinds <= {"short", "number"}:
        return False
    return prose_similar(a, b)


def agreement(answers: Sequence[str]) -> tuple[float, int, list[list[int]]]:
    """(share of answers in the largest group, index of that group's first answer, groups of indices).

    Groups are formed greedily against each group's first answer; the largest group wins, ties going
    to the group whose first answer came first (the higher-ranked model).
    """
    if not answers:
        return 0.0, -1, []
    groups: list[list[int]] = []
    for i, answer in enumerate(answers):
        for group in groups:
            if same_answer(answers[group[0]], answer):
                group.append(i)
                break
        else:
            groups.append([i])
    best = max(groups, key=lambda g: (len(g), -g[0]))
    return len(best) / len(answers), best[0], groups
