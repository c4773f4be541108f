"""Running the sim as a process: `python -m daemon.sim` and the `switchboard sim` verb."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from daemon.sim.options import add_sim_arguments
from daemon.sim.profiles import DEMO_PROFILES, ModelProfile
from daemon.sim.server import SimServer


def load_profiles(path: Path) -> list[ModelProfile]:
    """Profiles from a JSON file holding a list (or {"profiles": [...]}) of profile objects."""
    data = json.loads(path.read_text())
    items = data["profiles"] if isinstance(data, dict) else data
    return [ModelProfile.model_validate(item) for item in items]


async def run_sim(args: argparse.Namespace) -> None:
    """Serve until cancelled, SIGINT or SIGTERM; prints the base URL as the first stdout line."""
    profiles = load_profiles(args.profiles) if args.profiles else list(DEMO_PROFILES)
    if args.instant:
        profiles = [p.instant() for p in profiles]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with SimServer(profiles, host=args.host, port=args.port, require_auth=args.require_auth) as sim:
            # A parent started with --port 0 reads this line to learn the port.
            print(sim.url, flush=True)
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m daemon.sim`."""
    parser = argparse.ArgumentParser(prog="python -m daemon.sim", description="Switchboard's simulated providers")
    add_sim_arguments(parser)
    args = parser.parse_args(argv)
    try:
        asyncio.run(run_sim(args))
    except OSError as exc:
        print(f"sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
