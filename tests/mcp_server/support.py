"""Connecting the official MCP client to Switchboard's MCP server: over stdio (``python -m mcp_server``
as a subprocess, the way agents launch it) or over streamable HTTP at the daemon's ``/mcp``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import jsonschema
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Tool

from tests.support import REPO, DaemonProcess

MODERN = "2026-07-28"


def server_env(daemon: DaemonProcess, **extra: str) -> dict[str, str]:
    """The environment of a stdio server pointed at ``daemon`` (and never at the developer's own)."""
    return {
        **os.environ,
        "SWITCHBOARD_SOCKET": str(daemon.socket),
        "SWITCHBOARD_DATA_DIR": str(daemon.data_dir),
        "XDG_CONFIG_HOME": str(daemon.data_dir / "xdg-config"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        **extra,
    }


def stdio_params(daemon: DaemonProcess, *args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """``python -m mcp_server ARGS`` as an agent would launch it."""
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_server", *args],
                                 env=server_env(daemon, **(env or {})), cwd=str(REPO))


@contextlib.asynccontextmanager
async def stdio_client(daemon: DaemonProcess, *args: str, mode: str = "legacy", env: dict[str, str] | None = None,
                       **kwargs: Any) -> AsyncIterator[Client]:
    """The official client driving ``switchboard mcp ARGS`` over stdio."""
    async with Client(stdio_params(daemon, *args, env=env), mode=mode, **kwargs) as client:
        yield client


@contextlib.asynccontextmanager
async def http_client(daemon: DaemonProcess, key: str, *, mode: str = "legacy", **kwargs: Any) -> AsyncIterator[Client]:
    """The official client driving ``/mcp`` over streamable HTTP with a developer key."""
    headers = {"authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60, read=120)) as http:
        transport = streamable_http_client(f"http://{daemon.http_address}/mcp", http_client=http)
        async with Client(transport, mode=mode, **kwargs) as client:
            yield client


def check_structured(tool: Tool, result: CallToolResult) -> dict[str, Any]:
    """A successful result whose structured content matches the tool's output schema, and has a text version."""
    assert not result.is_error, result.content[0].text if result.content else result
    assert tool.output_schema is not None
    assert result.structured_content is not None
    jsonschema.validate(result.structured_content, tool.output_schema)
    assert result.content and result.content[0].type == "text" and result.content[0].text.strip()
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    """The text of a tool error (asserting it is one)."""
    assert result.is_error, result
    return "\n".join(c.text for c in result.content if c.type == "text")
