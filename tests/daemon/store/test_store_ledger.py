"""Budgets and the ledger: reserve, settle, release and reconcile are exact in every store, also when
many connections race for the last dollar of one budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from daemon.errors import BudgetExceededError
from daemon.store import Store
from daemon.store.records import Budget, TraceRecord, usd_to_micros
from tests.daemon.store.conftest import StoreFactory

PERIOD = 1_767_225_600.0  # a period start; any float the caller computes
DOLLAR = usd_to_micros(1.0)


async def _team_budget(store: Store, limit_micros: int) -> Budget:
    team = await store.create_team("core")
    return await store.set_budget("team", team.id, "month", limit_micros)


async def _trace(store: Store, trace_id: str, cost_micros: int) -> None:
    dev = await store.developer_for_os_user("ada")
    await store.record_traces([TraceRecord(
        id=trace_id, developer_id=dev.id, surface="api", created_at=time.time(), outcome="ok",
        latency_ms=12.0, cost_micros=cost_micros,
    )])


async def test_set_budget_replaces_the_scope_budget(store: Store) -> None:
    first = await store.set_budget("developer", 7, "day", 5 * DOLLAR, soft_threshold=0.8)
    second = await store.set_budget("developer", 7, "week", 9 * DOLLAR, critical_only_threshold=0.95)
    assert second.id == first.id
    assert second == Budget(first.id, "developer", 7, "week", 9 * DOLLAR, None, 0.95)
    assert await store.budget_for("developer", 7) == second
    assert await store.budget_for("developer", 8) is None
    assert await store.list_budgets() == [second]


async def test_reservation_counts_until_settled_at_the_true_cost(store: Store) -> None:
    budget = await _team_budget(store, 10 * DOLLAR)
    reservation = await store.reserve("t1", [(budget, PERIOD)], 3 * DOLLAR)
    assert reservation.budget_ids == (budget.id,) and reservation.reserved_micros == 3 * DOLLAR
    assert await store.spend(budget.id, PERIOD) == (0, 3 * DOLLAR)
    await store.settle("t1", 1_234_567)
    assert await store.spend(budget.id, PERIOD) == (1_234_567, 0)
    await store.settle("t1", 99 * DOLLAR)  # settling twice changes nothing
    assert await store.spend(budget.id, PERIOD) == (1_234_567, 0)


async def test_released_reservation_costs_nothing(store: Store) -> None:
    budget = await _team_budget(store, 10 * DOLLAR)
    await store.reserve("t1", [(budget, PERIOD)], 3 * DOLLAR)
    await store.release("t1")
    assert await store.spend(budget.id, PERIOD) == (0, 0)


async def test_reservation_over_the_limit_is_refused_with_the_numbers(store: Store) -> None:
    budget = await _team_budget(store, 10 * DOLLAR)
    await store.reserve("t1", [(budget, PERIOD)], 4 * DOLLAR)
    await store.settle("t1", 4 * DOLLAR)
    await store.reserve("t2", [(budget, PERIOD)], 5 * DOLLAR)
    with pytest.raises(BudgetExceededError) as refused:
        await store.reserve("t3", [(budget, PERIOD)], DOLLAR + 1)
    assert refused.value.details == {"budget_id": budget.id, "used_micros": 9 * DOLLAR, "limit_micros": 10 * DOLLAR}
    await store.reserve("t4", [(budget, PERIOD)], DOLLAR)  # exactly the limit is allowed
    assert await store.spend(budget.id, PERIOD) == (4 * DOLLAR, 6 * DOLLAR)


async def test_reservation_against_two_budgets_is_all_or_nothing(store: Store) -> None:
    team = await _team_budget(store, 2 * DOLLAR)
    mine = await store.set_budget("developer", 1, "day", 100 * DOLLAR)
    with pytest.raises(BudgetExceededError):
        await store.reserve("t1", [(mine, PERIOD), (team, PERIOD)], 3 * DOLLAR)
    assert await store.spend(mine.id, PERIOD) == (0, 0)
    await store.reserve("t2", [(mine, PERIOD), (team, PERIOD)], 2 * DOLLAR)
    await store.settle("t2", DOLLAR)
    assert await store.spend(mine.id, PERIOD) == (DOLLAR, 0)
    assert await store.spend(team.id, PERIOD) == (DOLLAR, 0)


async def test_each_period_has_its_own_spend(store: Store) -> None:
    budget = await _team_budget(store, 2 * DOLLAR)
    await store.reserve("t1", [(budget, PERIOD)], 2 * DOLLAR)
    await store.reserve("t2", [(budget, PERIOD + 86_400)], 2 * DOLLAR)
    assert await store.spend(budget.id, PERIOD) == (0, 2 * DOLLAR)
    assert await store.spend(budget.id, PERIOD + 86_400) == (0, 2 * DOLLAR)


async def test_reconcile_settles_traced_reservations_and_charges_the_rest_what_they_reserved(
    open_stores: StoreFactory,
) -> None:
    crashed = await open_stores()
    dev = await crashed.developer_for_os_user("ada")
    budget = await _team_budget(crashed, 10 * DOLLAR)
    mine = await crashed.set_budget("developer", dev.id, "month", 10 * DOLLAR)
    await crashed.reserve("traced", [(budget, PERIOD)], 3 * DOLLAR)
    await crashed.reserve("in-flight", [(mine, PERIOD), (budget, PERIOD)], 2 * DOLLAR)
    await _trace(crashed, "traced", 1_500_000)
    await crashed.close()  # the daemon is gone with two reservations open

    restarted = await open_stores()
    assert await restarted.reconcile_open_reservations() == 2  # the in-flight call's rows, one per budget
    # Its provider may have answered and billed it before the crash: what it reserved is charged.
    assert await restarted.spend(budget.id, PERIOD) == (1_500_000 + 2 * DOLLAR, 0)
    assert await restarted.spend(mine.id, PERIOD) == (2 * DOLLAR, 0)
    stub = await restarted.get_trace("in-flight")
    assert stub.cost_micros == 2 * DOLLAR and stub.developer_id == dev.id and "in flight" in stub.error_message
    assert await restarted.reconcile_open_reservations() == 0


async def test_spend_before_a_budget_existed_is_carried_once_and_every_developer_has_a_spend(store: Store) -> None:
    ada = await store.developer_for_os_user("ada")
    await _trace(store, "before", 1_250_000)
    await _trace(store, "also-before", 250_000)
    budget = await store.set_budget("developer", ada.id, "month", 10 * DOLLAR)
    await store.carry_spend(budget.id, PERIOD, 1_500_000)
    await store.carry_spend(budget.id, PERIOD, 1_500_000)  # once per period, however often it is asked
    assert await store.spend(budget.id, PERIOD) == (1_500_000, 0)
    assert (await store.spend_by_developer(time.time() - 60))[ada.id] == (1_500_000, 2)
    assert await store.spend_by_developer(time.time() + 60) == {}


async def test_last_dollar_race_between_connections_has_exactly_the_affordable_winners(
    open_stores: StoreFactory,
) -> None:
    contenders, affordable, price = 12, 5, 700_000
    stores = [await open_stores() for _ in range(contenders)]
    budget = await _team_budget(stores[0], affordable * price + price - 1)
    start = asyncio.Event()

    async def contend(i: int) -> bool:
        await start.wait()
        try:
            await stores[i].reserve(f"race-{i}", [(budget, PERIOD)], price)
        except BudgetExceededError:
            return False
        await stores[i].settle(f"race-{i}", price)
        return True

    tasks = [asyncio.create_task(contend(i)) for i in range(contenders)]
    start.set()
    async with asyncio.timeout(30):
        won = await asyncio.gather(*tasks)
    assert sum(won) == affordable
    assert await stores[0].spend(budget.id, PERIOD) == (affordable * price, 0)


async def test_reconcile_gives_a_settled_request_whose_trace_was_lost_a_stub_with_its_cost(
    open_stores: StoreFactory,
) -> None:
    crashed = await open_stores()
    dev = await crashed.developer_for_os_user("ada")
    await _trace(crashed, "earlier", 10)
    mine = await crashed.set_budget("developer", dev.id, "month", 10 * DOLLAR)
    await crashed.reserve("settled-untraced", [(mine, PERIOD)], 3 * DOLLAR)
    await crashed.settle("settled-untraced", 2_500_000)
    await crashed.close()  # gone before the trace writer flushed

    restarted = await open_stores()
    await restarted.reconcile_open_reservations()
    stub = await restarted.get_trace("settled-untraced")
    assert stub.outcome == "error" and stub.cost_micros == 2_500_000 and stub.developer_id == dev.id


async def test_period_spend_stays_equal_to_the_ledger_through_every_kind_of_change(store: Store) -> None:
    # SQLite keeps running totals per budget period (triggers on the ledger): whatever happens to
    # the rows, spend() must equal what the rows add up to.
    team = await _team_budget(store, 100 * DOLLAR)
    own = await store.set_budget("developer", 1, "month", 100 * DOLLAR)
    other_period = PERIOD + 86_400 * 31
    for i in range(6):
        await store.reserve(f"r{i}", [(own, PERIOD), (team, PERIOD)], (i + 1) * DOLLAR)
    await store.reserve("later", [(own, other_period)], 5 * DOLLAR)
    await store.settle("r0", 700_000)
    await store.settle("r1", 2_500_000)
    await store.release("r2")
    await _trace(store, "r3", 1_100_000)  # r3 was traced before the "crash", r4 and r5 were not
    await store.reconcile_open_reservations()  # SQLite closes every open row; PostgreSQL only gone daemons'
    for budget, periods in ((own, (PERIOD, other_period)), (team, (PERIOD,))):
        totals = await store.ledger_totals(budget.id)
        spends = [await store.spend(budget.id, period) for period in periods]
        assert sum(s for s, _ in spends) == totals["settled"] and sum(r for _, r in spends) == totals["open"], totals
    settled_team, _ = await store.spend(team.id, PERIOD)
    # SQLite: r3 at its trace's cost, r4 and r5 charged what they reserved (5 + 6); PostgreSQL: nothing yet.
    assert settled_team in (700_000 + 2_500_000, 700_000 + 2_500_000 + 1_100_000 + 11 * DOLLAR)


async def test_sqlite_migration_adds_up_the_existing_ledger_into_running_totals(tmp_path) -> None:
    import sqlite3

    from daemon.store import SqliteStore
    from daemon.store.schema_sqlite import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute("INSERT INTO budgets (id, scope, scope_id, period, limit_micros, updated_at) "
               "VALUES (1, 'developer', 1, 'month', 50000000, 0)")
    db.executemany(
        "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, settled_micros, created_at) "
        "VALUES (?, 1, ?, ?, ?, ?, 0)",
        [("a", PERIOD, "settled", DOLLAR, 400_000), ("b", PERIOD, "open", 2 * DOLLAR, 0),
         ("c", PERIOD, "released", 3 * DOLLAR, 0), ("d", PERIOD + 1, "settled", DOLLAR, 900_000)],
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    await store.open()
    try:
        assert await store.spend(1, PERIOD) == (400_000, 2 * DOLLAR)
        assert await store.spend(1, PERIOD + 1) == (900_000, 0)
        await store.settle("b", 1_500_000)  # and the triggers carry on from the backfilled totals
        assert await store.spend(1, PERIOD) == (1_900_000, 0)
    finally:
        await store.close()
