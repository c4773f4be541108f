"""Small, pure formatting helpers shared by the widgets (money, durations, rates, times)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError

from daemon.client.figures import DASH, usd  # noqa: F401  (re-exported: the CLI's money format, so both read the same)
from daemon.wire import CandidateInfo, DecisionInfo, TraceSummary


def ms(value: float | None) -> str:
    """A duration in milliseconds, switching to seconds past one second."""
    if value is None:
        return DASH
    if value < 1000:
        return f"{value:.0f}ms"
    return f"{value / 1000:.1f}s"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage."""
    if value is None:
        return DASH
    return f"{value * 100:.{digits}f}%"


def clock(ts: float) -> str:
    """Local wall-clock time of a Unix timestamp."""
    return time.strftime("%H:%M:%S", time.localtime(ts))


def when(ts: float) -> str:
    """Local date and time of a Unix timestamp."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def short(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def trace_from_event(data: dict[str, Any]) -> TraceSummary | None:
    """The trace summary carried by a ``trace`` event (flat, or nested under ``trace``).

    Unknown extra fields are ignored so that the daemon may add to its events without breaking
    an older dashboard; an event that is not a trace at all gives None.
    """
    payload = data.get("trace") if isinstance(data.get("trace"), dict) else data
    known = {k: v for k, v in payload.items() if k in TraceSummary.model_fields}
    try:
        return TraceSummary.model_validate(known)
    except ValidationError:
        return None


def decision_from_trace(decision: dict[str, Any] | None) -> DecisionInfo | None:
    """The stored decision of a trace as a ``DecisionInfo``, tolerating extra or missing fields."""
    if not decision:
        return None
    known = {k: v for k, v in decision.items() if k in DecisionInfo.model_fields}
    if isinstance(known.get("candidates"), list):
        known["candidates"] = [
            {k: v for k, v in c.items() if k in CandidateInfo.model_fields} for c in known["candidates"] if isinstance(c, dict)
        ]
    if isinstance(known.get("features"), dict):
        known["features"] = {k: v for k, v in known["features"].items() if isinstance(v, (bool, int, float, str))}
    try:
        return DecisionInfo.model_validate(known)
    except ValidationError:
        return None


def outcome_style(trace: TraceSummary) -> str:
    """The colour of a trace line: errors red, escalations cyan, fallbacks yellow."""
    if trace.outcome not in ("ok", "success"):
        return "bold red"
    if trace.escalated:
        return "bright_cyan"
    if trace.fallback_used:
        return "yellow"
    return ""


def outcome_label(trace: TraceSummary) -> str:
    """The outcome column: the outcome plus what happened on the way."""
    label = trace.outcome
    if trace.error_code and trace.outcome not in ("ok", "success"):
        label = trace.error_code.removeprefix("provider_")
    if trace.escalated:
        label += " ↑esc"
    if trace.fallback_used:
        label += " ↪fb"
    return label
