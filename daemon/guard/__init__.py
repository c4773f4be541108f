"""The guard: what is scrubbed or scanned before a request leaves the machine (DESIGN.md §3, admit).

- ``Redactor`` replaces secrets (provider and cloud keys, tokens, private keys, ``.env`` values) and
  PII (emails, phone numbers, Luhn-valid card numbers) with ``[REDACTED:<kind>]``.
- ``scan`` finds prompt injection in tool results and retrieved content.
- ``GuardReport`` is what the trace keeps: counts per kind and findings, never the values.
- ``redact_values`` and ``scan_texts`` run either inline or, for large requests, in a worker process
  (``ScanPool``) with a time bound, so no prompt can hold the event loop.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from daemon.guard.injection import Finding, scan
from daemon.guard.jobs import redact_job, scan_job, text_size
from daemon.guard.offload import INLINE_MAX_CHARS, ScanPool, run_guard_job
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


def tool_results(messages: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[tuple[str, str]]:
    """(where, text) of the tool results of OpenAI-form messages: what the injection scan reads."""
    found: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if message.get("role") != "tool":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if isinstance(content, str) and content:
            found.append((f"messages[{index}] (tool result)", content))
    return found


def scan_messages(messages: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[Finding]:
    """Injection findings in the tool results of OpenAI-form messages."""
    return [finding for where, text in tool_results(messages) for finding in scan(text, where)]


async def scan_texts(pool: ScanPool, items: list[tuple[str, str]], *, timeout: float) -> list[Finding]:  # noqa: ASYNC109
    """Injection findings in each (where, text), in a worker when the texts are large."""
    chars = sum(len(text) for _, text in items)
    return [Finding(kind, where) for kind, where in await run_guard_job(pool, scan_job(items), chars, timeout)]


async def redact_values(pool: ScanPool, values: list[Any], *, secrets: bool, pii: bool,
                        timeout: float) -> list[tuple[Any, dict[str, int]]]:  # noqa: ASYNC109
    """Each JSON value redacted (keys and strings), with its counts per kind; in a worker when large."""
    chars = text_size(values, INLINE_MAX_CHARS)
    if chars > INLINE_MAX_CHARS:
        chars = text_size(values, sys.maxsize)  # the whole size, for the message should it time out
    return await run_guard_job(pool, redact_job(values, secrets, pii), chars, timeout)


__all__ = ["Finding", "GuardReport", "Redactor", "ScanPool", "redact_values", "scan", "scan_messages", "scan_texts",
           "tool_results"]
