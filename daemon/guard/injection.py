"""Prompt-injection scan of tool results and retrieved content: text that tries to steer the model.

Findings say what kind of injection and where (never the text itself, which may carry secrets).
Linear in the text whatever it holds: the markers that span several words are found word by word
and paired here with binary searches, each word read once.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from daemon.guard.patterns import (
    EXFILTRATION_GAP,
    EXFILTRATION_TARGET,
    EXFILTRATION_VERB,
    IGNORE_GAPS,
    IGNORE_VERB,
    IGNORE_WHAT,
    IGNORE_WHICH,
    INJECTION_PATTERNS,
)

_IGNORE_WORDS = (("ignore", "disregard", "forget", "override"),
                 ("instruction", "prompt", "rules", "directions", "guidelines"))
_EXFILTRATION_WORDS = (("send", "post", "upload", "exfiltrate", "leak", "forward", "mail", "transmit", "paste", "curl",
                        "fetch"),
                       ("api", "secret", "credential", "password", "token", "env", "ssh", "private key", "id_rsa"))
"""Substrings every match holds one of, per list: text lacking a whole list is not scanned word by
word at all (a word regex costs ~20 ns a character, a substring test ~1)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspicious passage: its kind and where it was found."""

    kind: str
    where: str

    def as_dict(self) -> dict[str, str]:
        """JSON form for the trace."""
        return {"kind": self.kind, "where": self.where}


def _may_hold(lower: str, lists: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(word in lower for word in words) for words in lists)


def _words(pattern: re.Pattern[str], lower: str) -> list[tuple[int, int]]:
    """(start, end) of the matches of ``pattern`` that start a word (the ``\\b`` the pattern leaves out)."""
    return [(m.start(), m.end()) for m in pattern.finditer(lower)
            if m.start() == 0 or not (lower[m.start() - 1].isalnum() or lower[m.start() - 1] == "_")]


def _clear(text: str, start: int, end: int, stops: str) -> bool:
    """Whether ``text[start:end]`` holds none of ``stops``."""
    return all(text.find(stop, start, end) < 0 for stop in stops)


def _ignore_instructions(lower: str) -> bool:
    """"ignore ... previous ... instructions": a verb, within 40 characters a qualifier, within 30
    more an object, with no full stop or newline in either gap."""
    if not _may_hold(lower, _IGNORE_WORDS):
        return False
    objects = [start for start, _ in _words(IGNORE_WHAT, lower)]
    verbs = [end for _, end in _words(IGNORE_VERB, lower)] if objects else []
    if not verbs:
        return False
    qualifiers = _words(IGNORE_WHICH, lower)
    first_gap, second_gap = IGNORE_GAPS
    # good[i]: the first qualifier at or after i that an object follows closely enough.
    good = [len(qualifiers)] * (len(qualifiers) + 1)
    for index in range(len(qualifiers) - 1, -1, -1):
        end = qualifiers[index][1]
        at = bisect_left(objects, end)
        close = at < len(objects) and objects[at] - end <= second_gap and _clear(lower, end, objects[at], ".\n")
        good[index] = index if close else good[index + 1]
    starts = [start for start, _ in qualifiers]
    for end in verbs:
        # Only the first good qualifier after the verb can be the one: a later one's gap holds more.
        index = good[bisect_left(starts, end)]
        if index < len(qualifiers) and starts[index] - end <= first_gap and _clear(lower, end, starts[index], ".\n"):
            return True
    return False


def _exfiltration(lower: str) -> bool:
    """"send ... api keys": a verb and, within 80 characters on the same line, what it would send."""
    if not _may_hold(lower, _EXFILTRATION_WORDS):
        return False
    targets = [m.start() for m in EXFILTRATION_TARGET.finditer(lower)]
    if not targets:
        return False
    for _, end in _words(EXFILTRATION_VERB, lower):
        at = bisect_left(targets, end)
        if at < len(targets) and targets[at] - end <= EXFILTRATION_GAP and _clear(lower, end, targets[at], "\n"):
            return True
    return False


def scan(text: str, where: str) -> list[Finding]:
    """Every injection kind found in ``text`` (once per kind)."""
    lower = text.lower()
    kinds = []
    if _ignore_instructions(lower):
        kinds.append("ignore_instructions")
    for kind, pattern in INJECTION_PATTERNS:
        if kind not in kinds and pattern.search(lower):
            kinds.append(kind)
    if _exfiltration(lower):
        kinds.append("exfiltration")
    return [Finding(kind, where) for kind in kinds]
