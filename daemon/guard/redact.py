"""Redaction: secrets and PII replaced by ``[REDACTED:<kind>]`` before a request leaves the machine.

Works on text and on whole JSON bodies (every string value, wherever it is), so a same-format
request forwarded as-is is scrubbed as thoroughly as a translated one.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from daemon.guard.patterns import (
    BLANK_LINE,
    CARD_RUN,
    EMAIL,
    EMAIL_DOMAIN,
    EMAIL_GLUED,
    ENV_ASSIGNMENT,
    PHONE,
    PRIVATE_KEY_BEGIN,
    PRIVATE_KEY_END,
    SECRET_ANCHORS,
    SECRET_PATTERNS,
)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
"""Luhn's doubled digit, its digits summed."""
_DIGIT_GROUP = re.compile(r"\d+")
_NOT_DIGIT = re.compile(r"\D")
_CARD_GROUP_MIN = 3
"""Inside a longer run, a card is a window of whole groups of at least this many digits (4-4-4-4,
4-6-5, or one unbroken group): "1 4242 4242 4242 4242" holds one, "1 2 3 ... 9" holds none."""


def _card_windows(run: str) -> list[tuple[int, int]]:
    """(start, end) in ``run`` of the Luhn-valid 13-19 digit windows of whole groups, left to right,
    the longest at each start. Linear: Luhn sums come from prefix sums, a window spans at most 6 groups."""
    groups = [(m.start(), m.end()) for m in _DIGIT_GROUP.finditer(run)]
    offsets = [0]
    for start, end in groups:
        offsets.append(offsets[-1] + end - start)
    # p_even: even positions as is, odd doubled (a window whose last digit is at an even position);
    # p_odd: the reverse.
    p_even, p_odd = [0], [0]
    for position, char in enumerate(_NOT_DIGIT.sub("", run)):
        value = ord(char) - 48
        doubled = _DOUBLED[value]
        p_even.append(p_even[-1] + (doubled if position % 2 else value))
        p_odd.append(p_odd[-1] + (value if position % 2 else doubled))
    windows: list[tuple[int, int]] = []
    group = 0
    while group < len(groups):
        ends: list[int] = []
        last = group
        while last < len(groups) and groups[last][1] - groups[last][0] >= _CARD_GROUP_MIN:
            total = offsets[last + 1] - offsets[group]
            if total > 19:
                break
            if total >= 13:
                ends.append(last)
            last += 1
        found = None
        for last in reversed(ends):
            first, stop = offsets[group], offsets[last + 1]
            sums = p_even if (stop - 1) % 2 == 0 else p_odd
            if (sums[stop] - sums[first]) % 10 == 0:
                found = last
                break
        if found is None:
            group += 1
            continue
        windows.append((groups[group][0], groups[found][1]))
        group = found + 1
    return windows


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# A cheap pre-check: text without any of these cannot hold a secret or PII the patterns match. The
# patterns that need a ``=`` or ``:`` (``.env`` assignments, aws_secret_access_key, authorization:
# bearer) all have a key-ish word right before it; a bare ":" (every "user: ..." line) is not enough.
# Written as one character-class scan plus substring tests rather than one alternation: the
# alternation's first characters (s, r, p, e, h, ...) match almost anywhere in prose, so the regex
# tried every alternative at nearly every position (~30 ns a character; 4.5 us for a 150-character
# answer, milliseconds for a long context), where these cost a few ns a character.
_MAYBE_CHARS = re.compile(r"[@\d]")
_MAYBE_LITERALS = ("sk-", "sk_", "rk_", "pk_", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat",
                   "glpat", "xox", "AIza", "hf_", "eyJ", "BEGIN")
_ENV_WORDS = ("key", "secret", "token", "passw", "pwd", "credential", "auth", "dsn")
_PHONE_MIN_DIGITS = 9
_CARD_MIN_DIGITS = 13
_SECRET_CHECKS = tuple(
    (kind, pattern, *SECRET_ANCHORS.get(kind, (False, ("",))))  # no anchors: always scan
    for kind, pattern in SECRET_PATTERNS
)


def _maybe_holds(text: str) -> bool:
    """Whether ``text`` could hold a secret or PII that the patterns match (an ``@``, a digit, or a
    prefix some secret starts with)."""
    return _MAYBE_CHARS.search(text) is not None or any(literal in text for literal in _MAYBE_LITERALS)


def _may_assign_secret(lower: str) -> bool:
    """Whether ``lower`` could hold a ``.env``-style secret (or aws_secret_access_key, authorization: bearer)."""
    return ("=" in lower or ":" in lower) and any(word in lower for word in _ENV_WORDS)


class Redactor:
    """Replaces secrets and/or PII in text, counting what it replaced per kind."""

    def __init__(self, *, secrets: bool = True, pii: bool = True) -> None:
        self.secrets = secrets
        self.pii = pii
        self.counts: Counter[str] = Counter()

    def text(self, text: str) -> str:
        """``text`` with every secret and PII value replaced."""
        if not text:
            return text
        lower = text.lower()
        assigns = _may_assign_secret(lower)
        if not assigns and not _maybe_holds(text):
            return text
        if self.secrets:
            if "PRIVATE KEY" in text:
                text = self._private_keys(text)
            # ``lower`` may go stale as matches are replaced: the markers hold no anchor, so it only
            # ever causes a scan that finds nothing.
            for kind, pattern, ignore_case, literals in _SECRET_CHECKS:
                haystack = lower if ignore_case else text
                for literal in literals:
                    if literal in haystack:
                        text = pattern.sub(lambda m, k=kind: self._hit(k, m), text)
                        break
            if assigns:
                text = ENV_ASSIGNMENT.sub(self._env, text)
        if self.pii:
            if "@" in text and EMAIL_DOMAIN.search(text) is not None:
                text = self._emails(text)
            digits = sum(map(text.count, "0123456789"))
            if digits >= _CARD_MIN_DIGITS:
                text = CARD_RUN.sub(self._card, text)
            if digits >= _PHONE_MIN_DIGITS:
                text = PHONE.sub(self._phone, text)
        return text

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with every string redacted, keys included (a secret used as a
        ``metadata`` key or a schema property name leaves the machine as surely as a value)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.json(v) for v in value)
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self.json(v) for k, v in value.items()}
        return value

    def _hit(self, kind: str, match: re.Match[str]) -> str:
        if "[REDACTED:" in match.group(0):
            return match.group(0)
        self.counts[kind] += 1
        if match.re.groups:  # look-behind-free patterns with a kept prefix group
            return match.group(1) + _marker(kind)
        return _marker(kind)

    def _emails(self, text: str) -> str:
        out: list[str] = []
        position = 0
        match = EMAIL.search(text)
        while match is not None:
            raw = match.group(0)
            local = len(raw) - len(raw.lstrip("._%+-"))  # leading punctuation is not the address
            out += (text[position:match.start()], raw[:local], _marker("email"))
            self.counts["email"] += 1
            position = match.end()
            match = EMAIL_GLUED.match(text, position) or EMAIL.search(text, position)
        if not out:
            return text
        out.append(text[position:])
        return "".join(out)

    def _env(self, match: re.Match[str]) -> str:
        if match.group(2).startswith("[REDACTED"):
            return match.group(0)
        self.counts["env_assignment"] += 1
        return match.group(1) + _marker("env_assignment")

    def _private_keys(self, text: str) -> str:
        """``text`` with every private key block replaced: BEGIN line to END line, or, when the END
        line is missing (a truncated paste), to the next blank line. One pass: each search starts
        where the last one stopped, and once no END line is left none is looked for again."""
        out: list[str] = []
        position = 0
        ends_left = True
        while (begin := PRIVATE_KEY_BEGIN.search(text, position)) is not None:
            stop = None
            if ends_left:
                end = PRIVATE_KEY_END.search(text, begin.end())
                if end is not None:
                    stop = end.end()
                else:
                    ends_left = False
            if stop is None:
                blank = BLANK_LINE.search(text, begin.end())
                stop = blank.start() if blank is not None else len(text)
            out += (text[position:begin.start()], _marker("private_key"))
            self.counts["private_key"] += 1
            position = stop
        if not out:
            return text
        out.append(text[position:])
        return "".join(out)

    def _card(self, match: re.Match[str]) -> str:
        run = match.group(0)
        digits = _NOT_DIGIT.sub("", run)
        if len(digits) <= 19 and _luhn(digits):
            self.counts["card_number"] += 1
            return _marker("card_number")
        windows = _card_windows(run)
        if not windows:
            return run
        out: list[str] = []
        position = 0
        for start, end in windows:
            out += (run[position:start], _marker("card_number"))
            position = end
        out.append(run[position:])
        self.counts["card_number"] += len(windows)
        return "".join(out)

    def _phone(self, match: re.Match[str]) -> str:
        raw = match.group(0)
        digits = sum(c.isdigit() for c in raw)
        # Phone numbers have 9-15 digits and some separator or a leading +; bare long numbers are ids.
        if 9 <= digits <= 15 and (raw.startswith("+") or any(c in raw for c in " .-()")):
            self.counts["phone"] += 1
            return _marker("phone")
        return raw
