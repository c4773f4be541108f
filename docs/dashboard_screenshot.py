"""Regenerate docs/dashboard.svg: the dashboard on a real daemon over the simulated providers, after a
minute of make run's demo (``daemon.cli.demo_workload``: its workload and its scripted provider faults), with a
daily budget set.

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

from daemon.cli.demo_workload import run_demo  # noqa: E402
from daemon.wire import BudgetSet  # noqa: E402
from tests.support import running_daemon, write_config  # noqa: E402
from tui.app import SwitchboardApp  # noqa: E402


async def main(seconds: float, size: tuple[int, int]) -> None:
    # A demo-mode daemon (its own simulated providers) in a scratch data dir, driven by make run's demo.
    config = write_config(Path(tempfile.mkdtemp()) / "config.toml", {"daemon": {"http": ""}})
    async with running_daemon(config, extra_args=["--demo"]) as daemon, daemon.client() as client:
        me = (await client.status()).developer
        await client.set_budget(BudgetSet(developer=me, period="day", limit_usd=0.15))
        demo = asyncio.create_task(run_demo(client, pace_s=0.15, workers=3))
        await asyncio.sleep(seconds)
        app = SwitchboardApp(client, window="1h", demo_workload=True)
        async with app.run_test(size=size) as pilot:
            async with asyncio.timeout(30):
                while app.metrics is None or not app.overview.tail.row_count:
                    await pilot.pause(0.05)
            await pilot.pause(1.0)
            app.save_screenshot(filename="dashboard.svg", path=str(REPO / "docs"))
        demo.cancel()
        await asyncio.gather(demo, return_exceptions=True)
    print(f"wrote {REPO / 'docs' / 'dashboard.svg'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="120x36")
    options = parser.parse_args()
    width, height = (int(v) for v in options.size.split("x"))
    asyncio.run(main(options.seconds, (width, height)))
