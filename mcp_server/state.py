"""What the server holds for its lifetime: the way to the daemon, and the resource subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daemon.client import DaemonClient
from mcp_server.access import DaemonAccess
from mcp_server.resources import ResourceWatch


@dataclass
class SwitchboardState:
    """The MCP server's lifespan value (``ctx.request_context.lifespan_context``)."""

    access: DaemonAccess
    watch: ResourceWatch

    def client(self, request: Any) -> DaemonClient:
        """The daemon, as the developer behind ``request``."""
        return self.access.client(request)
