"""What only the daemon's owner (an admin) sees or does: pids, paths and API key variable names stay
out of what other developers are shown, and only an admin runs the evaluation job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from daemon.client import DaemonClient
from daemon.keys import new_key
from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

UNSET = "SWITCHBOARD_TEST_NEVER_SET_KEY"


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_daemon(sim, tmp_path, {"models": {"sim-ultra": {"api_key_env": UNSET}}}) as daemon:
        yield daemon


async def _developer_client(served: Served) -> httpx.AsyncClient:
    bob = await served.services.store.create_developer("bob", is_admin=False)
    key, digest, prefix = new_key()
    await served.services.store.add_key(bob.id, digest, prefix)
    return httpx.AsyncClient(base_url=served.url, headers={"authorization": f"Bearer {key}"}, timeout=30)


async def test_status_shows_pid_paths_and_key_variables_to_the_owner_only(served: Served) -> None:
    async with served.client() as owner, await _developer_client(served) as bob:
        mine = (await owner.get("/api/status")).json()
        theirs = (await bob.get("/api/status")).json()
    ultra = {s["developer"]: next(m for m in s["models"] if m["name"] == "sim-ultra") for s in (mine, theirs)}
    assert mine["pid"] and mine["socket"] and mine["data_dir"] and mine["config_path"]
    assert UNSET in ultra["tester"]["excluded_reason"]
    assert (theirs["pid"], theirs["socket"], theirs["data_dir"], theirs["config_path"]) == (None, None, None, None)
    assert not ultra["bob"]["available"] and UNSET not in ultra["bob"]["excluded_reason"]
    assert "API key is not set" in ultra["bob"]["excluded_reason"]


async def test_refusals_name_key_variables_to_the_owner_only(served: Served) -> None:
    pinned = {"model": "sim-ultra", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    async with served.client() as owner, await _developer_client(served) as bob:
        owner_refused = await owner.post("/v1/chat/completions", json=pinned)
        bob_refused = await bob.post("/v1/chat/completions", json=pinned)
        bob_messages = await bob.post("/v1/messages", json=pinned)
        bob_route = await bob.post("/api/route", json={"prompt": "hi"})
        answered = await bob.post("/v1/chat/completions", json={**pinned, "model": "auto"})
        trace = await bob.get(f"/api/traces/{answered.headers['x-switchboard-trace-id']}")
    assert owner_refused.status_code == bob_refused.status_code == bob_messages.status_code == 400
    assert UNSET in owner_refused.json()["error"]["message"]
    for body in (bob_refused.text, bob_messages.text, bob_route.text, trace.text):
        assert UNSET not in body
    assert "API key is not set" in bob_refused.json()["error"]["message"]
    assert bob_route.status_code == 200 and trace.status_code == 200


async def test_only_an_admin_runs_the_evaluation_job(served: Served) -> None:
    async with served.client() as owner, await _developer_client(served) as bob:
        refused = await bob.post("/api/eval", json={"sample": 1})
        allowed = await owner.post("/api/eval", json={"sample": 1})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "only an admin may run the evaluation job" in refused.json()["error"]["message"]
    assert allowed.status_code == 200, allowed.text


async def test_a_consensus_no_model_can_serve_names_no_key_variable_to_others(sim: SimServer, tmp_path: Path) -> None:
    unset = {m: {"api_key_env": UNSET} for m in ("sim-nano", "sim-mini", "sim-pro", "sim-ultra", "sim-claude")}
    async with serve_daemon(sim, tmp_path, {"models": unset}) as daemon:
        async with daemon.client() as owner, await _developer_client(daemon) as bob:
            theirs = await bob.post("/api/consensus", json={"prompt": "is 7 prime?"})
            mine = await owner.post("/api/consensus", json={"prompt": "is 7 prime?"})
            await daemon.services.traces.caught_up()
            listed = (await bob.get("/api/traces")).json()["traces"]
            trace = await bob.get(f"/api/traces/{listed[0]['id']}")
    assert theirs.status_code == mine.status_code == 400
    assert UNSET in mine.text and UNSET not in theirs.text, theirs.text
    assert "API key is not set" in theirs.json()["error"]["message"]
    assert trace.status_code == 200 and trace.json()["outcome"] == "refused" and UNSET not in trace.text


async def test_a_lost_database_file_is_announced_to_others_without_its_path(sim: SimServer, tmp_path: Path) -> None:
    async with serve_daemon(sim, tmp_path, {"store": {"file_check_seconds": 0.05}}) as daemon:
        bob = await daemon.services.store.create_developer("bob", is_admin=False)
        key, digest, prefix = new_key()
        await daemon.services.store.add_key(bob.id, digest, prefix)
        async with DaemonClient(base_url=daemon.url, api_key=daemon.key) as owner, \
                DaemonClient(base_url=daemon.url, api_key=key) as theirs:
            streams = {"owner": owner.events(), "bob": theirs.events()}
            for events in streams.values():
                assert (await anext(events)).type == "hello"
            db = daemon.services.store.path  # type: ignore[attr-defined]
            db.rename(db.with_name("moved.db"))
            seen = {}
            for who, events in streams.items():
                async with asyncio.timeout(10):
                    seen[who] = (await anext(e async for e in events if e.type == "store")).data["problem"]
                await events.aclose()
    assert str(tmp_path) in seen["owner"]
    assert str(tmp_path) not in seen["bob"] and "its owner can see more" in seen["bob"], seen["bob"]
