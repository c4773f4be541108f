"""MCP over streamable HTTP at ``/mcp``: the same server as ``switchboard mcp``, inside the daemon.

Identity: the auth middleware (``daemon.api.auth``) has already refused a TCP request without a
valid developer key. The tools then call the daemon's own loopback listener *with the caller's
key* (``DaemonClient(base_url=..., api_key=...)``), so every tool acts as exactly that developer,
through the same checks as any other client, and nothing in the MCP layer decides identity. On the
Unix socket the caller is the socket's owner, and the tools use the socket. Each MCP session is
also bound to its developer (the SDK refuses a session id presented by anyone else).

Both protocol eras the SDK serves are accepted: handshake-era sessions (``initialize``, session id,
optional GET stream) and 2026-07-28 per-request envelopes. Requests from a browser page whose
``Origin`` is not a loopback origin are refused (DNS-rebinding and cross-site protection).

The SDK's session manager needs a running task group; the daemon's listeners run without an ASGI
lifespan, so it is started on the first ``/mcp`` request (which also pays the SDK import, once).
When the daemon starts to stop (its event bus closes), tool calls under way finish and then every
session ends, so an idle client's open stream does not hold the daemon for its drain time.

``switchboard mcp`` (``mcp_server.relay``) reaches this endpoint over the Unix socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from daemon.api.auth import CREDENTIAL_KEY, DEVELOPER_KEY, LISTENER_KEY
from daemon.api.http import error_response
from daemon.core.services import Services
from daemon.errors import DaemonUnavailableError, PermissionDeniedError
from daemon.keys import hash_key
from daemon.wire import Event

if TYPE_CHECKING:
    from daemon.client import DaemonClient

log = logging.getLogger("switchboard.mcp")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_CACHED_CLIENTS = 64
"""Connection pools kept for recent callers' keys (one per developer key, least recently used dropped)."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def caller_key(scope: Scope) -> str | None:
    """The developer key the auth middleware identified this request by: the tools act with exactly the
    key that was checked (a request with two different keys was refused before it got here)."""
    return scope.get(CREDENTIAL_KEY)


def host_allowed(host: str | None, listening: str | None) -> bool:
    """On TCP, the Host must name this listener (a loopback name, or the address it listens on): DNS rebinding."""
    if not host:
        return False
    name = urlsplit(f"//{host}").hostname or ""
    listening_name = urlsplit(f"//{listening}").hostname if listening else None
    return name in LOOPBACK_HOSTS or name == listening_name


def origin_allowed(origin: str | None) -> bool:
    """No Origin (not a browser) or a loopback origin; a web page elsewhere may not drive the tools."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


class CallerAccess:
    """``DaemonAccess`` for ``/mcp``: the daemon as the developer whose key came with each request."""

    def __init__(self, services: Services) -> None:
        # Imported here, on the first /mcp request: httpx costs the daemon ~0.15 s at start otherwise.
        from daemon.client import DaemonClient

        self._services = services
        self._socket_client = DaemonClient(services.options.socket)
        self._clients: dict[str, DaemonClient] = {}

    def _base_url(self) -> str:
        address = self._services.http_address
        if address is None:
            raise PermissionDeniedError("the daemon has no TCP listener to act for this developer; set daemon.http")
        host, _, port = address.rpartition(":")
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def client(self, request: Any) -> DaemonClient:
        """A client with the caller's key (TCP), or the socket client for the socket's owner."""
        scope = request.scope
        if scope.get(LISTENER_KEY) == "unix":
            return self._socket_client
        key = caller_key(scope)
        if not key:
            raise PermissionDeniedError("this MCP request carries no developer key")
        digest = hash_key(key)
        client = self._clients.pop(digest, None)
        if client is None:
            from daemon.client import DaemonClient

            client = DaemonClient(base_url=self._base_url(), api_key=key)
            if len(self._clients) >= MAX_CACHED_CLIENTS:
                oldest = next(iter(self._clients))
                _close_later(self._clients.pop(oldest))
        self._clients[digest] = client  # most recently used last
        return client

    def events(self) -> AsyncIterator[Event]:
        """The daemon's event bus, in process."""
        return self._services.events.subscribe()

    async def aclose(self) -> None:
        """Close every connection pool."""
        await self._socket_client.aclose()
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


_closing: set[asyncio.Task[None]] = set()


def _close_later(client: DaemonClient) -> None:
    task = asyncio.get_running_loop().create_task(client.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


class InFlight:
    """Server middleware counting the requests being served (a listen stream is not work to wait for)."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.request_id is None or ctx.method == "subscriptions/listen":
            return await call_next(ctx)
        self.count += 1
        self.idle.clear()
        try:
            return await call_next(ctx)
        finally:
            self.count -= 1
            if self.count == 0:
                self.idle.set()


class _Runtime:
    """One daemon's MCP server and its running session manager."""

    def __init__(self, services: Services) -> None:
        # The MCP SDK takes about a second to import: only a daemon that is asked for /mcp pays it.
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        from mcp_server.server import build_server

        access = CallerAccess(services)

        @contextlib.asynccontextmanager
        async def open_access() -> AsyncIterator[CallerAccess]:
            try:
                yield access
            finally:
                await access.aclose()

        self.server = build_server(open_access)
        # Builds the session manager; the Starlette app it returns is not used (we route /mcp ourselves).
        # Origin and Host are checked by McpEndpoint, which knows the listener (the SDK's check would
        # refuse the socket listener, whose Host is not an address).
        from mcp.server.transport_security import TransportSecuritySettings

        self.server.streamable_http_app(
            json_response=False, stateless_http=False,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        self.manager = self.server.session_manager
        self.user_for = lambda developer_id: AuthenticatedUser(
            AccessToken(token="", client_id=f"developer:{developer_id}", scopes=[]))
        self._started = asyncio.Event()
        self.services = services
        self.in_flight = InFlight()
        self.server.middleware.append(self.in_flight)
        self.stopped = False
        self._task: asyncio.Task[None] | None = None

    async def ready(self) -> None:
        """Start the session manager on first use."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mcp-session-manager")
        await self._started.wait()

    async def _run(self) -> None:
        async with self.manager.run():
            self._started.set()
            # The event bus ends every subscription when the daemon starts to stop. Tool calls under
            # way then finish (within the daemon's drain time); leaving run() ends the sessions, so
            # an idle client's open stream does not hold the daemon for its whole drain time.
            async for _ in self.services.events.subscribe():
                pass
            await self.in_flight.idle.wait()
            self.stopped = True


class McpEndpoint:
    """The ASGI app behind ``/mcp``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if not origin_allowed(_header(scope, b"origin")):
            response = error_response(PermissionDeniedError(
                "this /mcp request comes from a web page that is not on this machine (Origin header); "
                "MCP clients connect without an Origin or from a loopback origin"))
            await response(scope, receive, send)
            return
        state = scope["app"].state  # one runtime per app (and so per daemon's services)
        if scope.get(LISTENER_KEY) == "tcp" and not host_allowed(_header(scope, b"host"), state.services.http_address):
            await error_response(PermissionDeniedError(
                "this /mcp request names another host (Host header); connect to the daemon's own address"))(
                scope, receive, send)
            return
        runtime: _Runtime | None = getattr(state, "mcp_runtime", None)
        if runtime is None:
            runtime = state.mcp_runtime = _Runtime(state.services)
        await runtime.ready()
        if runtime.stopped:
            await error_response(DaemonUnavailableError("the daemon is stopping; reconnect once it is back"))(
                scope, receive, send)
            return
        developer = scope.get(DEVELOPER_KEY)
        if developer is not None:
            # Binds each MCP session to the developer who opened it.
            scope["user"] = runtime.user_for(developer.id)
        await runtime.manager.handle_request(scope, receive, send)


routes: list[BaseRoute] = [Route("/mcp", McpEndpoint())]
