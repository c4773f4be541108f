"""Team mode of the budget race (``bench/budget_race.py --team``): throughput of daemons sharing
one PostgreSQL store, 1 daemon versus 3 (and 1 on SQLite for reference), every request charged to the same developer and team
budget — so every reservation of every daemon locks the same two budget rows.

Real daemons (subprocesses) on the simulated providers (instant), a fresh schema in the PostgreSQL
at $SWITCHBOARD_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres), dropped after.
A single daemon on the default SQLite store runs the same load as the reference. Rounds alternate
between the set-ups; medians are compared side by side. Afterwards the
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

from daemon.client import DaemonClient
from daemon.sim import SimServer
from daemon.store import Store, open_store
from daemon.store.records import Budget
from daemon.wire import AskRequest
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


async def _budgeted(store: Store) -> Budget:
    """The local user in team "bench", with a developer and a team budget that never refuse."""
    me = await store.developer_for_os_user(getpass.getuser())
    team = await store.create_team("bench")
    await store.set_team(me.id, team.id)
    await store.set_budget("developer", me.id, "month", 10**12)
    return await store.set_budget("team", team.id, "month", 10**12)


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
    local = open_store("", work / "sqlite")
    results: dict[str, list[float]] = {"sqlite": [], "one": [], "three": []}
    try:
        async with SimServer() as sim:
            team_config = write_config(work / "team.toml", sim_config(sim.url, extra={"store": {"url": url}}))
            solo_config = write_config(work / "solo.toml", sim_config(sim.url))
            await store.open()
            budget = await _budgeted(store)
            await local.open()
            await _budgeted(local)
            await local.close()
            daemons = list(await asyncio.gather(
                *(start_daemon(team_config) for _ in range(3)), start_daemon(solo_config, data_dir=work / "sqlite")
            ))
            setups = {"sqlite": daemons[3:], "one": daemons[:1], "three": daemons[:3]}
            try:
                for name, subset in setups.items():
                    await _burst(subset, 3 * concurrency, concurrency, f"warm-{name}")
                for r in range(rounds):
                    order = list(setups) if r % 2 == 0 else list(reversed(setups))
                    for name in order:
                        results[name].append(await _burst(setups[name], requests, concurrency, f"{name}{r}"))
            finally:
                await asyncio.gather(*(stop_daemon(d) for d in daemons))
            totals = await store.ledger_totals(budget.id)
    finally:
        await store.close()
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
    medians = {name: statistics.median(xs) for name, xs in results.items()}
    print(f"budget_race --team: {requests} requests x {rounds} rounds per set-up, {concurrency} in flight per "
          f"daemon; every request reserves and settles against one developer and one team budget")
    print(f"{'':<14}{'1 daemon':>14}{'1 daemon':>14}{'3 daemons':>14}")
    print(f"{'store':<14}{'SQLite':>14}{'PostgreSQL':>14}{'PostgreSQL':>14}")
    print(f"{'median req/s':<14}{medians['sqlite']:>14.1f}{medians['one']:>14.1f}{medians['three']:>14.1f}")
    for name in results:
        print(f"  rounds {name:<7} {' '.join(f'{x:.0f}' for x in results[name])}")
    print(f"3 daemons / 1 daemon on PostgreSQL: x{medians['three'] / medians['one']:.2f} "
          f"(cores on this machine: {os.cpu_count()}; the daemons and PostgreSQL share them)")
    print(f"team ledger: ${totals['settled'] / 1e6:.6f} settled, {totals['open']} micro-dollars still reserved")
    return 0 if totals["open"] == 0 else 1
