"""The endpoints a gateway is expected to have besides completions, driven by the official SDKs against the
real daemon: embeddings (routed to the configured embedding model, charged to the budget, traced),
one model by name on both SDKs, and unknown paths and methods answered as JSON in the caller's format."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator

import anthropic
import openai
import pytest

from daemon.sim.wire_embeddings import embedding_vector
from tests.daemon.gateway.served import Served


@pytest.fixture
async def client(served: Served) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=served.key, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def claude(served: Served) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=served.url, api_key=served.key, max_retries=0) as sdk:
        yield sdk


async def _set_budget(served: Served, limit_usd: float) -> None:
    async with served.client() as http:
        answer = await http.put("/api/budget", json={"developer": "tester", "limit_usd": limit_usd})
        assert answer.status_code == 200, answer.text


async def test_embeddings_create_routes_to_the_embedding_model_charges_the_budget_and_traces(
        client: openai.AsyncOpenAI, served: Served) -> None:
    await _set_budget(served, 5.0)
    raw = await client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["first text", "second text"], encoding_format="float")
    answer = raw.parse()
    assert [item.index for item in answer.data] == [0, 1]
    assert answer.data[1].embedding == pytest.approx(embedding_vector("sim-embed", "second text", 256))
    assert answer.model == "sim-embed" and answer.usage.prompt_tokens == 4
    [seen] = served.sim.requests_for("sim-embed")
    assert seen.path == "/v1/embeddings" and seen.body["input"] == ["first text", "second text"]
    trace = await served.trace(raw.headers["x-switchboard-trace-id"])
    assert (trace.surface, trace.requested_model, trace.answered_model, trace.outcome) == (
        "api", "text-embedding-3-small", "sim-embed", "ok")
    assert trace.decision["endpoint"] == "/v1/embeddings" and trace.input_tokens == 4
    assert trace.cost_micros == round(4 * 0.02)  # 4 tokens at $0.02 per million
    async with served.client() as http:
        [budget] = (await http.get("/api/budget")).json()["budgets"]
    assert budget["spent_usd"] == pytest.approx(trace.cost_micros / 1e6) and budget["reserved_usd"] == 0


async def test_embeddings_base64_and_dimensions_are_forwarded(client: openai.AsyncOpenAI, served: Served) -> None:
    raw = await client.embeddings.with_raw_response.create(model="sim-embed", input="hello", dimensions=8,
                                                           encoding_format="base64")
    packed = raw.http_response.json()["data"][0]["embedding"]
    floats = struct.unpack("<8f", base64.b64decode(packed))
    assert floats == pytest.approx(embedding_vector("sim-embed", "hello", 8), abs=1e-6)
    assert served.sim.requests_for("sim-embed")[0].body["dimensions"] == 8


async def test_embeddings_refused_when_the_budget_is_spent(client: openai.AsyncOpenAI, served: Served) -> None:
    await _set_budget(served, 0.0)
    with pytest.raises(openai.APIStatusError) as refused:
        await client.embeddings.create(model="auto", input="hello")
    assert refused.value.status_code == 402 and refused.value.body["code"] == "budget_exceeded"
    assert served.sim.requests_for("sim-embed") == []


async def test_embeddings_refuse_a_chat_model_and_chat_refuses_the_embedding_model(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as chat_model:
        await client.embeddings.create(model="sim-mini", input="hello")
    assert "sim-mini is a chat model" in chat_model.value.message and chat_model.value.param == "model"
    with pytest.raises(openai.BadRequestError) as embed_model:
        await client.chat.completions.create(model="sim-embed", messages=[{"role": "user", "content": "hi"}])
    assert "embedding model" in embed_model.value.message


async def test_embeddings_refuse_a_parameter_nothing_honours(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        await client.embeddings.create(model="auto", input="hello", extra_body={"truncate": "END"})
    assert refused.value.param == "truncate"


@pytest.mark.parametrize("name", ["auto", "auto:cheapest", "sim-pro", "claude-sonnet-4-5", "gpt-5-mini"])
async def test_openai_models_retrieve_knows_auto_configured_and_alias_names(client: openai.AsyncOpenAI,
                                                                          name: str) -> None:
    found = await client.models.retrieve(name)
    assert found.id == name and found.object == "model"


async def test_openai_models_retrieve_unknown_is_a_json_404(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await client.models.retrieve("no-such-model")
    assert missing.value.response.headers["content-type"] == "application/json"
    assert "no model 'no-such-model'" in missing.value.message


@pytest.mark.parametrize("name", ["auto", "sim-claude", "claude-opus-4-8", "claude-haiku-4-5-20251001"])
async def test_anthropic_models_retrieve_answers_in_anthropics_shape(claude: anthropic.AsyncAnthropic,
                                                                     name: str) -> None:
    found = await claude.models.retrieve(name)
    assert (found.id, found.type, found.display_name) == (name, "model", name)


async def test_anthropic_models_retrieve_unknown_is_an_anthropic_404(claude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        await claude.models.retrieve("no-such-model")
    assert missing.value.body["type"] == "error" and missing.value.body["error"]["type"] == "not_found_error"


async def test_unknown_paths_and_methods_answer_json_in_the_callers_format(served: Served) -> None:
    async with served.client() as http:
        openai_404 = await http.post("/v1/nothing-here", json={})
        anthropic_404 = await http.get("/v1/nothing-here", headers={"anthropic-version": "2023-06-01"})
        openai_405 = await http.get("/v1/chat/completions")
        anthropic_405 = await http.get("/v1/messages")
        bare_404 = await http.post("/chat/completions", json={})
    for answer in (openai_404, anthropic_404, openai_405, anthropic_405, bare_404):
        assert answer.headers["content-type"] == "application/json", answer.text
    assert openai_404.status_code == 404 and openai_404.json()["error"]["code"] == "not_found"
    assert "POST /v1/nothing-here" in openai_404.json()["error"]["message"]
    assert anthropic_404.status_code == 404 and anthropic_404.json()["type"] == "error"
    assert anthropic_404.json()["error"]["type"] == "not_found_error"
    assert openai_405.status_code == 405 and openai_405.json()["error"]["code"] == "method_not_allowed"
    assert openai_405.headers["allow"] == "POST"
    assert anthropic_405.status_code == 405 and anthropic_405.json()["type"] == "error"
    assert bare_404.status_code == 404 and "error" in bare_404.json()
