"""``python -m mcp_server`` (``switchboard mcp``): the MCP server on stdio.

By default the process relays to the daemon's ``/mcp`` over its socket (``mcp_server.relay``), so it
starts in the time of the interpreter: the MCP SDK is loaded once, by the daemon. ``--in-process``
serves the tools here instead (one SDK import per agent session). Only argparse runs before the
arguments are read, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The options of ``switchboard mcp``."""
    parser = argparse.ArgumentParser(
        prog="switchboard mcp",
        description="Serve Switchboard's MCP tools on stdio for a coding agent "
                    "(e.g. `claude mcp add switchboard -- switchboard mcp`). Starts the daemon if needed.",
    )
    parser.add_argument("--socket", help="the daemon's socket (default $SWITCHBOARD_SOCKET or the runtime dir)")
    parser.add_argument("--data-dir", help="data directory of a daemon started on demand")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``switchboard mcp`` adds to the common ``--socket`` and ``--data-dir``."""
    parser.add_argument("--no-autostart", action="store_true",
                        help="fail instead of starting a daemon when none answers (also $SWITCHBOARD_NO_AUTOSTART)")
    parser.add_argument("--in-process", action="store_true",
                        help="serve the tools in this process instead of relaying to the daemon's /mcp (slower start)")


def autostart(args: argparse.Namespace) -> bool:
    """Whether a daemon may be started on demand."""
    import os

    return not (args.no_autostart or os.environ.get("SWITCHBOARD_NO_AUTOSTART"))


async def serve(args: argparse.Namespace) -> int:
    """Serve until the agent closes stdin (``args`` as parsed by ``build_parser``)."""
    if args.in_process:
        from mcp_server.server import run_stdio

        await run_stdio(args.socket, args.data_dir, autostart=autostart(args))
    else:
        from mcp_server.relay import run_relay

        await run_relay(args.socket, args.data_dir, autostart=autostart(args))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    import asyncio

    try:
        return asyncio.run(serve(build_parser().parse_args(argv)))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
