"""Redaction: secrets and PII replaced by ``[REDACTED:<kind>]`` before a request leaves the machine.

Works on text and on whole JSON bodies (every string value, wherever it is), so a same-format
request forwarded as-is is scrubbed as thoroughly as a translated one.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from daemon.guard.patterns import CARD, EMAIL, ENV_ASSIGNMENT, PHONE, SECRET_ANCHORS, SECRET_PATTERNS


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
            if "@" in text:
                text = EMAIL.sub(lambda m: self._hit("email", m), text)
            digits = sum(map(text.count, "0123456789"))
            if digits >= _CARD_MIN_DIGITS:
                text = CARD.sub(self._card, text)
            if digits >= _PHONE_MIN_DIGITS:
                text = PHONE.sub(self._phone, text)
        return text

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with every string redacted (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.json(v) for v in value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value

    def _hit(self, kind: str, match: re.Match[str]) -> str:
        if "[REDACTED:" in match.group(0):
            return match.group(0)
        self.counts[kind] += 1
        if match.re.groups:  # look-behind-free patterns with a kept prefix group
            return match.group(1) + _marker(kind)
        return _marker(kind)

    def _env(self, match: re.Match[str]) -> str:
        if match.group(2).startswith("[REDACTED"):
            return match.group(0)
        self.counts["env_assignment"] += 1
        return match.group(1) + _marker("env_assignment")

    def _card(self, match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            self.counts["card_number"] += 1
            return _marker("card_number")
        return match.group(0)

    def _phone(self, match: re.Match[str]) -> str:
        raw = match.group(0)
        digits = sum(c.isdigit() for c in raw)
        # Phone numbers have 9-15 digits and some separator or a leading +; bare long numbers are ids.
        if 9 <= digits <= 15 and (raw.startswith("+") or any(c in raw for c in " .-()")):
            self.counts["phone"] += 1
            return _marker("phone")
        return raw
