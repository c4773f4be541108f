"""Budget accounting's cost on throughput: requests per second with budgets on versus off.

Runs a real daemon (subprocess) on the simulated providers with instant profiles, so the figures
measure the daemon, not a model. Two developers send the same requests over loopback TCP at the
same concurrency: one has no budget (no reservation, nothing settled), the other has a budget large
enough never to refuse (every request reads its budget state, reserves its worst case and settles).
Rounds alternate between the two to share the machine's noise; the median of each side is compared
with the target (budgets on at most 10% slower).

    .venv/bin/python bench/budget_race.py [--requests 400] [--concurrency 32] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.client import DaemonClient
from daemon.core import accounting
from daemon.sim import SimServer
from daemon.wire import AskRequest, BudgetSet
from tests.support import in_process_daemon, running_daemon, sim_config, write_config

TARGET_SLOWDOWN = 0.10


async def _round(client: DaemonClient, requests: int, concurrency: int, tag: str) -> float:
    """Requests per second for ``requests`` asks at ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.ask(AskRequest(prompt=f"{tag} bench request {i}", model="sim-mini", max_tokens=32))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    return requests / (time.perf_counter() - started)


async def accounting_cost(config: Path, work: Path, n: int = 500) -> tuple[float, float]:
    """Microseconds of budget_state + reserve + settle per request, in process: (no budget, budget)."""
    async with in_process_daemon(config, data_dir=work / "accounting") as (services, _):
        free = await services.store.create_developer("acct-free")
        paid = await services.store.create_developer("acct-paid")
        await accounting.set_budget(services, developer="acct-paid", limit_usd=1_000_000)
        figures = []
        for dev in (free, paid):
            started = time.perf_counter()
            for i in range(n):
                trace_id = f"{dev.name}-{i}"
                await accounting.budget_state(services, dev)
                await accounting.reserve(services, dev, trace_id, 2_000)
                await accounting.settle(services, trace_id, 1_000)
            figures.append((time.perf_counter() - started) / n * 1e6)
    return figures[0], figures[1]


async def main(requests: int, concurrency: int, rounds: int) -> int:
    async with SimServer() as sim:
        work = Path(tempfile.mkdtemp(prefix="sb-bench-"))
        config = write_config(work / "config.toml", sim_config(sim.url))
        async with running_daemon(config) as daemon:
            async with daemon.client() as admin:
                free_key = (await admin.add_developer("unbudgeted")).key
                paid_key = (await admin.add_developer("budgeted")).key
                await admin.set_budget(BudgetSet(developer="budgeted", period="month", limit_usd=1_000_000))
            async with daemon.tcp_client(free_key) as free, daemon.tcp_client(paid_key) as paid:
                await _round(free, concurrency, concurrency, "warm")  # connections, caches, first imports
                await _round(paid, concurrency, concurrency, "warm")
                off: list[float] = []
                on: list[float] = []
                for r in range(rounds):
                    pair = [(off, free, "off"), (on, paid, "on")]
                    for results, client, tag in pair if r % 2 == 0 else reversed(pair):
                        results.append(await _round(client, requests, concurrency, f"{tag}{r}"))
            async with daemon.client() as admin:
                (budget,) = (await admin.budget(developer="budgeted")).budgets
        acct_off, acct_on = await accounting_cost(config, work)
    off_rps, on_rps = statistics.median(off), statistics.median(on)
    slowdown = 1 - on_rps / off_rps
    print(f"budget_race: {requests} requests x {rounds} rounds per side, concurrency {concurrency}, "
          f"real daemon over loopback TCP, simulated providers (instant); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':<14}{'budgets off':>14}{'budgets on':>14}")
    print(f"{'median req/s':<14}{off_rps:>14.1f}{on_rps:>14.1f}")
    print(f"{'rounds req/s':<14}{' '.join(f'{x:.0f}' for x in off):>14}  {' '.join(f'{x:.0f}' for x in on)}")
    print(f"slowdown with budgets: {slowdown:+.1%}  (target: at most {TARGET_SLOWDOWN:.0%})  "
          f"{'OK' if slowdown <= TARGET_SLOWDOWN else 'MISSED'}")
    print(f"budgeted developer settled ${budget.spent_usd:.6f} over {requests * rounds + concurrency} requests, "
          f"{budget.reserved_usd:.6f} still reserved")
    print(f"accounting per request, in process, sequential: {acct_off:.0f} us without a budget, "
          f"{acct_on:.0f} us with one (budget_state + reserve + settle)")
    return 0 if slowdown <= TARGET_SLOWDOWN else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--team", action="store_true", help="team mode: 1 vs 3 daemons on one PostgreSQL store")
    args = parser.parse_args()
    if args.team:  # team mode lives in bench/budget_race_team.py
        from bench.budget_race_team import team_main

        raise SystemExit(asyncio.run(team_main(args.requests, args.concurrency, args.rounds)))
    raise SystemExit(asyncio.run(main(args.requests, args.concurrency, args.rounds)))
