"""A client written by others: the MCP Inspector CLI drives ``switchboard mcp`` (stdio) and ``/mcp`` (HTTP).

``make test`` installs the pinned Inspector into ``.cache/npm`` (``make mcp-inspector``); this test does
the same when it is missing, and skips, saying why, only when npm is not installed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from daemon.sim import answer_text
from tests.mcp_server.fixtures import daemon_fixture  # noqa: F401
from tests.support import REPO, DaemonProcess

INSPECTOR = REPO / ".cache" / "npm" / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture(scope="session")
def inspector() -> str:
    """The Inspector CLI, installed with the Makefile's pinned version when missing."""
    if not INSPECTOR.exists():
        if shutil.which("npm") is None or shutil.which("make") is None:
            pytest.skip("npm is not installed, so the MCP Inspector CLI cannot be installed (`make mcp-inspector`)")
        subprocess.run(["make", "-s", "mcp-inspector"], cwd=REPO, check=True, timeout=600)
    return str(INSPECTOR)


async def run_inspector(inspector: str, *args: str) -> tuple[int, Any]:
    """Run ``mcp-inspector --cli ARGS``; its exit code and the JSON it printed."""
    process = await asyncio.create_subprocess_exec(
        inspector, "--cli", *args, cwd=str(REPO), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(90):
        out, err = await process.communicate()
    assert out, err.decode(errors="replace")
    return process.returncode or 0, json.loads(out)


def stdio_target(daemon: DaemonProcess) -> list[str]:
    return ["-e", f"SWITCHBOARD_SOCKET={daemon.socket}", "-e", f"SWITCHBOARD_DATA_DIR={daemon.data_dir}",
            sys.executable, "-m", "mcp_server"]


async def test_the_inspector_lists_and_calls_the_tools_over_stdio(inspector: str, daemon: DaemonProcess) -> None:
    code, listing = await run_inspector(inspector, *stdio_target(daemon), "--method", "tools/list")
    assert code == 0
    tools = {t["name"]: t for t in listing["tools"]}
    assert {"run_task", "route_task", "consensus", "budget_status", "rate_result"} <= set(tools)
    prompt = "hello from the inspector"
    code, ran = await run_inspector(inspector, *stdio_target(daemon), "--method", "tools/call",
                                    "--tool-name", "run_task", "--tool-arg", f"prompt={prompt}")
    assert code == 0 and ran["isError"] is False
    jsonschema.validate(ran["structuredContent"], tools["run_task"]["outputSchema"])
    assert ran["structuredContent"]["answer"] == answer_text(prompt)
    code, bad = await run_inspector(inspector, *stdio_target(daemon), "--method", "tools/call",
                                    "--tool-name", "rate_result", "--tool-arg", "trace_id=t-1", "score=5")
    assert code != 0 and bad["isError"] is True and "score" in bad["content"][0]["text"]


async def test_the_inspector_calls_the_tools_over_http_with_a_developer_key(inspector: str, daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        key = (await admin.add_developer("inspector")).key
    target = [f"http://{daemon.http_address}/mcp", "--transport", "http", "--header", f"Authorization: Bearer {key}"]
    code, listing = await run_inspector(inspector, *target, "--method", "tools/list")
    assert code == 0
    tools = {t["name"]: t for t in listing["tools"]}
    code, budget = await run_inspector(inspector, *target, "--method", "tools/call", "--tool-name", "budget_status")
    assert code == 0 and budget["isError"] is False
    jsonschema.validate(budget["structuredContent"], tools["budget_status"]["outputSchema"])
    code, resource = await run_inspector(inspector, *target, "--method", "resources/read", "--uri", "switchboard://traces")
    assert code == 0 and '"traces"' in resource["contents"][0]["text"]
