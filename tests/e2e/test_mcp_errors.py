"""What goes wrong around ``switchboard mcp`` ends as a clean error and the server stays up: malformed
JSON-RPC, unknown methods and tools, oversized arguments, an exhausted budget, a daemon that dies."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from mcp import MCPDeprecationWarning

from daemon.sim import Fault
from tests.mcp_server.fixtures import daemon_fixture  # noqa: F401
from tests.mcp_server.support import error_text, server_env, stdio_client
from tests.support import (
    REPO,
    DaemonProcess,
    SimServer,
    running_daemon,
    short_dir,
    sim_config,
    start_daemon,
    stop_daemon,
    write_config,
)


class RawStdio:
    """``python -m mcp_server`` driven line by line, to send what no well-behaved client would."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, payload: dict[str, Any] | str) -> None:
        line = payload if isinstance(payload, str) else json.dumps(payload)
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def responses(self, ids: set[Any], timeout: float = 60) -> dict[Any, dict[str, Any]]:  # noqa: ASYNC109
        """Read until every id in ``ids`` has its response (``None`` is a parse error's id)."""
        found: dict[Any, dict[str, Any]] = {}
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while not ids <= set(found):
                line = await self.process.stdout.readline()
                assert line, "the server closed stdout"
                message = json.loads(line)
                if "id" in message and ("result" in message or "error" in message):
                    found[message["id"]] = message
        return found


@pytest.fixture
async def raw_server(daemon: DaemonProcess):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mcp_server", env=server_env(daemon), cwd=str(REPO), limit=2**24,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield RawStdio(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_malformed_json_rpc_unknown_methods_and_oversized_arguments_get_clean_errors(raw_server: RawStdio) -> None:
    await raw_server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
    await raw_server.responses({1})
    await raw_server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    await raw_server.send("{this is not json")
    await raw_server.send({"jsonrpc": "2.0", "id": 2, "method": "no/such/method"})
    await raw_server.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "no_such_tool"}})
    await raw_server.send({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
        "name": "run_task", "arguments": {"prompt": "x" * 3_000_000}}})
    await raw_server.send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": "not an object"})
    await raw_server.send({"jsonrpc": "2.0", "id": 6, "method": "ping"})
    answers = await raw_server.responses({None, 2, 3, 4, 5, 6})
    assert answers[None]["error"]["code"] == -32700
    assert answers[2]["error"]["code"] == -32601
    assert answers[3]["result"]["isError"] is True
    assert answers[4]["result"]["isError"] is True and "prompt" in answers[4]["result"]["content"][0]["text"]
    assert answers[5]["error"]["code"] in (-32600, -32602)
    assert answers[6]["result"] == {}
    assert raw_server.process.returncode is None


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["relay", "in-process"])
async def test_a_daemon_that_dies_mid_call_is_a_tool_error_and_the_server_stays_up(
    daemon: DaemonProcess, sim: SimServer, mode: list[str]
) -> None:
    sim.script("sim-nano", Fault(kind="hang"))
    # No autostart: a new daemon started by the server after the kill would outlive the test.
    async with stdio_client(daemon, "--no-autostart", *mode) as client:
        call = asyncio.create_task(client.call_tool("run_task", {"prompt": "wait for me", "model": "sim-nano"}))
        await sim.wait_for_request(model="sim-nano", timeout=30)
        daemon.process.send_signal(signal.SIGKILL)
        async with asyncio.timeout(30):
            result = await call
        text = error_text(result)
        after = await client.call_tool("recent_traces", {})
    assert "daemon_unavailable" in text and "Next:" in text
    assert after.is_error and "daemon_unavailable" in error_text(after)


async def test_an_exhausted_budget_is_a_tool_error_that_says_not_to_retry(tmp_path: Path, sim: SimServer) -> None:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url, extra={"budgets": {"default_monthly_usd": 1e-9}}))
    async with running_daemon(config, data_dir=short_dir() / "data") as daemon:
        async with stdio_client(daemon) as client:
            results = [await client.call_tool("run_task", {"prompt": f"task {i}", "model": "sim-pro"}) for i in range(2)]
            still_up = await client.call_tool("recent_traces", {})
    refused = [r for r in results if r.is_error]
    assert refused, "a $0.000000001 monthly budget let every request through"
    text = error_text(refused[-1])
    assert "budget_exceeded" in text and "Do not retry" in text
    assert not still_up.is_error


async def test_the_relay_reopens_its_session_when_the_daemon_restarts(sim_config_file: Path) -> None:
    run_dir = short_dir()
    socket, data = run_dir / "d.sock", run_dir / "data"
    first = await start_daemon(sim_config_file, socket=socket, data_dir=data)
    try:
        async with stdio_client(first, "--no-autostart") as client:
            before = await client.call_tool("recent_traces", {})
            await stop_daemon(first)
            async with running_daemon(sim_config_file, socket=socket, data_dir=data):
                after = await client.call_tool("recent_traces", {})
    finally:
        await stop_daemon(first)
    assert not before.is_error
    assert not after.is_error, error_text(after)


async def test_a_connected_agent_does_not_hold_a_stopping_daemon_for_its_drain_time(daemon: DaemonProcess) -> None:
    async with stdio_client(daemon, "--no-autostart") as client:
        with warnings.catch_warnings():  # resources/subscribe: the handshake era's way, the one that opens a stream
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.session.subscribe_resource("switchboard://budget")
        await client.call_tool("recent_traces", {})
        daemon.signal(signal.SIGTERM)
        code = await daemon.wait_exit(timeout=15)  # drain_seconds is 30: an open stream would hold it that long
    assert code == 0


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["relay", "in-process"])
async def test_unanswerable_ids_and_deep_json_get_errors_and_notifications_get_none(daemon: DaemonProcess,
                                                                                    mode: list[str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mcp_server", *mode, env=server_env(daemon), cwd=str(REPO), limit=2**24,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    server = RawStdio(process)
    try:
        await server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
        await server.responses({1})
        await server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        await server.send({"jsonrpc": "2.0", "method": "notifications/initialized", "params": "not an object"})
        await server.send({"jsonrpc": "2.0", "method": "no/such/notification", "params": {}})
        await server.send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
        answers = [await _next_line(process)]  # the ping's answer, and nothing for the notifications before it
        for line in ({"jsonrpc": "2.0", "id": {"an": "object"}, "method": "tools/list"},
                     "[" * 100_000 + "]" * 100_000):
            await server.send(line)
            answers.append(await _next_line(process))
        await server.send({"jsonrpc": "2.0", "id": 3, "method": "ping"})
        last = await _next_line(process)  # still nothing in between
    finally:
        process.kill()
        await process.wait()
    ping, object_id, deep = answers
    assert (object_id["id"], object_id["error"]["code"]) == (None, -32600)
    assert (deep["id"], deep["error"]["code"]) == (None, -32700)
    assert (ping["id"], last["id"]) == (2, 3) and "error" not in ping


async def _next_line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    async with asyncio.timeout(60):
        line = await process.stdout.readline()
    assert line, "the server closed stdout"
    return json.loads(line)
