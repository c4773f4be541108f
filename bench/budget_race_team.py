"""Team mode of the budget race (``bench/budget_race.py --team``): throughput of daemons sharing
one PostgreSQL store, 1 daemon versus 3, every request charged to the same developer and team
budget — so every reservation of every daemon locks the same two budget rows.

Real daemons (subprocesses) on the simulated providers (instant), a fresh schema in the PostgreSQL
at $SWITCHBOARD_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres), dropped after.
Rounds alternate between the two set-ups; medians are compared side by side. Afterwards the
ledger is checked: settled spend within the limit, no reservation left open.

    .venv/bin/python bench/budget_race.py --team [--requests 300] [--concurrency 16] [--rounds 3]
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg

from daemon.api.wire import AskRequest
from daemon.client import DaemonClient
from daemon.sim import SimServer
from daemon.store import open_store
from tests.support import DaemonProcess, sim_config, start_daemon, stop_daemon, write_config

ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _burst(daemons: list[DaemonProcess], requests: int, concurrency: int, tag: str) -> float:
    """Requests per second for ``requests`` asks spread evenly over ``daemons``, ``concurrency`` in
    flight per daemon. Fresh clients per burst: an idle keep-alive connection may have been closed."""
    gates = [asyncio.Semaphore(concurrency) for _ in daemons]
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(DaemonClient(d.socket, autostart=False)) for d in daemons]

        async def one(i: int) -> None:
            k = i % len(clients)
            async with gates[k]:
                await clients[k].ask(AskRequest(prompt=f"{tag} team request {i}", model="sim-mini", max_tokens=32))

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        return requests / (time.perf_counter() - started)


async def team_main(requests: int, concurrency: int, rounds: int) -> int:
    """Run the team bench; prints the figures and returns the exit status."""
    try:
        admin = await asyncpg.connect(ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"budget_race --team: skipped, PostgreSQL not reachable at {ADMIN_URL} ({exc})")
        return 0
    schema = f"sb_bench_{secrets.token_hex(4)}"
    await admin.execute(f"CREATE SCHEMA {schema}")
    url = f"{ADMIN_URL}{'&' if '?' in ADMIN_URL else '?'}search_path={schema}"
    work = Path(tempfile.mkdtemp(prefix="sb-bench-team-"))
    store = open_store(url, work)
    try:
        async with SimServer() as sim:
            config = write_config(work / "config.toml", sim_config(sim.url, extra={"store": {"url": url}}))
            await store.open()
            me = await store.developer_for_os_user(getpass.getuser())
            team = await store.create_team("bench")
            await store.set_team(me.id, team.id)
            await store.set_budget("developer", me.id, "month", 10**12)
            budget = await store.set_budget("team", team.id, "month", 10**12)
            daemons = list(await asyncio.gather(*(start_daemon(config) for _ in range(3))))
            try:
                await _burst(daemons, 3 * concurrency, concurrency, "warm")
                one: list[float] = []
                three: list[float] = []
                for r in range(rounds):
                    pair = [(one, daemons[:1], "one"), (three, daemons, "three")]
                    for results, subset, tag in pair if r % 2 == 0 else reversed(pair):
                        results.append(await _burst(subset, requests, concurrency, f"{tag}{r}"))
            finally:
                await asyncio.gather(*(stop_daemon(d) for d in daemons))
            totals = await store.ledger_totals(budget.id)
    finally:
        await store.close()
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
    one_rps, three_rps = statistics.median(one), statistics.median(three)
    print(f"budget_race --team: {requests} requests x {rounds} rounds per side, {concurrency} in flight per daemon, "
          f"daemons on one PostgreSQL store, one developer + one team budget (every reservation locks both rows)")
    print(f"{'':<14}{'1 daemon':>14}{'3 daemons':>14}")
    print(f"{'median req/s':<14}{one_rps:>14.1f}{three_rps:>14.1f}")
    print(f"{'rounds req/s':<14}{' '.join(f'{x:.0f}' for x in one):>14}  {' '.join(f'{x:.0f}' for x in three)}")
    print(f"3 daemons / 1 daemon: x{three_rps / one_rps:.2f} (cores on this machine: {os.cpu_count()})")
    print(f"team ledger: ${totals['settled'] / 1e6:.6f} settled, {totals['open']} micro-dollars still reserved")
    return 0 if totals["open"] == 0 else 1
