"""Fixtures of the MCP end-to-end tests (import them into the test module): a real daemon on the simulated providers, and MCP clients of it over each transport."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.mcp_server.support import http_client, stdio_client
from tests.support import DaemonProcess, running_daemon

TRANSPORTS = ["stdio", "stdio-in-process", "http", "http-2026"]
"""``switchboard mcp`` (relaying to /mcp), ``switchboard mcp --in-process``, and /mcp over streamable HTTP
in the handshake era and at 2026-07-28."""

Connect = Callable[..., contextlib.AbstractAsyncContextManager[Client]]


@pytest.fixture(name="daemon")
async def daemon_fixture(sim_config_file: Path) -> AsyncIterator[DaemonProcess]:
    """A real daemon routing to the simulated providers."""
    async with running_daemon(sim_config_file) as process:
        yield process


@pytest.fixture(name="developer_key")
async def developer_key_fixture(daemon: DaemonProcess) -> str:
    """A developer key for the HTTP transport."""
    async with daemon.client() as client:
        return (await client.add_developer("agent-dev")).key


def connector(transport: str, daemon: DaemonProcess, key: str) -> Connect:
    """Open an MCP client of ``daemon`` over ``transport``."""

    def connect(**kwargs: Any) -> contextlib.AbstractAsyncContextManager[Client]:
        if transport == "stdio":
            return stdio_client(daemon, **kwargs)
        if transport == "stdio-in-process":
            return stdio_client(daemon, "--in-process", **kwargs)
        # "auto" discovers the server and settles on 2026-07-28 (a bare version pin would skip discovery).
        return http_client(daemon, key, mode="auto" if transport == "http-2026" else "legacy", **kwargs)

    return connect


@pytest.fixture(name="connect", params=TRANSPORTS)
def connect_fixture(request: pytest.FixtureRequest, daemon: DaemonProcess, developer_key: str) -> Connect:
    """An MCP client factory, once per transport (narrow it with ``parametrize("connect", [...], indirect=True)``)."""
    return connector(request.param, daemon, developer_key)


__all__ = [
    "TRANSPORTS", "Connect", "connect_fixture", "connector", "daemon_fixture", "developer_key_fixture",
]
