"""What ``make run`` does: start the daemon on the embedded defaults.

With no provider key in the environment and no user config, there is nothing real to route to,
so the daemon starts with the simulated providers (demo mode), clearly labelled as such.
"""

from __future__ import annotations

import os
import sys

from daemon.candidates import availability
from daemon.config import load_settings, user_config_path


def wants_demo() -> bool:
    """True when no configured model is usable (no keys set, no local servers configured)."""
    if os.environ.get("SWITCHBOARD_DEMO") in ("1", "true"):
        return True
    if user_config_path() is not None:
        return False
    return not any(reason is None for reason in availability(load_settings()).values())


def main() -> int:
    """Run ``switchboard daemon`` (with ``--demo`` when there is nothing real to route to)."""
    from daemon.cli import main as cli_main

    args = ["daemon"]
    if wants_demo():
        print("No provider key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) and no config: starting with the "
              "SIMULATED providers (demo mode). Answers are synthetic.", file=sys.stderr)
        args.append("--demo")
    return cli_main(args + sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
