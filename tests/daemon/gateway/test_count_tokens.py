"""``/v1/messages/count_tokens``: counted by a usable Anthropic-format model with the body redacted
first when that model is external, or locally; never sent in clear, never to a model without a key."""

from __future__ import annotations

import json

from tests.daemon.gateway.served import Served

AWS = "AKIAZ7QWERTY12345678"
EMAIL = "jane.doe@corp.example.com"
OPENAI = "sk-proj-Xk2mQ9vTz8LpR4wN7bY1cD5eF6gH3jK0aS"
BODY = {
    "model": "sim-claude",
    "system": f"deploy key {AWS}",
    "messages": [{"role": "user", "content": f"why does {OPENAI} fail? mail {EMAIL}"}],
    "tools": [{"name": "lookup", "description": f"uses {AWS}", "input_schema": {"type": "object"}}],
    "metadata": {"user_id": EMAIL},
}
SIM_CLAUDE_EXTERNAL = {"models": {"sim-claude": {"external": True}}}


def _count_requests(served: Served) -> list:
    return [r for r in served.sim.requests if r.path.endswith("/count_tokens")]


async def test_an_external_model_counts_a_redacted_body(serve):
    served: Served = await serve(SIM_CLAUDE_EXTERNAL)
    async with served.client() as http:
        response = await http.post("/v1/messages/count_tokens", json=BODY)
    assert response.status_code == 200, response.text
    assert response.json()["input_tokens"] > 0
    [asked] = _count_requests(served)
    sent = json.dumps(asked.body)
    for secret in (AWS, EMAIL, OPENAI):
        assert secret not in sent
    assert "[REDACTED:aws_access_key]" in sent and "[REDACTED:email]" in sent and "[REDACTED:openai_key]" in sent


async def test_a_local_model_counts_the_body_as_sent(serve):
    served: Served = await serve({"models": {"sim-claude": {"external": False}}})
    async with served.client() as http:
        response = await http.post("/v1/messages/count_tokens", json=BODY)
    assert response.status_code == 200
    [asked] = _count_requests(served)
    assert asked.body["system"] == BODY["system"]  # it never leaves the machine


async def test_a_model_whose_key_is_unset_is_never_asked(serve, monkeypatch):
    # The shipped Claude models are enabled but ANTHROPIC_API_KEY is unset: asking one would send the
    # prompt toward the real provider with no key. The sim's Anthropic model, which has its key, counts.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    served: Served = await serve({"models": {"claude-haiku": {"enabled": True}, "claude-sonnet": {"enabled": True},
                                             **SIM_CLAUDE_EXTERNAL["models"]}})
    async with served.client() as http:
        by_default = await http.post("/v1/messages/count_tokens", json={**BODY, "model": "claude-3-5-haiku"})
        named = await http.post("/v1/messages/count_tokens", json={**BODY, "model": "claude-sonnet"})
    assert by_default.status_code == named.status_code == 200, (by_default.text, named.text)
    assert [r.model for r in _count_requests(served)] == ["sim-claude", "sim-claude"]


async def test_without_a_usable_anthropic_model_the_count_is_local(serve, monkeypatch):
    monkeypatch.delenv("SB_TEST_NEVER_SET", raising=False)
    served: Served = await serve({"models": {"sim-claude": {"api_key_env": "SB_TEST_NEVER_SET", "external": True}}})
    async with served.client() as http:
        response = await http.post("/v1/messages/count_tokens", json=BODY)
    assert response.status_code == 200, response.text
    text = BODY["system"] + BODY["messages"][0]["content"]
    assert len(text) // 4 <= response.json()["input_tokens"] <= len(json.dumps(BODY)) // 4 + 2  # ~4 characters a token
    assert _count_requests(served) == [] and served.sim.requests == []
