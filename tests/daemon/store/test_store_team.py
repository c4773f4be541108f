"""What only a shared team store must do: never disturb a live daemon's reservations, and stay exact
when daemons in other processes race for one budget and one of them is killed mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from daemon.errors import BudgetExceededError
from daemon.store import open_store
from daemon.store.records import usd_to_micros
from tests.support import REPO

PERIOD = 1_767_225_600.0


async def test_reconcile_leaves_a_live_daemons_reservations_open(postgres_url: str, tmp_path: Path) -> None:
    live, other = open_store(postgres_url, tmp_path), open_store(postgres_url, tmp_path)
    await live.open()
    await other.open()
    try:
        team = await live.create_team("core")
        budget = await live.set_budget("team", team.id, "month", usd_to_micros(10))
        await live.reserve("in-flight", [(budget, PERIOD)], usd_to_micros(2))
        assert await other.reconcile_open_reservations() == 0
        assert await other.spend(budget.id, PERIOD) == (0, usd_to_micros(2))
        await live.settle("in-flight", usd_to_micros(1))
        assert await other.spend(budget.id, PERIOD) == (usd_to_micros(1), 0)
    finally:
        await other.close()
        await live.close()


async def _spawn_worker(url: str, budget_id: int, name: str, requests: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.daemon.store.team_worker", url, str(budget_id), name, str(requests),
        str(PERIOD), cwd=REPO, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def test_three_processes_racing_for_one_team_budget_never_overspend_and_lose_no_settled_row(
    postgres_url: str, tmp_path: Path
) -> None:
    """300 requests across three processes against a budget affording 100 at the worst case; one
    process is SIGKILLed mid-run. Every settle a process saw return is in the ledger, settled spend
    stays within the limit, and after reconciliation no reservation is open."""
    admin = open_store(postgres_url, tmp_path)
    await admin.open()
    try:
        team = await admin.create_team("core")
        price = 10_000  # worst case reserved per request; each settles at a cost at most that
        budget = await admin.set_budget("team", team.id, "month", 100 * price)
        workers = [await _spawn_worker(postgres_url, budget.id, f"w{i}", 100) for i in range(3)]
        settled: dict[str, int] = {}
        refused = 0

        async def read(i: int, process: asyncio.subprocess.Process) -> None:
            nonlocal refused
            assert process.stdout is not None
            async for line in process.stdout:
                kind, trace_id, micros = line.decode().split()
                if kind == "settled":
                    settled[trace_id] = int(micros)
                    if i == 2 and sum(t.startswith("w2-") for t in settled) == 10:
                        process.send_signal(signal.SIGKILL)  # mid-run: reservations of w2 are open now
                elif kind == "refused":
                    refused += 1

        async with asyncio.timeout(90):
            await asyncio.gather(*(read(i, p) for i, p in enumerate(workers)))
            codes = [await p.wait() for p in workers]
        assert codes[:2] == [0, 0] and codes[2] == -signal.SIGKILL

        await admin.reconcile_open_reservations()
        totals = await admin.ledger_totals(budget.id)
        assert totals["open"] == 0
        assert totals["settled"] <= budget.limit_micros
        for trace_id, micros in settled.items():
            assert (await admin.reservations_of(trace_id))[0][2:] == ("settled", price, micros), trace_id
        acknowledged = sum(settled.values())
        # Settled rows nobody saw acknowledged can only be w2's, killed between settle and print.
        assert acknowledged <= totals["settled"]
        assert refused > 0, "the budget never ran out: the race was not a race"
        assert {t.split("-")[0] for t in settled} == {"w0", "w1", "w2"}
    finally:
        await admin.close()


async def test_daemon_cut_off_from_the_store_restores_its_session_and_keeps_its_reservations(
    postgres_url: str, tmp_path: Path
) -> None:
    import asyncpg

    from daemon.store.postgres import PostgresStore
    from daemon.store.records import MatrixRow

    live, other = PostgresStore(postgres_url), PostgresStore(postgres_url)
    await live.open()
    await other.open()
    admin = await asyncpg.connect(postgres_url)
    try:
        team = await live.create_team("core")
        budget = await live.set_budget("team", team.id, "month", usd_to_micros(10))
        await live.reserve("in-flight", [(budget, PERIOD)], usd_to_micros(2))
        wakes: asyncio.Queue[int] = asyncio.Queue()
        live.subscribe_matrix_changes(wakes.put_nowait)

        # PostgreSQL restarted, or the network cut: the session's backend goes away.
        assert await admin.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            f"switchboard session {live.session_id}",
        )
        async with asyncio.timeout(15):
            assert await wakes.get() == 0  # restored: subscribers are asked to look for missed versions

        assert await other.reconcile_open_reservations() == 0
        assert await other.spend(budget.id, PERIOD) == (0, usd_to_micros(2))
        await live.settle("in-flight", usd_to_micros(1))
        assert await other.spend(budget.id, PERIOD) == (usd_to_micros(1), 0)
        await other.save_matrix_cells([MatrixRow("chat", 0, "fast", 0.5, 1.0, None, None, None, PERIOD)], source="t")
        async with asyncio.timeout(5):
            assert await wakes.get() == 1  # and LISTEN works again
    finally:
        await admin.close()
        await other.close()
        await live.close()


async def test_a_dead_daemons_reservations_are_closed_by_a_live_daemon_and_charged(
    postgres_url: str, tmp_path: Path
) -> None:
    dead, live = open_store(postgres_url, tmp_path), open_store(postgres_url, tmp_path)
    await dead.open()
    await live.open()
    try:
        team = await dead.create_team("core")
        budget = await dead.set_budget("team", team.id, "month", usd_to_micros(3))
        await dead.reserve("stuck", [(budget, PERIOD)], usd_to_micros(2))
        await dead.close()  # gone with its reservation open; nobody has restarted it
        with pytest.raises(BudgetExceededError):
            await live.reserve("all", [(budget, PERIOD)], usd_to_micros(3))
        # Closed, not left open until someone restarts the dead daemon: charged what it reserved, since
        # its call may have been answered (and billed) before it died. What is left stays usable.
        assert (await live.reservations_of("stuck"))[0][2:] == ("settled", usd_to_micros(2), usd_to_micros(2))
        await live.reserve("next", [(budget, PERIOD)], usd_to_micros(1))
        assert await live.spend(budget.id, PERIOD) == (usd_to_micros(2), usd_to_micros(1))
    finally:
        await live.close()
