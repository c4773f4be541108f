"""`switchboard traces show ID` explains a decision in plain words (the wording, from a trace value)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from daemon.cli import explain_trace, parse_since
from daemon.errors import InvalidRequestError
from daemon.wire import AttemptInfo, TraceDetail


def _trace(**kw) -> TraceDetail:
    base = dict(
        id="a" * 32, created_at=1_764_000_000.0, developer="alice", surface="mcp", outcome="ok", latency_ms=812.0,
        model="sim-pro", task_type="code_edit", complexity=0.42, input_tokens=120, output_tokens=300, cached_tokens=40,
        cost_usd=0.0019, policy="balanced", matrix_version=3, fallback_used=True,
        reason="budget alice's monthly budget 84% used (soft 80%) → stepped down to medium tier; sim-pro cheapest",
        decision={
            "model": "sim-ultra", "fallbacks": ["sim-pro"], "stepped_down": True,
            "candidates": [
                {"model": "sim-ultra", "eligible": True, "score": 0.9},
                {"model": "sim-pro", "eligible": True, "score": 0.71},
                {"model": "sim-nano", "eligible": False, "excluded_reason": "context window too small"},
            ],
        },
        attempts=[
            AttemptInfo(seq=0, model="sim-ultra", status="error", latency_ms=300.0, error_code="provider_timeout",
                        error_message="no first token in 30 s"),
            AttemptInfo(seq=1, model="sim-pro", status="ok", latency_ms=500.0, ttft_ms=120.0),
        ],
        feedback=[{"source": "agent", "score": 0.8, "comment": None, "at": 1_764_000_100.0}],
    )
    return TraceDetail(**(base | kw))


def test_explanation_tells_the_whole_story_in_plain_words():
    text = "\n".join(explain_trace(_trace()))
    assert f"Trace {'a' * 32}: alice asked through mcp on" in text
    assert "It looked like a code edit task, complexity 0.42 on a 0-1 scale." in text
    assert "The balanced policy chose sim-ultra because budget alice's monthly budget 84% used" in text
    assert "past its soft threshold, so it stepped down to a cheaper tier" in text
    assert "sim-pro (score 0.71)" in text and "sim-nano (ruled out: context window too small)" in text
    assert "Ready to fall back to: sim-pro." in text and "routing matrix version 3" in text
    assert "Attempt 1: sim-ultra failed after 300 ms: provider_timeout — no first token in 30 s." in text
    assert "Attempt 2: sim-pro answered in 500 ms (first token after 120 ms)." in text
    assert "Result: answered by sim-pro after falling back; 120 in + 300 out (40 cached) tokens, cost $0.001900" in text
    assert "Quality signal: agent rated it 0.8." in text


def test_a_refused_request_says_why():
    text = "\n".join(explain_trace(_trace(outcome="refused", model=None, decision=None, attempts=[], reason=None,
                                          error_code="budget_exceeded", feedback=[],
                                          error_message="alice's monthly budget is used up")))
    assert "Result: refused — budget_exceeded: alice's monthly budget is used up." in text


def test_since_accepts_durations_and_iso_times():
    assert parse_since("30m", now=10_000.0) == 10_000.0 - 1800
    assert parse_since("2d", now=200_000.0) == 200_000.0 - 172_800
    assert parse_since("2026-11-25T00:00:00+00:00") == datetime(2026, 11, 25, tzinfo=UTC).timestamp()
    with pytest.raises(InvalidRequestError, match="not like 30m"):
        parse_since("yesterday")
