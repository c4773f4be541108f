"""A trace stores its routing decision compactly and hands every reader the decision it always read
(issue 16, low finding 16: the decision was 2.7 KB of a 3.5 KB trace row)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

from daemon.api.routing import decision_info
from daemon.cli import explain_trace
from daemon.router.engine import decide
from daemon.router.types import Tier
from daemon.store import SqliteStore, Store
from daemon.store.records import TraceRecord
from daemon.wire import TraceDetail
from tests.daemon.router.router_fixtures import NO_EXPLORE, cand, chat, matrix_with, trio
from tui.format import decision_from_trace


def _decisions() -> list[dict]:
    """Real decisions: routed among five models of which two are ruled out, and pinned to one."""
    candidates = [*trio(), cand("gpt-4o", Tier.FRONTIER, 5.0, excluded_reason="disabled in config"),
                  cand("claude-haiku", Tier.MEDIUM, 1.0, excluded_reason="API key is not set")]
    matrix = matrix_with({"sim-nano": 0.6, "sim-mid": 0.8, "sim-ultra": 0.9})
    routed = decide(chat("Refactor this loop into a comprehension: for x in xs: ys.append(x * 2)"), candidates,
                    matrix, settings=NO_EXPLORE)
    pinned = decide(chat("hello", requested_model="sim-mid"), candidates, matrix, settings=NO_EXPLORE)
    return [routed.to_dict(), pinned.to_dict()]


def _trace(developer_id: int, n: int, decision: dict) -> TraceRecord:
    return TraceRecord(
        id=f"t{n}", developer_id=developer_id, surface="api", created_at=1_767_225_600.0 + n, outcome="ok",
        latency_ms=10.0, chosen_model=decision["model"], answered_model=decision["model"],
        task_type=decision["task_type"], complexity=decision["complexity"] + 1.2e-7, policy=decision["policy"],
        matrix_version=decision["matrix_version"], reason=decision["reason"] + "; cascade: answered with confidence 0.9",
        decision=decision,
    )


def _as_readers_see_it(decision: dict) -> dict:
    """What a stored decision promises: ruled-out models without predictions, costs to 4 digits."""
    def candidate(c: dict) -> dict:
        if not c["eligible"]:
            return {**c, "predicted_quality": None, "predicted_latency_ms": None, "predicted_cost_usd": None,
                    "score": 0.0, "evidence": 0.0}
        cost = c["predicted_cost_usd"]
        return {**c, "predicted_cost_usd": None if cost is None else float(f"{cost:.4g}")}

    return {**decision, "candidates": [candidate(c) for c in decision["candidates"]]}


async def test_a_stored_decision_reads_back_whole_for_every_reader(store: Store) -> None:
    dev = await store.create_developer("ada")
    decisions = _decisions()
    assert any(not c["eligible"] and c["predicted_quality"] is not None for c in decisions[0]["candidates"])
    await store.record_traces([_trace(dev.id, n, d) for n, d in enumerate(decisions)])
    for n, original in enumerate(decisions):
        stored = (await store.get_trace(f"t{n}")).decision
        assert stored == _as_readers_see_it(original)
        # `switchboard traces show`, /api/route's and /api/traces' model, the TUI's trace panel.
        detail = dict(id=f"t{n}", created_at=0.0, developer="ada", surface="api", outcome="ok", latency_ms=10.0,
                      model=original["model"], reason=original["reason"], policy=original["policy"])
        assert explain_trace(TraceDetail(**detail, decision=stored)) == explain_trace(TraceDetail(**detail, decision=original))
        assert decision_info(stored) == decision_info(_as_readers_see_it(original))
        assert decision_from_trace(stored) == decision_from_trace(_as_readers_see_it(original))


async def test_a_decision_takes_a_fraction_of_its_old_size_on_disk(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    await store.open()
    try:
        dev = await store.create_developer("ada")
        decisions = _decisions()
        await store.record_traces([_trace(dev.id, n, d) for n, d in enumerate(decisions)])
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        stored = [r[0] for r in conn.execute("SELECT decision_json FROM traces ORDER BY id")]
    finally:
        conn.close()
    for text, original in zip(stored, decisions, strict=True):
        assert len(text) < len(json.dumps(original, separators=(",", ":"))) / 3, text


async def test_a_decision_of_another_shape_is_stored_as_it_is(store: Store) -> None:
    dev = await store.create_developer("ada")
    odd = {**_decisions()[0], "candidates": [{"model": "x", "eligible": True}], "v": 1}
    trace = dataclasses.replace(_trace(dev.id, 9, _decisions()[0]), decision=odd)
    await store.record_traces([trace])
    assert (await store.get_trace("t9")).decision == odd
