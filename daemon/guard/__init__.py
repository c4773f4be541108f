"""The guard: what is scrubbed or scanned before a request leaves the machine (DESIGN.md §3, admit).

- ``Redactor`` replaces secrets (provider and cloud keys, tokens, private keys, ``.env`` values) and
  PII (emails, phone numbers, Luhn-valid card numbers) with ``[REDACTED:<kind>]``.
- ``scan`` finds prompt injection in tool results and retrieved content.
- ``GuardReport`` is what the trace keeps: counts per kind and findings, never the values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from daemon.guard.injection import Finding, scan
from daemon.guard.redact import Redactor


@dataclass
class GuardReport:
    """What the guard did to one request: redactions per kind, injection findings, the action taken."""

    redacted: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    action: str = "none"
    """none, flag or block."""

    def as_trace(self) -> dict[str, Any] | None:
        """The trace's ``guard`` field (None when nothing was found)."""
        if not self.redacted and not self.findings:
            return None
        return {
            "redacted": dict(self.redacted),
            "injection": [f.as_dict() for f in self.findings],
            "action": self.action,
        }


def scan_messages(messages: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[Finding]:
    """Injection findings in the tool results of OpenAI-form messages."""
    findings: list[Finding] = []
    for index, message in enumerate(messages):
        if message.get("role") != "tool":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if isinstance(content, str) and content:
            findings.extend(scan(content, f"messages[{index}] (tool result)"))
    return findings


__all__ = ["Finding", "GuardReport", "Redactor", "scan", "scan_messages"]
