"""The MCP server: tools, resources and instructions over one way to the daemon (``DaemonAccess``).

``build_server`` is shared by both transports: ``run_stdio`` serves it to the agent that launched
``switchboard mcp``; ``daemon.api.mcp_http`` serves it at ``/mcp`` with per-request identity.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import SubscribeRequestParams, UnsubscribeRequestParams

from daemon import __version__
from mcp_server import SERVER_NAME
from mcp_server.access import DaemonAccess, local_access
from mcp_server.errors import advise_on_bad_arguments
from mcp_server.instructions import INSTRUCTIONS
from mcp_server.resources import ResourceWatch, register_resources, remember_call
from mcp_server.state import SwitchboardState
from mcp_server.stdio import serve_stdio
from mcp_server.tools import register_tools

AccessFactory = Callable[[], AbstractAsyncContextManager[DaemonAccess]]


def build_server(open_access: AccessFactory, *, follow_events: bool = True) -> MCPServer[SwitchboardState]:
    """An MCP server whose tools reach the daemon through the access ``open_access`` yields."""
    bus = InMemorySubscriptionBus()
    watch = ResourceWatch(bus)

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer[SwitchboardState]) -> AsyncIterator[SwitchboardState]:
        async with open_access() as access, anyio.create_task_group() as tasks:
            if follow_events:
                tasks.start_soon(watch.follow, access.events)
            try:
                yield SwitchboardState(access=access, watch=watch)
            finally:
                tasks.cancel_scope.cancel()

    server: MCPServer[SwitchboardState] = MCPServer(
        SERVER_NAME,
        title="Switchboard",
        description="Route, delegate, get consensus, watch the budget and rate results through Switchboard.",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        subscriptions=bus,
        middleware=[remember_call, advise_on_bad_arguments],
        log_level="WARNING",
    )
    register_tools(server)
    register_resources(server)
    # Handshake-era clients subscribe with resources/subscribe, which MCPServer does not serve; the
    # SDK's advice for re-providing a spec method is the low-level server's add_request_handler.
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, watch.subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, watch.unsubscribe)
    return server


async def run_stdio(socket: str | None = None, data_dir: str | None = None, *, autostart: bool = True) -> None:
    """Serve the agent on stdin/stdout in this process, as the socket's owner (``--in-process``)."""
    server = build_server(lambda: local_access(socket, data_dir, autostart=autostart))
    await serve_stdio(server._lowlevel_server)


__all__ = ["build_server", "run_stdio"]


