"""The real daemon app served by uvicorn on loopback TCP inside the test's event loop.

Streaming and cancellation need a real socket (httpx's ASGI transport buffers whole responses), and
the SDKs need a base URL. Everything is the daemon's own code: ``open_services``, ``build_app``, and
the TCP listener ``tcp_server`` (the auth middleware, uvicorn with httptools, the connection gate);
the sim is the only fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from daemon.app.lifespan import open_services
from daemon.app.server import build_app, tcp_server
from daemon.config import merge
from daemon.core.services import DaemonOptions, Services
from daemon.keys import new_key
from tests.support import SimServer, short_dir, sim_config, write_config


@dataclass
class Served:
    """A running daemon: its services, base URL and a developer key."""

    services: Services
    url: str
    key: str
    sim: SimServer

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An HTTP client of the daemon's TCP listener, authenticated."""
        return httpx.AsyncClient(base_url=self.url, headers={"authorization": f"Bearer {self.key}"},
                                 timeout=kwargs.pop("timeout", 30), **kwargs)

    async def traces(self, count: int = 1, timeout: float = 5.0) -> list[Any]:  # noqa: ASYNC109
        """The stored traces once at least ``count`` are committed (newest first)."""
        from daemon.store.records import TraceQuery

        async with asyncio.timeout(timeout):
            while True:
                found = await self.services.store.list_traces(TraceQuery(developer_id=None, limit=100))
                if len(found) >= count:
                    return found
                await self._committed()

    async def trace(self, trace_id: str, timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """One trace, waiting until the writer has committed it."""
        from daemon.errors import NotFoundError

        async with asyncio.timeout(timeout):
            while True:
                try:
                    return await self.services.store.get_trace(trace_id)
                except NotFoundError:
                    await self._committed()

    async def _committed(self) -> None:
        event = asyncio.Event()
        self.services.traces.subscribe(lambda _t: event.set())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.2):  # bounded: a commit may have happened before we subscribed
                await event.wait()


@contextlib.asynccontextmanager
async def serve_daemon(sim: SimServer, config_dir: Path, extra: dict[str, Any] | None = None) -> AsyncIterator[Served]:
    """The daemon on the sim with ``extra`` config merged in, on a free loopback port."""
    os.environ.setdefault("SWITCHBOARD_SIM_KEY", "sim-key")
    # A second of drain at teardown, as before (the daemon's default waits 30 s for open streams).
    config = write_config(config_dir / "config.toml", sim_config(sim.url, extra=merge({"daemon": {"drain_seconds": 1}},
                                                                                       extra or {})))
    options = DaemonOptions(socket=short_dir() / "d.sock", data_dir=config_dir / "data", config_path=config, http="")
    async with open_services(options) as services:
        developer = await services.store.create_developer("tester", is_admin=True)
        key, digest, prefix = new_key()
        await services.store.add_key(developer.id, digest, prefix)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        server = tcp_server(build_app(services), services)  # the daemon's own TCP listener
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            async with asyncio.timeout(10):
                while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
                    await asyncio.sleep(0.01)
            yield Served(services, f"http://127.0.0.1:{port}", key, sim)
        finally:
            server.should_exit = True
            await task
            sock.close()
