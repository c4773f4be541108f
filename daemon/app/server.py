"""The daemon process: one Starlette app served on a private Unix socket and on loopback TCP.

Both listeners share one set of services (``open_services``). SIGTERM/SIGINT stop accepting,
let in-flight requests finish (up to ``drain_seconds``), then close the services, which drains
the trace writer: a request that was answered is a request that was recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from daemon.api import (
    anthropic_compat,
    ask,
    budget,
    complete,
    demo,
    embeddings,
    events,
    local,
    mcp_http,
    metrics,
    openai_compat,
    passthrough,
    responses,
    routing,
    strategies,
)
from daemon.api.auth import IdentifyDeveloper
from daemon.api.hot import HotPaths
from daemon.api.http import handle_unexpected_error
from daemon.api.listener import ConnectionGate, fd_room, gated_protocol
from daemon.app import heap
from daemon.app.lifespan import open_services
from daemon.config import listen_address
from daemon.core.services import DaemonOptions, Services
from daemon.errors import ConfigError, SwitchboardError
from daemon.paths import check_socket

log = logging.getLogger("switchboard.daemon")


def build_app(services: Services) -> HotPaths:
    """The ASGI app: every route of the daemon, errors mapped to JSON in the caller's format (unknown paths and
    methods too: ``passthrough``); the endpoints
    every completion goes through skip Starlette's routing (``HotPaths``)."""
    app = Starlette(
        routes=[
            *local.routes, *ask.routes, *routing.routes, *strategies.routes, *budget.routes, *metrics.routes, *events.routes,
            *demo.routes, *complete.routes, *openai_compat.routes, *passthrough.routes, *embeddings.routes,
            *responses.routes, *anthropic_compat.routes, *mcp_http.routes,
        ],
        exception_handlers={SwitchboardError: passthrough.handle_switchboard_error,
                            HTTPException: passthrough.handle_http_exception, Exception: handle_unexpected_error},
    )
    app.state.services = services
    return HotPaths(app, {
        "/v1/chat/completions": openai_compat.chat_completions,
        "/v1/completions": openai_compat.completions,
        "/v1/messages": anthropic_compat.messages,
        "/v1/responses": responses.responses,
        "/api/complete": complete.complete,
        "/api/ask": ask.ask,
    })


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the daemon (it runs two servers)."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


def _bind_unix(path: Path) -> socket.socket:
    # The directory must be the user's own (a squatter's directory in /tmp is refused, loudly), and a
    # socket already there must be the user's too before it is probed, or removed as stale.
    if check_socket(path):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # a stale socket left by a daemon that died
        else:
            raise ConfigError(f"another Switchboard daemon is already listening on {path}; stop it or use --socket")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is created 0600: no window where others could connect
    try:
        sock.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _bind_tcp(address: str, allow_remote: bool) -> socket.socket:
    try:
        host, port = listen_address(address, allow_remote)
    except ValueError as exc:
        raise ConfigError(f"daemon.http: {exc}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP; without it
    # Nagle and delayed ACKs add ~40 ms to every small response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"daemon.http: cannot listen on {address}: {exc.strerror}; pick another port with --http") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _uvicorn_config(app, services: Services, http: type[asyncio.Protocol] | str = "httptools") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        http=http,
        loop="none",
        proxy_headers=False,  # loopback and a Unix socket: no proxy in front, no X-Forwarded-* to trust
        timeout_graceful_shutdown=services.settings.daemon.drain_seconds,
    )


def tcp_server(app: HotPaths, services: Services) -> uvicorn.Server:
    """The TCP listener: developer keys checked in front of ``app``, connections capped and timed
    (``daemon.api.listener``)."""
    gate = ConnectionGate(lambda: services.settings.daemon, fd_room(services.settings.daemon.max_connections))
    return _Server(_uvicorn_config(IdentifyDeveloper(app, services, "tcp"), services, gated_protocol(gate)))


async def serve(options: DaemonOptions) -> None:
    """Run the daemon until SIGTERM or SIGINT."""
    heap.tune()
    check_socket(options.socket)  # refuse a socket directory someone else owns before touching anything
    async with open_services(options) as services:
        app = build_app(services)
        unix_sock = _bind_unix(options.socket)
        servers = [(_Server(_uvicorn_config(IdentifyDeveloper(app, services, "unix"), services)), unix_sock)]
        http = services.settings.daemon.http if options.http is None else options.http
        if http:
            tcp_sock = _bind_tcp(http, services.settings.daemon.allow_remote)
            host, port = tcp_sock.getsockname()[:2]
            services.http_address = f"{host}:{port}"
            servers.append((tcp_server(app, services), tcp_sock))
        loop = asyncio.get_running_loop()

        def stop() -> None:
            log.info("stopping: finishing in-flight requests")
            services.events.close()
            for server, _ in servers:
                server.should_exit = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        log.info(
            "switchboard daemon ready: socket %s, http %s%s",
            options.socket, services.http_address or "off", " (simulated providers)" if services.simulated else "",
        )
        heap.settle()
        try:
            await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            with contextlib.suppress(FileNotFoundError):
                options.socket.unlink()
