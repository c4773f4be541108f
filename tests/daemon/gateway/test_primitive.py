"""The non-streaming primitive strategies build on: ``pipeline.run_completion`` (one route, retries and
failover, no trace), returning text, finish reason, logprobs, usage, cost and attempts."""

from __future__ import annotations

import math

import pytest

from daemon.core import pipeline
from daemon.core.routing import RoutePlan
from daemon.errors import ProviderUnavailableError
from daemon.gateway import ChatRequest, Completion
from daemon.sim import Fault, answer_text
from tests.daemon.gateway.served import Served

PROMPT = "How confident is this answer?"


async def test_run_completion_returns_answer_logprobs_usage_and_cost(served: Served):
    services = served.services
    developer = await services.store.developer_by_name("tester")
    ctx = pipeline.admit(services, developer, surface="cli", requested_model="sim-mini")
    request = ChatRequest(({"role": "user", "content": PROMPT},), logprobs=True, top_logprobs=2)
    completion = await pipeline.run_completion(services, ctx, request, RoutePlan("sim-mini", (), "test", "pinned"))
    assert completion.text == answer_text(PROMPT) and completion.finish_reason == "stop"
    assert completion.model == "sim-mini" and completion.usage.output_tokens > 0 and completion.cost_micros > 0
    assert completion.logprobs and len(completion.logprobs) == completion.usage.output_tokens
    mean = sum(math.exp(e["logprob"]) for e in completion.logprobs) / len(completion.logprobs)
    assert 0.6 < mean < 0.9  # sim-mini's confidence is 0.74
    assert [a.status for a in completion.attempts] == ["ok"]
    assert served.sim.requests_for("sim-mini")[0].body["logprobs"] is True


async def test_run_completion_fails_over_and_raises_with_attempts_kept(served: Served):
    services = served.services
    developer = await services.store.developer_by_name("tester")
    served.sim.script("sim-pro", Fault(kind="unavailable", times=None))
    served.sim.script("sim-ultra", Fault(kind="unavailable", times=None))
    ctx = pipeline.admit(services, developer, surface="cli")
    completion = Completion()
    with pytest.raises(ProviderUnavailableError):
        await pipeline.run_into(services, ctx, ChatRequest(({"role": "user", "content": PROMPT},)),
                                RoutePlan("sim-pro", ("sim-ultra",), "test", "pinned"), completion)
    assert [a.model for a in completion.attempts] == ["sim-pro"] * 3 + ["sim-ultra"] * 3
    assert all(a.status == "error" and a.cost_micros == 0 for a in completion.attempts)
    assert completion.cost_micros == 0 and completion.model is None
