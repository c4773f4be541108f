"""Running the sim as a process: `python -m daemon.sim` and the `switchboard sim` verb."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from daemon.sim.profiles import DEMO_PROFILES, ModelProfile
from daemon.sim.server import SimServer


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sim's options to `parser` (used by `python -m daemon.sim` and `switchboard sim`)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7499, help="port; 0 picks a free one (default: 7499)")
    parser.add_argument(
        "--profiles", type=Path, default=None, help="JSON file with a list of model profiles (default: the demo models)"
    )
    parser.add_argument("--instant", action="store_true", help="drop all latency and pacing (benchmarks)")
    parser.add_argument("--require-auth", action="store_true", help="answer 401 to requests without a key")


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
