"""The MCP tools end to end: the official MCP client drives ``switchboard mcp`` (stdio subprocess) and
the daemon's ``/mcp`` (streamable HTTP, both protocol eras) against a real daemon on the sim."""

from __future__ import annotations

import asyncio
import sys
import time
import warnings

import pytest
from mcp import Client, MCPDeprecationWarning, StdioServerParameters

from daemon.sim import Fault, answer_text, count_tokens
from mcp_server.instructions import INSTRUCTIONS
from tests.mcp_server.fixtures import Connect, connect_fixture, daemon_fixture, developer_key_fixture  # noqa: F401
from tests.mcp_server.support import check_structured, error_text, server_env, stdio_client
from tests.support import REPO, DaemonProcess, SimServer

TOOL_NAMES = {
    "route_task", "run_task", "consensus", "budget_status", "routing_matrix", "rate_result", "explain_trace",
    "recent_traces",
}


async def test_every_tool_is_listed_with_guidance_and_returns_content_matching_its_schema(connect: Connect) -> None:
    prompt = "Explain what a routing table is, in two sentences."
    failures: dict[str, str] = {}
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        instructions = client.instructions
        assert set(tools) == TOOL_NAMES
        for tool in tools.values():
            assert tool.description and "Use" in tool.description, tool.name
            assert tool.input_schema["type"] == "object"
            assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        assert tools["run_task"].input_schema["required"] == ["prompt"]
        assert tools["rate_result"].input_schema["properties"]["score"]["maximum"] == 1
        assert instructions == INSTRUCTIONS

        async def call(name: str, args: dict) -> dict | None:
            result = await client.call_tool(name, args)
            if result.is_error:
                failures[name] = error_text(result)
                return None
            return check_structured(tools[name], result)

        ran = await call("run_task", {"prompt": prompt, "task_type": "code_explain"})
        routed = await call("route_task", {"prompt": prompt})
        budget = await call("budget_status", {})
        matrix = await call("routing_matrix", {"task_type": "code_explain"})
        opinions = await call("consensus", {"prompt": "Is 17 a prime number? Answer yes or no."})
        recent = await call("recent_traces", {"limit": 5})
        if ran:
            rated = await call("rate_result", {"trace_id": ran["trace_id"], "score": 0.9, "comment": "verified"})
            explained = await call("explain_trace", {"trace_id": ran["trace_id"]})
    assert not failures, f"tools that failed: {failures}"
    assert ran and ran["answer"] == answer_text(prompt) and ran["cost_usd"] >= 0 and not ran["truncated"]
    assert routed and routed["model"] and routed["reason"]
    assert budget is not None and "budgets" in budget
    assert matrix is not None and all(c["task_type"] == "code_explain" for c in matrix["cells"])
    assert opinions and opinions["verdict"] == "agree" and len(opinions["answers"]) >= 2
    assert recent is not None
    assert rated and rated["trace_id"] == ran["trace_id"]
    assert explained and explained["trace"]["id"] == ran["trace_id"] and ran["model"] in explained["explanation"]


@pytest.mark.parametrize("connect", ["stdio", "http-2026"], indirect=True)
async def test_run_task_reports_progress_while_the_answer_streams(connect: Connect, sim: SimServer) -> None:
    sim.set_profile(sim.profiles["sim-nano"].model_copy(update={"tokens_per_second": 40, "chunk_tokens": 1}))
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    prompt = "Write a short paragraph about switchboards."
    async with connect() as client:
        result = await client.call_tool("run_task", {"prompt": prompt, "model": "sim-nano"}, progress_callback=on_progress)
    assert not result.is_error, error_text(result)
    assert result.structured_content["answer"] == answer_text(prompt)
    values = [v for v, _ in progress]
    assert len(values) >= 3, progress
    assert values == sorted(values) and values[-1] > 0


@pytest.mark.parametrize("connect", ["stdio", "http"], indirect=True)
async def test_cancelling_run_task_stops_the_provider_call_and_bills_only_what_streamed(
    connect: Connect, sim: SimServer, daemon: DaemonProcess
) -> None:
    # A slow stream: the answer is under way (progress has arrived) when the agent cancels.
    sim.set_profile(sim.profiles["sim-nano"].model_copy(update={"tokens_per_second": 2, "chunk_tokens": 1}))
    streaming = asyncio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        if value > 0:
            streaming.set()

    async with connect() as client:
        call = asyncio.create_task(client.call_tool(
            "run_task", {"prompt": "a long answer, please", "model": "sim-nano"}, progress_callback=on_progress))
        async with asyncio.timeout(30):
            await streaming.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        disconnected = await sim.wait_disconnected("sim-nano", timeout=15)
        # The server is still there and serves the next call.
        after = await client.call_tool("recent_traces", {"limit": 5})
    assert disconnected.client_disconnected
    assert not after.is_error
    async with daemon.client() as admin:
        async with asyncio.timeout(15):
            while True:
                traces = (await admin.traces(all="1", limit=5)).traces
                if traces:
                    break
                await asyncio.sleep(0.05)
    assert traces[0].outcome == "cancelled"
    # The provider bills the part it sent before the call was stopped (estimated), not the whole answer.
    whole_answer = count_tokens(answer_text("a long answer, please")) * sim.profiles["sim-nano"].output_usd_per_mtok / 1e6
    assert 0 < traces[0].cost_usd < whole_answer


@pytest.mark.parametrize("connect", ["stdio"], indirect=True)
async def test_bad_arguments_and_unknown_tools_are_tool_errors_not_crashes(connect: Connect) -> None:
    async with connect() as client:
        empty = await client.call_tool("run_task", {"prompt": ""})
        score = await client.call_tool("rate_result", {"trace_id": "t-1", "score": 7})
        oversized = await client.call_tool("route_task", {"prompt": "x" * 500_000})
        unknown = await client.call_tool("no_such_tool", {})
        still_up = await client.call_tool("recent_traces", {})
    assert "prompt" in error_text(empty)
    assert "score" in error_text(score)
    assert "400000" in error_text(oversized) or "400,000" in error_text(oversized)
    assert "no_such_tool" in error_text(unknown)
    assert not still_up.is_error


@pytest.mark.parametrize("connect", ["stdio", "http-2026"], indirect=True)
async def test_resources_are_listed_readable_and_subscribers_hear_when_they_change(connect: Connect) -> None:
    updated: list[str] = []
    heard = asyncio.Event()

    async def on_message(message: object) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            updated.append(str(root.params.uri))
            heard.set()

    async with connect(message_handler=on_message) as client:
        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        traces = await client.read_resource("switchboard://traces")
        assert {"switchboard://matrix", "switchboard://budget", "switchboard://traces"} <= resources
        assert "switchboard://traces/{trace_id}" in templates
        assert '"traces"' in traces.contents[0].text
        if client.protocol_version == "2026-07-28":
            async with client.listen(resource_subscriptions=["switchboard://traces"]) as subscription:
                await client.call_tool("run_task", {"prompt": "hello there"})
                async with asyncio.timeout(15):
                    event = await anext(aiter(subscription))
            assert getattr(event, "uri", None) == "switchboard://traces"
            return
        with warnings.catch_warnings():  # resources/subscribe is the handshake era's way; that is the point here
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.session.subscribe_resource("switchboard://traces")
        started = time.monotonic()
        await client.call_tool("run_task", {"prompt": "hello there"})
        async with asyncio.timeout(15):
            await heard.wait()
    assert "switchboard://traces" in updated
    assert time.monotonic() - started < 15


async def test_the_switchboard_mcp_verb_serves_the_same_server(daemon: DaemonProcess) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "daemon", "mcp", "--socket", str(daemon.socket)],
                                   env=server_env(daemon), cwd=str(REPO))
    async with Client(params, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        recent = await client.call_tool("recent_traces", {})
    assert {t.name for t in tools} == TOOL_NAMES
    assert not recent.is_error


async def test_cancelling_run_task_before_the_first_token_stops_the_provider_call(
    daemon: DaemonProcess, sim: SimServer
) -> None:
    sim.script("sim-nano", Fault(kind="hang"))
    async with stdio_client(daemon) as client:
        call = asyncio.create_task(client.call_tool("run_task", {"prompt": "never answered", "model": "sim-nano"}))
        await sim.wait_for_request(model="sim-nano", timeout=30)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        disconnected = await sim.wait_disconnected("sim-nano", timeout=15)
    assert disconnected.client_disconnected
