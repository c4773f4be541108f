"""The budget as the router sees it, through the real /api/ask: step-down past the soft threshold
(the reason says so), critical requests keeping the frontier, the hard limit refusing with the
reset time; and spend of a past period not counting in the new one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from daemon.budgets import describe_reset, period_bounds
from daemon.core import accounting
from tests.support import in_process_daemon, sim_config, write_config

HARD = "Prove that there are infinitely many primes and then derive the prime number theorem asymptotics in detail, with rigorous steps."


@pytest.fixture
def config(tmp_path: Path, sim) -> Path:
    return write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"routing": {"exploration_rate": 0.0}}))


async def _spend(services, developer, usd: float, trace_id: str) -> None:
    micros = round(usd * 1_000_000)
    await accounting.reserve(services, developer, trace_id, micros)
    await accounting.settle(services, trace_id, micros)


async def _ask(client, *, critical: bool = False) -> dict:
    body = {"prompt": HARD, "max_tokens": 100, "priority": "critical" if critical else "normal"}
    response = await client.post("/api/ask", json=body)
    return response.json() | {"status": response.status_code}


async def test_budget_steps_down_past_soft_threshold_and_critical_keeps_the_frontier(config: Path, tmp_path: Path):
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
        me = await services.local_developer()
        await accounting.set_budget(services, developer=me.name, limit_usd=1.0)
        fresh = await _ask(client)
        await _spend(services, me, 0.85, "seed-1")
        stepped = await _ask(client)
        critical = await _ask(client, critical=True)
        trace = (await client.get(f"/api/traces/{stepped['trace_id']}")).json()
        await _spend(services, me, 0.11, "seed-2")  # 96%: past the critical-only threshold
        critical_only = await _ask(client)
        critical_late = await _ask(client, critical=True)
    frontier = {n for n, m in services.settings.models.items() if m.tier == "frontier"}
    assert fresh["status"] == 200 and fresh["model"] in frontier, fresh
    assert stepped["status"] == 200 and stepped["model"] not in frontier
    assert "stepped down" in stepped["reason"] and "85% used" in stepped["reason"], stepped["reason"]
    assert "stepped down" in trace["reason"]
    assert critical["model"] in frontier and "stepped down" not in critical["reason"]
    assert critical_only["model"] not in frontier
    assert critical_late["model"] in frontier, critical_late


async def test_hard_limit_refuses_saying_whose_budget_what_is_spent_and_when_it_resets(config: Path, tmp_path: Path):
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
        me = await services.local_developer()
        await accounting.set_budget(services, developer=me.name, period="week", limit_usd=0.50)
        await _spend(services, me, 0.50, "seed")
        refused = await _ask(client, critical=True)
        resets = period_bounds("week", time.time(), "UTC")[1]
    assert refused["status"] == 402
    message = refused["error"]["message"]
    assert refused["error"]["code"] == "budget_exceeded"
    assert f"{me.name}'s weekly budget" in message and "is used up: $0.50 of $0.50 is spent" in message
    assert describe_reset(resets, "UTC") in message


async def test_spend_of_a_past_period_does_not_count_in_the_new_one(config: Path, tmp_path: Path):
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
        me = await services.local_developer()
        await accounting.set_budget(services, developer=me.name, period="month", limit_usd=1.0)
        this_month, _ = period_bounds("month", time.time(), "UTC")
        last_month = this_month - 86_400  # a day before this month began
        await accounting.reserve(services, me, "old", 900_000, now=last_month)
        await accounting.settle(services, "old", 900_000)
        state = await accounting.budget_state(services, me)
        (budget, name), = await accounting.budgets_of(services, me)
        before = await accounting.figures(services, budget, name, now=last_month)
    assert before.settled_micros == 900_000 and before.state == "stepped_down"
    assert state.fraction_used == 0.0 and not state.hard_exceeded


async def test_failover_goes_only_to_fallbacks_the_budget_can_pay_for(sim, tmp_path: Path):
    from daemon.sim import Fault

    extra = {"routing": {"exploration_rate": 0.0}, "gateway": {"max_retries": 0},
             "models": {"sim-nano": {"fallbacks": ["sim-ultra"]}}}
    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra=extra))
    sim.script("sim-nano", Fault(kind="server_error", times=None))  # the cheap model always fails over
    body = {"prompt": "fail over", "model": "sim-nano", "max_tokens": 100}
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
        me = await services.local_developer()
        # Affords a nano call (about $0.00002 at most) but not the ultra one it can fail over to (about $0.004).
        await accounting.set_budget(services, developer=me.name, limit_usd=0.001)
        refused = await client.post("/api/ask", json=body)
        ultra_calls = len(sim.requests_for("sim-ultra"))
        await accounting.set_budget(services, developer=me.name, limit_usd=0.01)
        served = await client.post("/api/ask", json=body)
        (budget, name), = await accounting.budgets_of(services, me)
        f = await accounting.figures(services, budget, name)
    error = refused.json()["error"]
    # Not refused for the fallback it cannot pay for: that fallback is dropped, and nano's own failure is the answer.
    assert refused.status_code == 503 and error["code"] == "provider_unavailable", error
    assert ultra_calls == 0
    assert served.status_code == 200 and served.json()["model"] == "sim-ultra"
    assert 0 < f.settled_micros <= f.limit_micros


async def test_a_request_without_max_tokens_is_sent_the_cap_its_reservation_assumed(sim, tmp_path: Path):
    """Finding 5 of issue 16: a request without max_tokens reserved 4,096 output tokens, but nothing capped
    the answer, and a long one settled past a hard limit."""
    from daemon.gateway.cost import DEFAULT_OUTPUT_CAP
    from daemon.sim import Fault

    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"routing": {"exploration_rate": 0.0}}))
    long_answer = " word" * (3 * DEFAULT_OUTPUT_CAP)  # would cost about $0.49 on sim-ultra ($40 per million out)
    sim.script("sim-ultra", Fault(kind="reply", text=long_answer))
    async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
        me = await services.local_developer()
        await accounting.set_budget(services, developer=me.name, limit_usd=0.20)  # affords the 4,096 it reserves
        response = await client.post("/v1/chat/completions", json={
            "model": "sim-ultra", "messages": [{"role": "user", "content": "write at length"}]})
        (budget, name), = await accounting.budgets_of(services, me)
        f = await accounting.figures(services, budget, name)
    assert response.status_code == 200, response.text
    body = response.json()
    [seen] = sim.requests_for("sim-ultra")
    assert seen.body["max_tokens"] == DEFAULT_OUTPUT_CAP  # the reservation's assumption, sent
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == DEFAULT_OUTPUT_CAP
    assert 0 < f.settled_micros <= f.limit_micros and f.reserved_micros == 0
