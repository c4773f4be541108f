"""The router through the real daemon and the simulated providers: cascade, consensus, latency
routing, and the matrix learning from feedback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from daemon.sim import Fault, answer_text
from tests.support import in_process_daemon, sim_config, write_config


async def _route(client: httpx.AsyncClient, prompt: str, model: str = "auto") -> dict:
    response = await client.post("/api/route", json={"prompt": prompt, "model": model})
    assert response.status_code == 200, response.text
    return response.json()


async def _ask(client: httpx.AsyncClient, prompt: str, model: str = "auto") -> dict:
    response = await client.post("/api/ask", json={"prompt": prompt, "model": model})
    assert response.status_code == 200, response.text
    return response.json()


async def _trace(client: httpx.AsyncClient, services, trace_id: str) -> dict:
    await services.traces.written(trace_id)
    response = await client.get(f"/api/traces/{trace_id}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def daemon(sim, tmp_path: Path):
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        yield services, client


async def test_route_explains_the_decision_without_calling_a_model(sim, daemon) -> None:
    _, client = daemon
    decision = await _route(client, "Refactor this Python class into smaller functions and add type hints.")
    assert decision["model"].startswith("sim-")
    assert decision["reason"] and decision["policy"] == "balanced"
    assert {c["model"] for c in decision["candidates"]} >= {"sim-nano", "sim-ultra"}
    assert any(c["excluded_reason"] == "disabled in config" for c in decision["candidates"])
    assert sim.requests == []


async def test_unknown_policy_is_a_clear_error(daemon) -> None:
    _, client = daemon
    response = await client.post("/api/route", json={"prompt": "hi", "model": "auto:nope"})
    assert response.status_code == 400
    assert "unknown routing policy 'nope'" in response.json()["error"]["message"]


async def test_cascade_escalates_a_refusal_into_one_trace_with_two_attempts(sim, daemon) -> None:
    services, client = daemon
    prompt = "Write a short poem about routers and budgets."
    plan = await _route(client, prompt, "auto:cascade")
    first, target = plan["model"], plan["escalation_model"]
    assert target and target != first
    sim.script(first, Fault(kind="reply", text="I'm sorry, but I can't help with that request.", times=None))
    answer = await _ask(client, prompt, "auto:cascade")
    trace = await _trace(client, services, answer["trace_id"])
    assert answer["model"] == target
    assert answer["answer"] == answer_text(prompt)
    assert [a["model"] for a in trace["attempts"]] == [first, target]
    assert trace["escalated"] is True
    assert "escalated to" in trace["reason"] and "refusal" in trace["reason"]


async def test_consensus_agreement_serves_the_majority_and_credits_the_models(sim, daemon) -> None:
    services, client = daemon
    before = services.matrix.matrix.version
    response = await client.post("/api/consensus", json={"prompt": "What is the capital of France?", "n": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "agree" and body["agreement"] == 1.0
    assert len(body["answers"]) == 3 and body["review_id"] is None
    assert body["answer"] == answer_text("What is the capital of France?")
    assert len({r.model for r in sim.requests}) == 3
    assert services.matrix.matrix.version > before


async def test_consensus_disagreement_asks_the_tiebreaker_and_fills_the_review_queue(sim, daemon) -> None:
    services, client = daemon
    models = ["sim-nano", "sim-mini", "sim-pro"]
    sim.script("sim-nano", Fault(kind="reply", text="The answer is 41.", times=None))
    sim.script("sim-mini", Fault(kind="reply", text="The answer is 42.", times=None))
    sim.script("sim-pro", Fault(kind="reply", text="The answer is 43.", times=None))
    response = await client.post("/api/consensus", json={"prompt": "What is six times seven?", "models": models})
    body = response.json()
    assert body["verdict"] == "disagree", body
    assert body["review_id"] is not None
    assert body["tiebreaker"] not in models and body["answer"]
    reviews = (await client.get("/api/reviews")).json()["reviews"]
    assert [r["id"] for r in reviews] == [body["review_id"]]
    assert [a["answer"] for a in reviews[0]["answers"]] == ["The answer is 41.", "The answer is 42.", "The answer is 43."]

    resolved = await client.post(f"/api/reviews/{body['review_id']}", json={"chosen_index": 1})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert (await client.get("/api/reviews")).json()["reviews"] == []


async def test_latency_policy_moves_away_from_a_model_that_slows_down(sim, daemon) -> None:
    services, client = daemon
    prompt = "complete: def add(a, b):"
    fast = (await _route(client, prompt, "auto:fast"))["model"]
    first = await _ask(client, prompt, fast)  # a real, instant call: its live latency is now known
    await services.traces.written(first["trace_id"])
    sim.script(fast, Fault(kind="slow", latency_ms=2500, times=None))
    slow = await _ask(client, prompt, fast)
    await services.traces.written(slow["trace_id"])  # live latency comes from recorded attempts
    after = await _route(client, prompt, "auto:fast")
    assert services.latency.percentiles(fast)[1] >= 2500
    assert after["model"] != fast
    assert next(c for c in after["candidates"] if c["model"] == fast)["predicted_latency_ms"] >= 2500


async def test_feedback_changes_the_matrix_and_a_later_prediction(sim, daemon) -> None:
    services, client = daemon
    prompt = "Summarise the plot of Hamlet in two sentences."
    answer = await _ask(client, prompt, "sim-ultra")
    before = next(c for c in (await _route(client, prompt))["candidates"] if c["model"] == "sim-ultra")
    version = services.matrix.matrix.version
    for _ in range(3):
        rated = await client.post("/api/feedback", json={"trace_id": answer["trace_id"], "score": 0.0, "source": "agent"})
        assert rated.status_code == 200, rated.text
    after = next(c for c in (await _route(client, prompt))["candidates"] if c["model"] == "sim-ultra")
    matrix = (await client.get("/api/matrix", params={"model": "sim-ultra"})).json()
    assert rated.json()["matrix_version"] == matrix["version"] > version
    assert after["predicted_quality"] < before["predicted_quality"]
    assert matrix["cells"] and all(c["model"] == "sim-ultra" for c in matrix["cells"])
    trace = await _trace(client, services, answer["trace_id"])
    assert [f["score"] for f in trace["feedback"]] == [0.0, 0.0, 0.0]


async def test_feedback_for_an_unknown_trace_is_not_found(daemon) -> None:
    _, client = daemon
    response = await client.post("/api/feedback", json={"trace_id": "f" * 32, "score": 1})
    assert response.status_code == 404


async def test_matrix_export_import_round_trip_makes_a_new_version(daemon, tmp_path: Path) -> None:
    services, client = daemon
    toml = '[[cells]]\ntask_type = "math"\nband = 5\nmodel = "sim-nano"\nquality = 0.95\nevidence = 40\n'
    imported = await client.post("/api/matrix/import", content=toml)
    assert imported.status_code == 200, imported.text
    exported = (await client.get("/api/matrix/export")).text
    assert 'model = "sim-nano"' in exported and "quality = 0.95" in exported
    bad = await client.post("/api/matrix/import", content="[[cells]]\ntask_type = 'poetry'\n")
    assert bad.status_code == 400
    assert services.matrix.matrix.version == imported.json()["version"]
    await asyncio.sleep(0)
