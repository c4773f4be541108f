"""``/mcp`` on the daemon's loopback listener: developer keys, Origin checks, per-developer identity."""

from __future__ import annotations

import signal
import warnings

import httpx
from mcp import MCPDeprecationWarning

from daemon.api.mcp_http import origin_allowed
from tests.mcp_server.fixtures import daemon_fixture  # noqa: F401
from tests.mcp_server.support import MODERN, http_client
from tests.support import DaemonProcess

HANDSHAKE_VERSION = "2025-11-25"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": HANDSHAKE_VERSION, "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}}}
ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


async def test_mcp_endpoint_needs_a_developer_key_and_refuses_foreign_origins(daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        key = (await admin.add_developer("alice")).key
    url = f"http://{daemon.http_address}/mcp"
    async with httpx.AsyncClient(timeout=30) as http:
        anonymous = await http.post(url, json=INITIALIZE, headers=ACCEPT)
        wrong_key = await http.post(url, json=INITIALIZE, headers={**ACCEPT, "authorization": "Bearer sb-wrong"})
        evil = await http.post(url, json=INITIALIZE, headers={**ACCEPT, "authorization": f"Bearer {key}",
                                                               "origin": "https://evil.example"})
        local_page = await http.post(url, json=INITIALIZE, headers={**ACCEPT, "authorization": f"Bearer {key}",
                                                                     "origin": "http://localhost:5173"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    assert wrong_key.status_code == 401
    assert evil.status_code == 403 and "Origin" in evil.json()["error"]["message"]
    assert local_page.status_code == 200 and local_page.headers.get("mcp-session-id")


async def test_mcp_tools_act_as_the_developer_whose_key_came_with_the_request(daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        alice = (await admin.add_developer("alice")).key
        bob = (await admin.add_developer("bob")).key
    async with http_client(daemon, alice) as client:
        ran = await client.call_tool("run_task", {"prompt": "alice's private question"})
        mine = await client.call_tool("recent_traces", {})
    assert not ran.is_error, ran.content
    trace_id = ran.structured_content["trace_id"]
    async with http_client(daemon, bob, mode=MODERN) as client:
        theirs = await client.call_tool("recent_traces", {})
        peek = await client.call_tool("explain_trace", {"trace_id": trace_id})
    assert [(t["id"], t["developer"], t["surface"]) for t in mine.structured_content["traces"]] == [
        (trace_id, "alice", "mcp")]
    assert theirs.structured_content["traces"] == []
    assert peek.is_error and "not_found" in peek.content[0].text


async def test_an_mcp_session_cannot_be_used_with_another_developers_key(daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        alice = (await admin.add_developer("alice")).key
        bob = (await admin.add_developer("bob")).key
    url = f"http://{daemon.http_address}/mcp"
    async with httpx.AsyncClient(timeout=30) as http:
        opened = await http.post(url, json=INITIALIZE, headers={**ACCEPT, "authorization": f"Bearer {alice}"})
        session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": HANDSHAKE_VERSION}
        list_tools = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        hijack = await http.post(url, json=list_tools, headers={**ACCEPT, **session, "authorization": f"Bearer {bob}"})
        own = await http.post(url, json=list_tools, headers={**ACCEPT, **session, "authorization": f"Bearer {alice}"})
    assert opened.status_code == 200
    assert hijack.status_code == 404
    assert own.status_code == 200 and "run_task" in own.text


async def test_a_request_carrying_two_different_keys_is_refused_not_resolved_by_header_order(
        daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        alice = (await admin.add_developer("alice")).key
        bob = (await admin.add_developer("bob")).key
    url = f"http://{daemon.http_address}"
    async with httpx.AsyncClient(timeout=30) as http:
        mixed = {"x-api-key": alice, "authorization": f"Bearer {bob}"}  # one checked, the other used, before
        mcp = await http.post(f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, **mixed})
        chat = await http.post(f"{url}/v1/chat/completions", headers=mixed,
                               json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
        status = await http.get(f"{url}/api/status", headers=mixed)
        same_twice = await http.get(f"{url}/api/status", headers={"x-api-key": alice, "authorization": f"Bearer {alice}"})
        via_x_api_key = await http.post(f"{url}/mcp", json=INITIALIZE, headers={**ACCEPT, "x-api-key": alice})
    assert mcp.status_code == 400 and "two different developer keys" in mcp.json()["error"]["message"]
    assert chat.status_code == 400 and chat.json()["error"]["type"] == "invalid_request"  # OpenAI's shape there
    assert status.status_code == 400
    assert same_twice.status_code == 200 and same_twice.json()["developer"] == "alice"
    assert via_x_api_key.status_code == 200 and via_x_api_key.headers.get("mcp-session-id")


def test_only_loopback_origins_or_no_origin_may_call_mcp() -> None:
    assert origin_allowed(None)
    assert origin_allowed("http://127.0.0.1:6274") and origin_allowed("http://localhost") and origin_allowed("http://[::1]:80")
    assert not origin_allowed("https://evil.example")
    assert not origin_allowed("http://localhost.evil.example")
    assert not origin_allowed("null")


async def test_an_idle_http_session_does_not_hold_a_stopping_daemon_for_its_drain_time(daemon: DaemonProcess) -> None:
    async with daemon.client() as admin:
        key = (await admin.add_developer("alice")).key
    async with http_client(daemon, key) as client:
        with warnings.catch_warnings():  # resources/subscribe: the handshake era's standing GET stream
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.session.subscribe_resource("switchboard://budget")
        await client.call_tool("recent_traces", {})
        daemon.signal(signal.SIGTERM)
        code = await daemon.wait_exit(timeout=15)  # drain_seconds is 30: the open GET stream must not hold it
    assert code == 0
