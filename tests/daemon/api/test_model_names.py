"""The model names agents send, over HTTP in both wire formats: aliases route them, the trace keeps
them, and a named model that cannot serve says why in a way clients do not retry forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from daemon.sim import Fault, SimServer
from tests.daemon.gateway.served import Served, serve_daemon

EXTRA = {
    "aliases": {"claude-*sonnet*": "sim-pro", "claude-*haiku*": {"to": "auto", "hint": "light"},
                "gpt-*-keyless*": "sim-keyless"},
    "models": {"sim-pro": {"enabled": False},
               "sim-keyless": {"litellm_model": "openai/sim-mini", "api_key_env": "SWITCHBOARD_TEST_UNSET_KEY",
                               "tier": "small", "context_window": 64000}},
}


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_daemon(sim, tmp_path, extra=EXTRA) as daemon:
        yield daemon


def _messages(model: str, text: str = "say hello") -> dict:
    return {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": text}]}


def _chat(model: str, text: str = "say hello") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


async def test_claude_codes_default_model_id_is_routed_and_kept_in_the_trace(served: Served) -> None:
    async with served.client() as client:
        response = await client.post("/v1/messages", json=_messages("claude-opus-4-8"),
                                     headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 200, response.text  # today: 400 unknown model 'claude-opus-4-8'
    body = response.json()
    assert body["model"].startswith("sim-") and body["content"][0]["type"] == "text"
    trace = await served.trace(response.headers["x-switchboard-trace-id"])
    assert trace.requested_model == "claude-opus-4-8" and trace.answered_model == body["model"]
    assert trace.decision["alias"] == {"name": "claude-opus-4-8", "pattern": "claude-*opus*", "to": "auto", "hint": None}
    assert trace.reason.startswith("claude-opus-4-8 → auto (alias claude-*opus*); ")


async def test_a_small_model_id_is_marked_light_for_the_router(served: Served) -> None:
    async with served.client() as client:
        response = await client.post("/v1/chat/completions", json=_chat("claude-haiku-4-5-20251001"))
    assert response.status_code == 200, response.text
    trace = await served.trace(response.headers["x-switchboard-trace-id"])
    assert trace.requested_model == "claude-haiku-4-5-20251001"
    assert trace.decision["alias"]["hint"] == "light"
    assert trace.reason.startswith("claude-haiku-4-5-20251001 → auto (alias claude-*haiku*, light); ")


async def test_an_unknown_name_gets_a_400_listing_what_is_accepted_in_both_formats(served: Served) -> None:
    async with served.client() as client:
        chat = await client.post("/v1/chat/completions", json=_chat("mystery-7b"))
        messages = await client.post("/v1/messages", json=_messages("mystery-7b"))
    assert chat.status_code == messages.status_code == 400
    error = chat.json()["error"]
    assert error["code"] == "invalid_request" and error["message"].startswith("model: unknown model 'mystery-7b'; send 'auto'")
    assert "claude-*haiku*" in error["message"] and "sim-nano" in error["message"]
    assert messages.json()["type"] == "error" and messages.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("model, reason", [
    ("claude-sonnet-5", "sim-pro (the name 'claude-sonnet-5' goes to it by the alias 'claude-*sonnet*') "
                        "cannot serve: disabled in config"),
    ("sim-pro", "sim-pro cannot serve: disabled in config"),
    ("gpt-9-keyless", "cannot serve: API key env SWITCHBOARD_TEST_UNSET_KEY is not set"),
])
async def test_a_named_model_that_cannot_serve_is_a_400_that_clients_do_not_retry(
        served: Served, model: str, reason: str) -> None:
    # Claude Code used to retry this for minutes: it was a 503 overloaded_error.
    async with anthropic.AsyncAnthropic(base_url=served.url, api_key=served.key, max_retries=3) as sdk:
        with pytest.raises(anthropic.BadRequestError) as refused:
            await sdk.messages.create(**_messages(model))
    assert refused.value.status_code == 400
    assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert reason in refused.value.message
    async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=served.key, max_retries=3) as sdk:
        with pytest.raises(openai.BadRequestError) as refused_openai:
            await sdk.chat.completions.create(**_chat(model))
    assert refused_openai.value.code == "model_unavailable" and reason in refused_openai.value.message
    traces = await served.traces(2)
    assert len(traces) == 2  # one request per client: neither retried
    assert {t.requested_model for t in traces} == {model} and {t.error_code for t in traces} == {"model_unavailable"}


@pytest.fixture
async def fragile(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    extra = {"gateway": {"circuit_failures": 1, "circuit_reset_seconds": 30, "max_retries": 0, "total_timeout": 5},
             "models": {"sim-mini": {"rpm": 1}}}
    async with serve_daemon(sim, tmp_path, extra=extra) as daemon:
        yield daemon


async def test_a_passing_refusal_is_a_503_or_429_with_retry_after_in_both_formats(
        fragile: Served, sim: SimServer) -> None:
    sim.script("sim-nano", Fault(kind="unavailable", times=None))
    async with fragile.client() as client:
        failed = await client.post("/v1/chat/completions", json=_chat("sim-nano"))
        assert failed.status_code == 503  # the provider's own failure opens the circuit
        for path, body in (("/v1/chat/completions", _chat("sim-nano")), ("/v1/messages", _messages("sim-nano"))):
            refused = await client.post(path, json=body)
            assert refused.status_code == 503, refused.text
            assert 1 <= int(refused.headers["retry-after"]) <= 30
            assert "circuit open" in refused.text
        assert (await client.post("/v1/chat/completions", json=_chat("sim-mini"))).status_code == 200
        for path, body in (("/v1/chat/completions", _chat("sim-mini")), ("/v1/messages", _messages("sim-mini"))):
            limited = await client.post(path, json=body)
            assert limited.status_code == 429, limited.text
            assert 1 <= int(limited.headers["retry-after"]) <= 60
        overloaded = await client.post("/v1/messages", json=_messages("sim-nano"))
    assert overloaded.json()["error"]["type"] == "overloaded_error"
    assert limited.json()["error"]["type"] == "rate_limit_error"


async def test_httpx_sees_the_same_refusal_the_sdks_do(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, headers={"x-api-key": served.key}) as client:
        refused = await client.post("/v1/messages", json=_messages("claude-sonnet-5"))
    assert refused.status_code == 400 and "retry-after" not in refused.headers
    assert refused.json()["error"]["code"] == "model_unavailable"


async def test_auto_with_no_usable_model_at_all_is_a_400_that_says_what_to_set(sim: SimServer, tmp_path: Path) -> None:
    unusable = {"models": {name: {"api_key_env": "SWITCHBOARD_TEST_UNSET_KEY"} for name in sim.profiles}}
    async with serve_daemon(sim, tmp_path, extra=unusable) as daemon, daemon.client() as client:
        refused = await client.post("/v1/messages", json=_messages("claude-opus-4-8"))
    assert refused.status_code == 400, refused.text  # a 503 here would be retried by every client
    error = refused.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "model_unavailable"
    assert error["message"].startswith("no configured model can be used: ")
    assert "sim-nano: API key env SWITCHBOARD_TEST_UNSET_KEY is not set" in error["message"]
