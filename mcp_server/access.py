"""How a tool reaches the daemon, and as whom.

Over stdio the agent that launched ``switchboard mcp`` is the socket's owner, so every call goes
through one ``DaemonClient`` on the local socket (starting the daemon if needed). Inside the
daemon, at ``/mcp``, each request carries its own developer key, so the HTTP transport supplies an
access that builds the client from the request (``daemon.api.mcp_http``). Tools only ever ask
``access.client(ctx)``; they never decide identity themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from daemon.client import DaemonClient
from daemon.wire import Event


class DaemonAccess(Protocol):
    """The daemon as the developer behind the current MCP request."""

    def client(self, request: Any) -> DaemonClient:
        """A client acting as the developer of ``request`` (the transport's HTTP request, or None on stdio)."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """The daemon's live events, used to tell subscribers a resource changed."""
        ...


class LocalAccess:
    """One client on the local socket: the identity of the OS user who launched the server."""

    def __init__(self, client: DaemonClient, watcher: DaemonClient) -> None:
        self._client = client
        self._watcher = watcher

    def client(self, request: Any) -> DaemonClient:
        """The same socket client for every request."""
        return self._client

    def events(self) -> AsyncIterator[Event]:
        """Follow ``/api/events`` on the socket (never starting a daemon: only a tool call may do that)."""
        return self._watcher.events()


@contextlib.asynccontextmanager
async def local_access(
    socket: str | None = None, data_dir: str | None = None, *, autostart: bool = True
) -> AsyncIterator[LocalAccess]:
    """Socket access for ``switchboard mcp --in-process``; starts the daemon on first use unless told not to."""
    async with DaemonClient(socket, autostart=autostart, data_dir=data_dir) as client, DaemonClient(socket) as watcher:
        yield LocalAccess(client, watcher)
