"""Regenerate docs/dashboard.svg: the dashboard on a real daemon over the simulated providers, after a
minute of the demo workload, with a daily budget set and a few scripted provider faults so that the
fallback and error figures have something to show.

    .venv/bin/python docs/dashboard_screenshot.py [--seconds 60] [--size 120x36]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from daemon.api.wire import BudgetSet  # noqa: E402
from daemon.run_local import demo_workload  # noqa: E402
from daemon.sim import DEMO_PROFILES, Fault, SimServer  # noqa: E402
from tests.support import running_daemon, sim_config, write_config  # noqa: E402
from tui.app import SwitchboardApp  # noqa: E402


async def faults(sim: SimServer) -> None:
    """Now and then a provider misbehaves, as they do."""
    n = 0
    while True:
        n += 1
        sim.script("sim-pro", Fault(kind="unavailable", times=4))
        if n % 3 == 0:
            sim.script("sim-claude", Fault(kind="server_error", times=4))
        await asyncio.sleep(4.0)


async def main(seconds: float, size: tuple[int, int]) -> None:
    async with SimServer(DEMO_PROFILES) as sim:
        config = write_config(Path(tempfile.mkdtemp()) / "config.toml",
                              sim_config(sim.url, profiles=DEMO_PROFILES, extra={"daemon": {"http": ""}}))
        async with running_daemon(config) as daemon, daemon.client() as client:
            me = (await client.status()).developer
            await client.set_budget(BudgetSet(developer=me, period="day", limit_usd=0.15))
            tasks = [asyncio.create_task(demo_workload(client, pace_s=0.15)) for _ in range(3)]
            tasks.append(asyncio.create_task(faults(sim)))
            await asyncio.sleep(seconds)
            app = SwitchboardApp(client, window="1h", demo_workload=True)
            async with app.run_test(size=size) as pilot:
                async with asyncio.timeout(30):
                    while app.metrics is None or not app.overview.tail.row_count:
                        await pilot.pause(0.05)
                await pilot.pause(1.0)
                app.save_screenshot(filename="dashboard.svg", path=str(REPO / "docs"))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    print(f"wrote {REPO / 'docs' / 'dashboard.svg'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="120x36")
    options = parser.parse_args()
    width, height = (int(v) for v in options.size.split("x"))
    asyncio.run(main(options.seconds, (width, height)))
