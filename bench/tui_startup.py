"""How fast does ``switchboard tui`` get to its first frame? Runs fresh interpreters (as the shell
would) that import the dashboard and mount it headless, with no daemon to wait for, and prints the
median next to the target (well under a second).

    .venv/bin/python bench/tui_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 1.0

IMPORT_ONLY = "import tui.app"
FIRST_FRAME = """
import asyncio
from tui.app import SwitchboardApp
async def main():
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
asyncio.run(main())
"""


def timed(code: str, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``runs`` fresh interpreters.

    On a busy machine the CPU time is the better guess of the wall time on an idle one."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline = timed("pass", runs)
    imports = timed(IMPORT_ONLY, runs)
    frames = timed(FIRST_FRAME, runs)
    print(f"median of {runs} fresh interpreters (target: first frame in well under {TARGET_S:.1f} s)")
    print(f"  {'':22} {'wall':>8} {'cpu':>8}")
    for label, (wall, cpu) in (("python itself", baseline), ("import tui.app", imports),
                               ("import + first frame", frames)):
        print(f"  {label:22} {wall:7.3f}s {cpu:7.3f}s")
    verdict = "within" if min(frames) < TARGET_S else "OVER"
    print(f"  first frame: {verdict} the target (best of wall and CPU: {min(frames):.3f} s)")


if __name__ == "__main__":
    main()
