"""Accounting against a real store: reservations are exact under concurrency, settle and release
close them, refusals say whose budget and when it resets, crossings become events, and a crash's
leftovers are reconciled at start."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from daemon.core import accounting
from daemon.errors import BudgetExceededError
from daemon.jobs import telemetry
from daemon.store import SqliteStore
from daemon.store.records import TraceQuery, TraceRecord
from tests.support import in_process_daemon, sim_config, write_config

CENT = 10_000  # micro-dollars


async def _developer(services, name: str = "alice", *, limit_usd: float | None = 1.0, team: str | None = None):
    dev = await services.store.create_developer(name)
    if limit_usd is not None:
        await accounting.set_budget(services, developer=name, limit_usd=limit_usd)
    if team is not None:
        await services.store.set_team(dev.id, (await services.store.team_by_name(team)).id)
    return await services.store.get_developer(dev.id)


async def test_reserve_settle_release_move_money_between_reserved_and_spent(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, _):
        alice = await _developer(services)
        await accounting.reserve(services, alice, "t1", 30 * CENT)
        await accounting.reserve(services, alice, "t2", 20 * CENT)
        state = await accounting.budget_state(services, alice)
        assert state.fraction_used == pytest.approx(0.5)  # reservations count
        await accounting.settle(services, "t1", 12 * CENT)
        await accounting.release(services, "t2")
        (budget, name), = await accounting.budgets_of(services, alice)
        f = await accounting.figures(services, budget, name)
        rows = {t: await services.store.reservations_of(t) for t in ("t1", "t2")}
    assert (f.settled_micros, f.reserved_micros) == (12 * CENT, 0)
    assert state.budget_name == "alice's monthly budget"
    assert rows["t1"] == [(budget.id, f.period_start, "settled", 30 * CENT, 12 * CENT)]
    assert rows["t2"] == [(budget.id, f.period_start, "released", 20 * CENT, 0)]


async def test_concurrent_reservations_never_overspend(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, _):
        alice = await _developer(services, limit_usd=0.5)  # affords exactly 50 reservations of 1 cent

        async def one(i: int) -> bool:
            try:
                await accounting.reserve(services, alice, f"t{i}", CENT)
            except BudgetExceededError:
                return False
            await accounting.settle(services, f"t{i}", CENT)
            return True

        served = await asyncio.gather(*(one(i) for i in range(200)))
        (budget, name), = await accounting.budgets_of(services, alice)
        f = await accounting.figures(services, budget, name)
        totals = await services.store.ledger_totals(budget.id)
    assert sum(served) == 50
    assert f.settled_micros == 50 * CENT == f.limit_micros
    assert totals == {"open": 0, "settled": 50 * CENT, "released": 0}


async def test_refusal_says_whose_budget_how_much_is_spent_and_when_it_resets(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, _):
        alice = await _developer(services, limit_usd=0.10)
        await accounting.reserve(services, alice, "t1", 9 * CENT)
        await accounting.settle(services, "t1", 9 * CENT)
        with pytest.raises(BudgetExceededError) as caught:
            await accounting.reserve(services, alice, "t2", 2 * CENT)
        await accounting.reserve(services, alice, "t3", CENT)
        await accounting.settle(services, "t3", CENT)
        with pytest.raises(BudgetExceededError) as used_up:
            await accounting.reserve(services, alice, "t4", CENT)
    message = caught.value.message
    assert "used up" not in message  # a cent is left: the budget cannot pay for this request, that is all
    assert "alice's monthly budget cannot pay for this request: $0.01 of $0.10 is left ($0.09 spent)" in message
    assert "could cost up to $0.02" in message
    assert "resets at " in message and " UTC" in message
    assert caught.value.details["limit_usd"] == 0.10 and caught.value.details["spent_usd"] == 0.09
    assert caught.value.details["left_usd"] == 0.01
    assert caught.value.details["resets_at"] > time.time()
    assert "alice's monthly budget is used up: $0.10 of $0.10 is spent" in used_up.value.message


async def test_a_request_counts_toward_its_team_budget_too(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, _):
        await accounting.set_budget(services, team="platform", period="week", limit_usd=0.05)
        alice = await _developer(services, "alice", limit_usd=1.0, team="platform")
        bob = await _developer(services, "bob", limit_usd=None, team="platform")
        await accounting.reserve(services, alice, "t1", 3 * CENT)
        await accounting.settle(services, "t1", 3 * CENT)
        state = await accounting.budget_state(services, bob)
        with pytest.raises(BudgetExceededError, match="team platform's weekly budget"):
            await accounting.reserve(services, bob, "t2", 3 * CENT)
    assert state.fraction_used == pytest.approx(0.6)
    assert state.budget_name == "team platform's weekly budget"


async def test_default_monthly_budget_applies_to_developers_without_one(sim: object, tmp_path: Path):
    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"budgets": {"default_monthly_usd": 2.5}}))
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, _):
        carol = await _developer(services, "carol", limit_usd=None)
        (budget, _name), = await accounting.budgets_of(services, carol)
    assert (budget.period, budget.limit_micros) == ("month", 2_500_000)


async def test_crossing_thresholds_publishes_budget_events(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, _):
        alice = await _developer(services, limit_usd=0.10)
        received: list = []
        ready = asyncio.Event()

        async def follow() -> None:
            stream = services.events.subscribe()
            ready.set()
            async for event in stream:
                if event.type == "budget":
                    received.append(event)
                    if "refused until the budget resets" in event.data["next_action"]:
                        return

        task = asyncio.create_task(follow())
        await ready.wait()
        await asyncio.sleep(0)  # one loop turn: the subscription's queue is now registered
        for i, cents in enumerate((5, 4, 1)):  # 50% ok, 90% stepped_down, 100% exhausted
            await accounting.reserve(services, alice, f"t{i}", cents * CENT)
            await accounting.settle(services, f"t{i}", cents * CENT)
        async with asyncio.timeout(5):
            await task
    # The last cent reserved fills the budget (full for now), settling it uses it up: both are news.
    assert [(e.data["previous_state"], e.data["state"]) for e in received] == [
        ("ok", "stepped_down"), ("stepped_down", "exhausted"), ("exhausted", "exhausted"),
    ]
    assert received[-1].data["developer"] == "alice"
    assert "requests in flight hold the rest" in received[-2].data["next_action"]


async def test_restart_reconciles_reservations_a_crash_left_open(sim_config_file: Path, tmp_path: Path):
    data = tmp_path / "d"
    async with in_process_daemon(sim_config_file, data_dir=data) as (services, _):
        alice = await _developer(services, limit_usd=1.0)
        for i in range(3):
            await accounting.reserve(services, alice, f"t{i}", 10 * CENT)
        await accounting.settle(services, "t2", 7 * CENT)  # settled, but its trace never got written
        budget_id = (await services.store.budget_for("developer", alice.id)).id
    # As if the daemon died here: t0's trace was recorded with its cost, t1 had no trace yet.
    store = SqliteStore(data / "switchboard.db")
    await store.open()
    await store.record_traces([TraceRecord(id="t0", developer_id=alice.id, surface="api", created_at=time.time(),
                                           outcome="ok", latency_ms=5.0, cost_micros=4 * CENT)])
    await store.close()
    async with in_process_daemon(sim_config_file, data_dir=data) as (services, _):
        totals = await services.store.ledger_totals(budget_id)
        lost = await services.store.get_trace("t2")
        in_flight = await services.store.get_trace("t1")
        traces = [await services.store.get_trace(t) for t in ("t0", "t1", "t2")]
    # t1 was in flight: its provider may have answered and billed it, so what it reserved is charged.
    assert totals == {"open": 0, "settled": 21 * CENT, "released": 0}
    assert sum(t.cost_micros for t in traces) == totals["settled"]
    assert lost.outcome == "error" and "stopped before this trace was written" in (lost.error_message or "")
    assert in_flight.cost_micros == 10 * CENT and "in flight" in (in_flight.error_message or "")


async def test_restarts_with_nothing_to_recover_write_no_stub_traces(sim, tmp_path: Path):
    # Retention deletes settled requests' traces (beyond max_traces here); a later start must not take
    # them for traces a crash lost and write stubs again (103 stubs re-created per restart before).
    data = tmp_path / "d"
    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"traces": {"max_traces": 100}}))
    async with in_process_daemon(config, data_dir=data) as (services, _):
        alice = await _developer(services, limit_usd=100.0)
        now = time.time()
        for i in range(130):
            await accounting.reserve(services, alice, f"r{i}", CENT)
            await accounting.settle(services, f"r{i}", CENT)
        await services.store.record_traces([
            TraceRecord(id=f"r{i}", developer_id=alice.id, surface="api", created_at=now - 130 + i, outcome="ok",
                        latency_ms=5.0, cost_micros=CENT) for i in range(130)])
    pruned, stubs = [], []
    for _ in range(3):
        async with in_process_daemon(config, data_dir=data) as (services, _):
            observer = telemetry.of(services)
            async with asyncio.timeout(10):
                await observer.retention_done.wait()
            kept = await services.store.list_traces(TraceQuery(limit=1000))
        pruned.append(observer.pruned_total)
        stubs.append(sum(t.outcome == "error" for t in kept))
    assert pruned == [30, 0, 0] and stubs == [0, 0, 0] and len(kept) == 100
