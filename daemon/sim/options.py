"""The sim's command-line options, apart from the sim itself so ``switchboard --help`` stays instant."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sim's options to `parser` (used by `python -m daemon.sim` and `switchboard sim`)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7499, help="port; 0 picks a free one (default: 7499)")
    parser.add_argument(
        "--profiles", type=Path, default=None, help="JSON file with a list of model profiles (default: the demo models)"
    )
    parser.add_argument("--instant", action="store_true", help="drop all latency and pacing (benchmarks)")
    parser.add_argument("--require-auth", action="store_true", help="answer 401 to requests without a key")
