"""Instructions the daemon executes per gateway request, counted by callgrind: repeatable where timings are not.

    .venv/bin/python bench/daemon_instructions.py [--rev GIT_REV ...] [--requests 1000] [--cases openai,anthropic-stream]

On a small shared machine, requests/s and CPU time move 10-25% from run to run, more than most single
changes to the daemon are worth. An instruction count does not: the same code, inputs and environment
give the same count within ~1%, whatever else the machine is doing. So this runs a real daemon under
``valgrind --tool=callgrind`` against the instant sim (one process each), sends warm-up requests with
counting off, then counts ``--requests`` requests at 32 concurrent clients per case and prints
instructions per request: for the working tree, and for each ``--rev`` (checked out into a temporary
git worktree) side by side. Instructions are not time (a cache miss or a system call costs more than
its count says), so confirm a change that matters with ``bench/gateway_overhead.py``.

Needs valgrind (``apt-get install valgrind``). A daemon under callgrind runs ~50x slower: expect
about a minute per revision and case.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from gateway_overhead import Target, _body, _one, _stop, start_sim, write_sim_config  # noqa: E402

from daemon.client import DaemonClient  # noqa: E402

CASES = {"openai": ("openai", False), "openai-stream": ("openai", True),
         "anthropic": ("anthropic", False), "anthropic-stream": ("anthropic", True)}
WARM_UP = 300
CLIENTS = 32


async def _load(target: Target, fmt: str, stream: bool, count: int) -> None:
    path, body = _body(fmt, stream)
    payload = json.dumps(body).encode()
    left = count
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await _one(session, target, path, payload)

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))


async def _start(tree: Path, sim_url: str, work: Path) -> tuple[subprocess.Popen, Target]:
    """A daemon from ``tree`` under callgrind (instrumentation off until asked), with a developer key."""
    work.mkdir(parents=True)
    write_sim_config(sim_url, work)
    socket_path = work / "d.sock"
    env = {**os.environ, "SWITCHBOARD_SIM_KEY": "sim", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(tree)}
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={work}/callgrind.%p",
         sys.executable, "-m", "daemon", "daemon", "--socket", str(socket_path), "--data-dir", str(work / "data"),
         "--config", str(work / "config.toml"), "--http", "127.0.0.1:0"],
        cwd=tree, env=env, stdout=open(work / "daemon.log", "wb"), stderr=subprocess.STDOUT,
    )
    async with DaemonClient(socket_path, autostart=False) as client:
        async with asyncio.timeout(300):
            while not await client.is_running():  # noqa: ASYNC110 - polling another process
                if process.poll() is not None:
                    raise RuntimeError(f"the daemon exited; see {work / 'daemon.log'}")
                await asyncio.sleep(0.2)
        status = await client.status()
        key = (await client.add_developer("bench")).key
    return process, Target(tree.name, f"http://{status.http}", {"authorization": f"Bearer {key}",
                                                                "content-type": "application/json"})


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, timeout=300)


def _counted(work: Path, pid: int) -> int:
    dumps = sorted(glob.glob(f"{work}/callgrind.{pid}.*"), key=os.path.getmtime)
    text = Path(dumps[-1]).read_text(errors="replace")
    match = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    if match is None:
        raise RuntimeError(f"no instruction total in {dumps[-1]}")
    return int(match.group(1))


async def _measure(tree: Path, sim_url: str, work: Path, cases: list[str], requests: int) -> dict[str, float]:
    process, target = await _start(tree, sim_url, work)
    out = {}
    try:
        for case in cases:
            fmt, stream = CASES[case]
            await _load(target, fmt, stream, WARM_UP)
            _control("-i", "on", str(process.pid))
            await _load(target, fmt, stream, 100)  # warm with counting on, then count from zero
            _control("-z", str(process.pid))
            await _load(target, fmt, stream, requests)
            _control("-d", str(process.pid))
            await asyncio.sleep(0.5)
            out[case] = _counted(work, process.pid) / requests
            _control("-i", "off", str(process.pid))
    finally:
        _stop(process)
    return out


async def count_all(trees: list[tuple[str, Path]], work: Path, cases: list[str], requests: int,
                    ) -> dict[str, dict[str, float]]:
    """Instructions per request for every tree and case, one daemon at a time against one sim."""
    sim, sim_url = start_sim()
    results = {}
    try:
        for index, (label, tree) in enumerate(trees):
            started = time.perf_counter()
            results[label] = await _measure(tree, sim_url, work / f"work-{index}", cases, requests)
            print(f"{label}: counted in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        _stop(sim)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append", default=[], help="a git revision to count too (repeatable)")
    parser.add_argument("--requests", type=int, default=1000, help="requests counted per case (default 1000)")
    parser.add_argument("--cases", default="openai,anthropic", help=f"comma-separated, of: {', '.join(CASES)}")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sb-instr-") as tmp:
        trees = [("working tree", REPO)]
        try:
            for rev in args.rev:
                tree = Path(tmp) / f"rev-{len(trees)}"
                subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(tree), rev],
                               check=True, capture_output=True)
                trees.append((rev, tree))
            results = asyncio.run(count_all(trees, Path(tmp), cases, args.requests))
        finally:
            for _, tree in trees[1:]:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    print(f"daemon instructions per request (callgrind; {args.requests} requests, {CLIENTS} clients, instant sim)\n")
    print(f"{'case':18}" + "".join(f"{label[:16]:>18}" for label in results))
    for case in cases:
        print(f"{case:18}" + "".join(f"{results[label][case] / 1000:>17,.0f}k" for label in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
