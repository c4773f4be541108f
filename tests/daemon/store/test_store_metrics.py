"""The metrics and budget-audit queries (issue 4) answer the same in every store: one developer's
view or the whole team's."""

from __future__ import annotations

import pytest

from daemon.errors import NotFoundError
from daemon.store import Store
from daemon.store.records import AttemptRecord, TraceRecord

PERIOD = 1_767_225_600.0


async def _two_developers_traced(store: Store) -> tuple[int, int]:
    team = await store.create_team("core")
    ada = await store.create_developer("ada", team_id=team.id)
    bob = await store.create_developer("bob")
    await store.record_traces([
        TraceRecord("a1", ada.id, "lsp", 100.0, "ok", 20.0, answered_model="fast", chosen_model="fast",
                    task_type="chat", cost_micros=10, fallback_used=True,
                    attempts=(AttemptRecord(0, "slow", "error", 100.0, 5.0), AttemptRecord(1, "fast", "ok", 100.0, 15.0))),
        TraceRecord("a0", ada.id, "lsp", 50.0, "ok", 20.0, answered_model="fast", cost_micros=5),
        TraceRecord("b1", bob.id, "api", 200.0, "error", 30.0, escalated=True,
                    attempts=(AttemptRecord(0, "fast", "error", 200.0, 30.0),)),
    ])
    await store.add_feedback("a1", "editor", 1.0)
    await store.add_feedback("a1", "agent", 0.5)
    await store.add_feedback("b1", "user", 0.0)
    return ada.id, bob.id


async def test_trace_facts_cover_the_team_or_one_developer_since_a_time(store: Store) -> None:
    ada, bob = await _two_developers_traced(store)
    everyone = {f["id"]: f for f in await store.trace_facts(60.0)}
    assert set(everyone) == {"a1", "b1"}
    a1 = everyone["a1"]
    assert (a1["developer"], a1["team"], a1["surface"], a1["cost_micros"]) == ("ada", "core", "lsp", 10)
    assert bool(a1["fallback_used"]) and not bool(a1["escalated"]) and bool(everyone["b1"]["escalated"])
    assert everyone["b1"]["team"] is None
    assert sorted(f["id"] for f in await store.trace_facts(0.0, developer_id=ada)) == ["a0", "a1"]
    assert [f["id"] for f in await store.trace_facts(0.0, developer_id=bob)] == ["b1"]


async def test_attempt_facts_and_trace_quality_follow_the_same_filters(store: Store) -> None:
    ada, _ = await _two_developers_traced(store)
    assert sorted(await store.attempt_facts(0.0)) == [("fast", "error"), ("fast", "ok"), ("slow", "error")]
    assert sorted(await store.attempt_facts(0.0, developer_id=ada)) == [("fast", "ok"), ("slow", "error")]
    assert await store.trace_quality(0.0) == {"a1": 0.75, "b1": 0.0}
    assert await store.trace_quality(150.0) == {"b1": 0.0}
    assert await store.trace_quality(0.0, developer_id=ada) == {"a1": 0.75}


async def test_teams_are_found_by_id_and_listed_oldest_first(store: Store) -> None:
    core = await store.create_team("core")
    edge = await store.create_team("edge")
    assert await store.get_team(edge.id) == edge
    assert await store.list_teams() == [core, edge]
    with pytest.raises(NotFoundError):
        await store.get_team(edge.id + 100)


async def test_ledger_audit_shows_each_requests_rows_and_each_budgets_totals(store: Store) -> None:
    team = await store.create_team("core")
    team_budget = await store.set_budget("team", team.id, "month", 10_000)
    mine = await store.set_budget("developer", 1, "month", 10_000)
    await store.reserve("r1", [(mine, PERIOD), (team_budget, PERIOD)], 300)
    await store.settle("r1", 120)
    await store.reserve("r2", [(team_budget, PERIOD)], 200)
    await store.reserve("r3", [(team_budget, PERIOD)], 50)
    await store.release("r3")
    assert await store.reservations_of("r1") == sorted(
        [(mine.id, PERIOD, "settled", 300, 120), (team_budget.id, PERIOD, "settled", 300, 120)]
    )
    assert await store.reservations_of("unknown") == []
    assert await store.ledger_totals(team_budget.id) == {"open": 200, "settled": 120, "released": 50}
    assert await store.ledger_totals(mine.id) == {"open": 0, "settled": 120, "released": 0}
