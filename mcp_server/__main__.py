"""``python -m mcp_server`` (``switchboard mcp``): the MCP server on stdio.

Only argparse runs before the arguments are read, so ``--help`` is instant; the MCP SDK is imported
once we know we are serving.
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
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m mcp_server``."""
    parser.add_argument("--socket", help="the daemon's socket (default $SWITCHBOARD_SOCKET or the runtime dir)")
    parser.add_argument("--data-dir", help="data directory of a daemon started on demand")


def serve(socket: str | None, data_dir: str | None) -> int:
    """Run the stdio server until the agent closes stdin."""
    import anyio

    from mcp_server.server import run_stdio

    try:
        anyio.run(run_stdio, socket, data_dir)
    except KeyboardInterrupt:
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    return serve(args.socket, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
