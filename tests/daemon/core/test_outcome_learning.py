"""The router learns from Switchboard's own outcomes, through the real daemon and the simulated
providers: a quality signal on a trace becomes a stored outcome that moves the predictions for
similar prompts, a restarted daemon still knows it, and the evaluation job's shadow comparisons
teach both models compared, paid from the evaluation's budget."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from daemon.jobs.evaluation import EVAL_DEVELOPER
from daemon.sim import Fault, SimServer
from daemon.store.records import TraceQuery, TraceRecord
from daemon.wire import AskRequest, FeedbackRequest, RouteRequest
from tests.support import in_process_daemon, running_daemon, sim_config, write_config

PROMPT = "Write a Python function that parses ISO 8601 dates with time zones and returns a datetime object."
SIMILAR = "Write a Python function that parses ISO 8601 timestamps with a time zone into a datetime."
UNRELATED = "Draft a friendly two-line reply thanking a colleague for covering my on-call shift."


def _quality(decision: dict, model: str) -> float:
    return next(c["predicted_quality"] for c in decision["candidates"] if c["model"] == model)


async def _route(client: httpx.AsyncClient, prompt: str) -> dict:
    response = await client.post("/api/route", json={"prompt": prompt})
    assert response.status_code == 200, response.text
    return response.json()


async def _ask(client: httpx.AsyncClient, prompt: str, model: str) -> str:
    response = await client.post("/api/ask", json={"prompt": prompt, "model": model})
    assert response.status_code == 200, response.text
    return response.json()["trace_id"]


@pytest.fixture
def config(sim: SimServer, tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", sim_config(sim.url, extra={"routing": {"exploration_rate": 0.0}}))


async def test_feedback_becomes_an_outcome_that_moves_a_similar_prompts_prediction(config: Path, tmp_path: Path) -> None:
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        trace_id = await _ask(client, PROMPT, "sim-pro")
        await services.traces.written(trace_id)
        trace = await services.store.get_trace(trace_id)
        assert trace.embedding is not None and len(trace.embedding) == 128 and trace.difficulty is not None
        before = await _route(client, SIMILAR)
        assert "similar past outcome" not in before["reason"]

        response = await client.post("/api/feedback", json={"trace_id": trace_id, "score": 0.0, "source": "user"})
        assert response.status_code == 200, response.text

        stored = await services.store.load_outcomes()
        assert [(o.trace_id, o.model, o.quality, o.source, o.embedding) for o in stored] == [
            (trace_id, "sim-pro", 0.0, "user", trace.embedding)]
        after = await _route(client, SIMILAR)
        assert _quality(after, "sim-pro") < _quality(before, "sim-pro") - 0.05
        assert "1 similar past outcome: sim-pro 0.00" in after["reason"]
        # Other models, and prompts unlike the rated one, are not what the outcome spoke about.
        assert _quality(after, "sim-nano") == pytest.approx(_quality(before, "sim-nano"), abs=1e-9)
        assert "similar past outcome" not in (await _route(client, UNRELATED))["reason"]


async def test_a_restarted_daemon_still_knows_what_it_learned(config: Path) -> None:
    async with running_daemon(config) as daemon, daemon.client() as client:
        answer = await client.ask(AskRequest(prompt=PROMPT, model="sim-pro"))
        await client.feedback(FeedbackRequest(trace_id=answer.trace_id, score=1.0, source="user"))
        learned = await client.route(RouteRequest(prompt=SIMILAR))
    assert "1 similar past outcome: sim-pro 1.00" in learned.reason
    async with running_daemon(config, data_dir=daemon.data_dir) as again, again.client() as client:
        reloaded = await client.route(RouteRequest(prompt=SIMILAR))
    assert "1 similar past outcome: sim-pro 1.00" in reloaded.reason
    assert [c.predicted_quality for c in reloaded.candidates] == [c.predicted_quality for c in learned.candidates]


async def test_a_trace_without_a_vector_still_teaches_the_matrix_and_is_skipped_by_the_memory(
        config: Path, tmp_path: Path) -> None:
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        me = await services.local_developer()
        # A row written before traces kept vectors.
        await services.store.record_traces([TraceRecord(
            "old-trace", me.id, "api", time.time(), "ok", 12.0, answered_model="sim-pro", task_type="chat",
            complexity=0.3, prompt="user: hello", answer="Hello there. [end]")])
        version = services.matrix.matrix.version
        response = await client.post("/api/feedback", json={"trace_id": "old-trace", "score": 1.0})
        assert response.status_code == 200, response.text
        assert response.json()["matrix_version"] > version
        evaluated = await client.post("/api/eval", json={"sample": 5})
        assert evaluated.status_code == 200, evaluated.text
        assert evaluated.json()["scored"] == 1 and evaluated.json()["outcomes_learned"] == 0
        assert await services.store.load_outcomes() == []
        assert len(services.knowledge.current.memory) == 0


async def test_a_shadow_comparison_teaches_both_models_on_the_evaluation_budget(sim: SimServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url, extra={
        "routing": {"exploration_rate": 0.0},
        "evaluation": {"judge_model": "sim-ultra", "shadow_rate": 1.0, "monthly_budget_usd": 5.0},
    }))
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        trace_id = await _ask(client, PROMPT, "sim-nano")
        await services.traces.written(trace_id)
        me = await services.local_developer()
        mine_before = sum(t.cost_micros for t in await services.store.list_traces(TraceQuery(developer_id=me.id)))
        sim.script("sim-pro", Fault(kind="reply", text="def parse(s): return datetime.fromisoformat(s)"))
        sim.script("sim-ultra", Fault(kind="reply", text="7"), Fault(kind="reply", text="A, it is shorter."))

        response = await client.post("/api/eval", json={"sample": 1})
        assert response.status_code == 200, response.text
        result = response.json()

        # The nearest tier to a small model's is medium: sim-pro answered the same request too.
        shadow_request = sim.requests_for("sim-pro")[-1]
        assert shadow_request.body["messages"][-1]["content"] == PROMPT
        comparison = sim.requests_for("sim-ultra")[-1].body["messages"][-1]["content"]
        first_shown = comparison.split("ANSWER A:\n", 1)[1].split("\n\nANSWER B:", 1)[0]
        winner, loser = ("sim-pro", "sim-nano") if first_shown.startswith("def parse") else ("sim-nano", "sim-pro")
        assert result["shadow_compared"] == 1 and result["judged"] == 1
        shadows = {(o.model, o.quality) for o in await services.store.load_outcomes() if o.source == "shadow"}
        assert shadows == {(winner, 1.0), (loser, 0.0)}
        assert all(o.trace_id == trace_id for o in await services.store.load_outcomes())
        learned = await _route(client, SIMILAR)
        assert "sim-pro" in learned["reason"] and "sim-nano" in learned["reason"]

        # Paid by the evaluation's developer: its ledger holds the run's whole cost, the person's nothing new.
        judge = await services.store.developer_by_name(EVAL_DEVELOPER)
        budget = await services.store.budget_for("developer", judge.id)
        assert budget is not None
        spent = (await services.store.ledger_totals(budget.id))["settled"]
        assert result["shadow_cost_usd"] > 0 and result["cost_usd"] > result["shadow_cost_usd"]
        assert spent == round(result["cost_usd"] * 1e6)
        mine_after = sum(t.cost_micros for t in await services.store.list_traces(TraceQuery(developer_id=me.id)))
        assert mine_after == mine_before


async def test_consensus_agreement_and_a_review_choice_become_outcomes(sim: SimServer, config: Path,
                                                                      tmp_path: Path) -> None:
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        agreed = (await client.post("/api/consensus", json={"prompt": PROMPT, "n": 3})).json()
        assert agreed["verdict"] == "agree"
        learned = await services.store.load_outcomes()
        assert {(o.trace_id, o.model, o.quality, o.source) for o in learned} == {
            (agreed["trace_id"], a["model"], 1.0, "consensus") for a in agreed["answers"]}

        models = ["sim-nano", "sim-mini", "sim-pro"]
        for model, text in zip(models, ("41.", "42.", "43."), strict=True):
            sim.script(model, Fault(kind="reply", text=f"The answer is {text}", times=None))
        split = (await client.post("/api/consensus", json={"prompt": "What is six times seven?", "models": models})).json()
        assert split["verdict"] == "disagree"
        resolved = await client.post(f"/api/reviews/{split['review_id']}", json={"chosen_index": 1})
        assert resolved.status_code == 200, resolved.text
        reviewed = [o for o in await services.store.load_outcomes() if o.source == "review"]
        assert {(o.trace_id, o.model, o.quality) for o in reviewed} == {
            (split["trace_id"], "sim-nano", 0.0), (split["trace_id"], "sim-mini", 1.0), (split["trace_id"], "sim-pro", 0.0)}
        assert len(services.knowledge.current.memory) == len(learned) + 3
