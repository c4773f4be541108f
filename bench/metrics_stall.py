"""How long ``/api/metrics`` takes on a large store, and how long it stalls the daemon's event loop
(issue 16, low finding 16: 285 ms on 61k traces).

    .venv/bin/python bench/metrics_stall.py [--traces 61000] [--rounds 5]

The daemon runs in this process (its own services and app, on the simulated providers) over a
SQLite store filled with traces of the last day, one attempt each and a rating on every tenth. While
``GET /api/metrics?window=24h&all=1`` runs, a ticker task on the same loop sleeps 1 ms at a time and
records the longest gap between its wake-ups: the longest any other request (a health check) had to
wait for the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.store import SqliteStore  # noqa: E402
from daemon.store.records import AttemptRecord, TraceRecord  # noqa: E402
from tests.support import SimServer, in_process_daemon, sim_config, write_config  # noqa: E402

MODELS = ("sim-nano", "sim-mini", "sim-pro", "sim-ultra")


async def fill(path: Path, count: int) -> None:
    """A store with ``count`` traces spread over the last 23 hours."""
    store = SqliteStore(path)
    await store.open()
    try:
        devs = [await store.create_developer(f"dev{i}") for i in range(5)]
        now = time.time()
        for start in range(0, count, 2000):
            batch = []
            for i in range(start, min(count, start + 2000)):
                model = MODELS[i % len(MODELS)]
                created = now - 23 * 3600 * (1 - i / count)
                batch.append(TraceRecord(
                    id=f"t{i:08d}", developer_id=devs[i % len(devs)].id, surface=("api", "mcp", "lsp", "cli")[i % 4],
                    created_at=created, outcome="ok" if i % 17 else "error", latency_ms=100.0 + i % 900,
                    ttft_ms=20.0 + i % 100, chosen_model=model, answered_model=model, task_type="chat",
                    complexity=(i % 100) / 100, policy="balanced", cost_micros=100 + i % 5000,
                    fallback_used=i % 23 == 0, escalated=i % 31 == 0,
                    attempts=(AttemptRecord(0, model, "ok" if i % 17 else "error", created, 100.0),),
                ))
            await store.record_traces(batch)
        for i in range(0, count, 10):
            await store.add_feedback(f"t{i:08d}", "user", 0.8)
    finally:
        await store.close()


async def ticker(stop: asyncio.Event, gaps: list[float]) -> None:
    """Sleep 1 ms at a time; record how late each wake-up was."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = loop.time()
        gaps.append(now - last)
        last = now


async def metrics_with_stall(client, path: str = "/api/metrics?window=24h&all=1") -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds the request took, longest gap between the ticker's wake-ups meanwhile)."""
    stop, gaps = asyncio.Event(), []
    tick = asyncio.create_task(ticker(stop, gaps))
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    response = await client.get(path)
    took = time.perf_counter() - started
    stop.set()
    await tick
    response.raise_for_status()
    return took, max(gaps)


async def run(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        started = time.perf_counter()
        await fill(data / "switchboard.db", count)
        print(f"filled {count:,} traces in {time.perf_counter() - started:.1f} s")
        async with SimServer() as sim:
            config = write_config(Path(tmp) / "config.toml", sim_config(sim.url))
            async with in_process_daemon(config, data_dir=data) as (_services, client):
                await metrics_with_stall(client)  # warm
                print(f"{'round':>5} {'request ms':>11} {'longest loop stall ms':>22}")
                for r in range(rounds):
                    took, stall = await metrics_with_stall(client)
                    print(f"{r + 1:>5} {took * 1000:>11.0f} {stall * 1000:>22.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traces", type=int, default=61_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.traces, args.rounds))


if __name__ == "__main__":
    main()
