"""The /_sim control endpoints, the `python -m daemon.sim` process and the demo config."""

import asyncio
import sys
import tomllib
from pathlib import Path

import httpx

import daemon.sim
from daemon.sim import DEMO_PROFILES, demo_models_toml

REPO_ROOT = Path(daemon.sim.__file__).resolve().parents[2]


async def test_health_lists_models(sim, client):
    data = (await client.get(f"{sim.url}/_sim/health")).json()
    assert data["status"] == "ok" and set(data["models"]) == set(sim.profiles)


async def test_faults_scripted_over_http_apply_in_order(sim, client, chat_body):
    resp = await client.post(
        f"{sim.url}/_sim/faults",
        json={
            "model": "sim-nano",
            "faults": [{"kind": "rate_limit", "retry_after": 1}, {"kind": "server_error", "times": 2}],
        },
    )
    assert resp.status_code == 200 and resp.json()["scripted"] == 2
    pending = (await client.get(f"{sim.url}/_sim/faults")).json()
    assert [(f["kind"], f["remaining"]) for f in pending["sim-nano"]] == [("rate_limit", 1), ("server_error", 2)]
    url = f"{sim.openai_base}/chat/completions"
    assert [(await client.post(url, json=chat_body())).status_code for _ in range(4)] == [429, 500, 500, 200]


async def test_single_fault_and_delete(sim, client, chat_body):
    await client.post(f"{sim.url}/_sim/faults", json={"model": "sim-nano", "fault": {"kind": "hang", "times": None}})
    assert (await client.delete(f"{sim.url}/_sim/faults")).status_code == 200
    assert (await client.get(f"{sim.url}/_sim/faults")).json() == {}
    assert (await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())).status_code == 200


async def test_bad_fault_and_unknown_model_are_refused(sim, client):
    bad = await client.post(f"{sim.url}/_sim/faults", json={"model": "sim-nano", "fault": {"kind": "explode"}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_fault"
    unknown = await client.post(f"{sim.url}/_sim/faults", json={"model": "nope", "fault": {"kind": "reset"}})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_model"
    garbage = await client.post(f"{sim.url}/_sim/faults", content=b"not json")
    assert garbage.status_code == 400
    assert sim.faults.pending() == {}


async def test_requests_endpoint_lists_filters_and_clears(sim, client, chat_body):
    await client.post(f"{sim.openai_base}/chat/completions", json=chat_body(), headers={"traceparent": "00-ab-cd-01"})
    await client.post(f"{sim.openai_base}/chat/completions", json=chat_body(model="sim-mini"))
    everything = (await client.get(f"{sim.url}/_sim/requests")).json()
    assert [r["model"] for r in everything] == ["sim-nano", "sim-mini"]
    assert everything[0]["traceparent"] == "00-ab-cd-01" and everything[0]["status"] == 200
    only = (await client.get(f"{sim.url}/_sim/requests", params={"model": "sim-mini"})).json()
    assert [r["model"] for r in only] == ["sim-mini"]
    await client.delete(f"{sim.url}/_sim/requests")
    assert (await client.get(f"{sim.url}/_sim/requests")).json() == []


async def test_profiles_can_be_read_and_added(sim, client, chat_body):
    listed = (await client.get(f"{sim.url}/_sim/profiles")).json()
    assert {p["name"] for p in listed} == set(sim.profiles)
    added = await client.post(
        f"{sim.url}/_sim/profiles", json={"name": "sim-new", "answer_seed": "s2", "tier": "medium"}
    )
    assert added.status_code == 200
    reply = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body(model="sim-new"))
    assert reply.status_code == 200
    refused = await client.post(f"{sim.url}/_sim/profiles", json={"name": "x", "confidence": 3})
    assert refused.status_code == 400


def test_demo_models_toml_is_the_config_shape_for_each_format():
    models = tomllib.loads(demo_models_toml("http://127.0.0.1:7499"))["models"]
    assert set(models) == {p.name for p in DEMO_PROFILES}
    assert models["sim-nano"] == {
        "litellm_model": "openai/sim-nano",
        "api_base": "http://127.0.0.1:7499/v1",
        "api_key_env": "SWITCHBOARD_SIM_KEY",
        "tier": "small",
        "input_usd_per_mtok": 0.05,
        "output_usd_per_mtok": 0.2,
        "context_window": 16000,
        "capabilities": ["chat", "stream", "tools", "fim", "logprobs", "json", "json_schema", "prefill"],
        "simulated": True,
    }
    assert models["sim-claude"]["litellm_model"] == "anthropic/sim-claude"
    assert models["sim-claude"]["api_base"] == "http://127.0.0.1:7499"


async def test_module_entry_point_prints_its_url_and_serves(tmp_path):
    profiles = tmp_path / "profiles.json"
    profiles.write_text('[{"name": "only-model"}]')
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daemon.sim",
        "--port",
        "0",
        "--profiles",
        str(profiles),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    try:
        async with asyncio.timeout(20):
            url = (await process.stdout.readline()).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=5) as client:
            assert (await client.get(f"{url}/_sim/health")).json()["models"] == ["only-model"]
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            code = await process.wait()
    assert code == 0
