"""The dashboard's formatting helpers."""

from __future__ import annotations

from daemon.wire import TraceSummary
from tests.tui.dataset import DECISION, TRACES
from tui.format import decision_from_trace, ms, outcome_label, trace_from_event, usd


def test_money_keeps_small_amounts_readable() -> None:
    assert [usd(v) for v in (0, 0.000123, 0.0456, 3.14159, 1234.5)] == ["$0", "$0.00012", "$0.046", "$3.14", "$1,234"]


def test_durations_switch_to_seconds_past_one_second() -> None:
    assert [ms(v) for v in (None, 12.4, 999, 2400)] == ["–", "12ms", "999ms", "2.4s"]


def test_trace_event_accepts_flat_or_nested_data_and_ignores_unknown_fields() -> None:
    flat = {**TRACES[0].model_dump(mode="json"), "new_field_from_a_newer_daemon": 1}
    assert trace_from_event(flat) == TRACES[0]
    assert trace_from_event({"trace": flat}) == TRACES[0]
    assert trace_from_event({"id": "x"}) is None


def test_stored_decision_with_extra_fields_still_reads_as_a_decision() -> None:
    stored = DECISION.model_dump()
    stored["explored"] = False
    stored["candidates"][0]["evidence"] = 3.0
    decision = decision_from_trace(stored)
    assert decision is not None and decision.model == "sim-mini" and len(decision.candidates) == 4


def test_outcome_label_names_errors_fallbacks_and_escalations() -> None:
    base = TRACES[0].model_dump()
    assert outcome_label(TraceSummary(**{**base, "fallback_used": True, "escalated": True})) == "ok ↑esc ↪fb"
    assert outcome_label(TraceSummary(**{**base, "outcome": "error", "error_code": "provider_timeout"})) == "timeout"


def test_the_trace_view_says_why_each_candidate_did_not_serve() -> None:
    from tests.tui.dataset import DECISION
    from tui.widgets.trace_detail import quality_floor, why_not

    floor = quality_floor(DECISION.reason)
    assert floor == 0.72
    by_model = {c.model: c for c in DECISION.candidates}
    chosen = by_model["sim-mini"]
    assert why_not(by_model["sim-nano"], chosen, floor) == "below the quality floor 0.72"
    assert why_not(by_model["sim-pro"], chosen, floor) == "costs more than sim-mini"
    assert why_not(by_model["sim-ultra"], chosen, floor) == "circuit open"
