"""Prompt-injection scan of tool results and retrieved content: text that tries to steer the model.

Findings say what kind of injection and where (never the text itself, which may carry secrets).
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.guard.patterns import INJECTION_PATTERNS


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspicious passage: its kind and where it was found."""

    kind: str
    where: str

    def as_dict(self) -> dict[str, str]:
        """JSON form for the trace."""
        return {"kind": self.kind, "where": self.where}


def scan(text: str, where: str) -> list[Finding]:
    """Every injection kind found in ``text`` (once per kind)."""
    return [Finding(kind, where) for kind, pattern in INJECTION_PATTERNS if pattern.search(text)]
