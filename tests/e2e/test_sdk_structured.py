"""Structured output is never dropped: OpenAI's ``response_format`` sent to an Anthropic-format model and
Anthropic's ``output_config.format`` sent to an OpenAI-format model, through the official SDKs and the real
daemon, come back as JSON matching the schema: natively where the model takes a schema, as a forced tool
otherwise (the sim shows what the provider received); a model that can do neither is left off the route,
and a request that only such models could serve is a 400 naming the field."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import openai
import pytest

from daemon.gateway.honour import FORCED_TOOL
from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
          "required": ["city", "population"], "additionalProperties": False}
FORMAT = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA}}
ASK = [{"role": "user", "content": "Name a large city and its population."}]
NO_SCHEMA = ["chat", "stream", "tools"]
"""Capabilities of a model that cannot take a schema natively, only a forced tool."""


def _matches(text: str) -> dict:
    value = json.loads(text)
    assert set(value) == {"city", "population"}
    assert isinstance(value["city"], str) and isinstance(value["population"], int)
    return value


@pytest.fixture
async def daemon(sim: SimServer, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    """The daemon, with capabilities changed per test by ``@pytest.mark.parametrize('caps', ...)``."""
    caps: dict[str, list[str]] = getattr(request, "param", {})
    extra = {"models": {name: {"capabilities": value} for name, value in caps.items()}}
    async with serve_daemon(sim, tmp_path, extra) as served:
        yield served


def _openai(served: Served) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=served.key, max_retries=0)


def _anthropic(served: Served) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=served.url, api_key=served.key, max_retries=0)


async def test_openai_json_schema_reaches_an_anthropic_model_natively(daemon: Served) -> None:
    async with _openai(daemon) as client:
        answer = await client.chat.completions.create(model="sim-claude", messages=ASK, response_format=FORMAT)
    _matches(answer.choices[0].message.content)
    [seen] = daemon.sim.requests_for("sim-claude")
    assert seen.body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert "tools" not in seen.body


@pytest.mark.parametrize("daemon", [{"sim-claude": NO_SCHEMA}], indirect=True)
@pytest.mark.parametrize("stream", [False, True])
async def test_openai_json_schema_becomes_a_forced_tool_on_an_anthropic_model_without_it(
        daemon: Served, stream: bool) -> None:
    async with _openai(daemon) as client:
        if stream:
            chunks = [c async for c in await client.chat.completions.create(
                model="sim-claude", messages=ASK, response_format=FORMAT, stream=True)]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
            assert finish == ["stop"] and not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)
        else:
            answer = await client.chat.completions.create(model="sim-claude", messages=ASK, response_format=FORMAT)
            text = answer.choices[0].message.content
            assert answer.choices[0].finish_reason == "stop" and not answer.choices[0].message.tool_calls
    _matches(text)
    [seen] = daemon.sim.requests_for("sim-claude")
    assert seen.body["tools"] == [{"name": FORCED_TOOL, "description": seen.body["tools"][0]["description"],
                                   "input_schema": SCHEMA}]
    assert seen.body["tool_choice"] == {"type": "tool", "name": FORCED_TOOL} and "output_config" not in seen.body


async def test_openai_json_object_becomes_a_forced_tool_on_an_anthropic_model(daemon: Served) -> None:
    async with _openai(daemon) as client:
        answer = await client.chat.completions.create(model="sim-claude", messages=ASK,
                                                      response_format={"type": "json_object"})
    assert isinstance(json.loads(answer.choices[0].message.content), dict)
    [seen] = daemon.sim.requests_for("sim-claude")
    assert seen.body["tools"][0]["input_schema"] == {"type": "object"}


async def test_anthropic_output_config_reaches_an_openai_model_as_response_format(daemon: Served) -> None:
    async with _anthropic(daemon) as client:
        message = await client.messages.create(
            model="sim-pro", max_tokens=256, messages=ASK,
            output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    _matches(message.content[0].text)
    [seen] = daemon.sim.requests_for("sim-pro")
    assert seen.body["response_format"] == {"type": "json_schema", "json_schema": {"name": "response", "schema": SCHEMA}}


@pytest.mark.parametrize("daemon", [{"sim-pro": NO_SCHEMA}], indirect=True)
async def test_anthropic_output_format_becomes_a_forced_tool_on_an_openai_model_without_it(daemon: Served) -> None:
    async with _anthropic(daemon) as client:
        async with client.messages.stream(model="sim-pro", max_tokens=256, messages=ASK,
                                          extra_body={"output_format": {"type": "json_schema", "schema": SCHEMA}}
                                          ) as stream:
            text = "".join([piece async for piece in stream.text_stream])
            final = await stream.get_final_message()
    _matches(text)
    assert final.stop_reason == "end_turn" and [b.type for b in final.content] == ["text"]
    [seen] = daemon.sim.requests_for("sim-pro")
    assert seen.body["tool_choice"] == {"type": "function", "function": {"name": FORCED_TOOL}}
    assert seen.body["tools"][0]["function"]["parameters"] == SCHEMA and "response_format" not in seen.body


@pytest.mark.parametrize("daemon", [{"sim-claude": NO_SCHEMA}], indirect=True)
async def test_anthropic_output_config_becomes_a_forced_tool_on_an_anthropic_model_without_it(daemon: Served) -> None:
    async with _anthropic(daemon) as client:
        message = await client.messages.create(
            model="sim-claude", max_tokens=256, messages=ASK, thinking={"type": "enabled", "budget_tokens": 1024},
            output_config={"format": {"type": "json_schema", "schema": SCHEMA}, "effort": "low"})
    _matches(message.content[0].text)
    [seen] = daemon.sim.requests_for("sim-claude")
    assert seen.body["output_config"] == {"effort": "low"} and "thinking" not in seen.body
    assert seen.body["tool_choice"] == {"type": "tool", "name": FORCED_TOOL}


CANNOT = ["chat", "stream"]


@pytest.mark.parametrize("daemon", [{"sim-nano": CANNOT, "sim-mini": CANNOT, "sim-pro": CANNOT,
                                     "sim-ultra": CANNOT}], indirect=True)
async def test_auto_routes_structured_output_only_to_models_that_honour_it(daemon: Served) -> None:
    async with _openai(daemon) as client:
        raw = await client.chat.completions.with_raw_response.create(model="auto", messages=ASK,
                                                                     response_format=FORMAT)
        _matches(raw.parse().choices[0].message.content)
        assert raw.headers["x-switchboard-model"] == "sim-claude"
        with pytest.raises(openai.BadRequestError) as pinned:
            await client.chat.completions.create(model="sim-pro", messages=ASK, response_format=FORMAT)
    assert pinned.value.param == "response_format" and "sim-pro cannot honour response_format" in pinned.value.message
    trace = await daemon.trace(raw.headers["x-switchboard-trace-id"])
    excluded = {c["model"]: c.get("excluded_reason") for c in trace.decision["candidates"]}
    assert "cannot honour response_format" in excluded["sim-pro"]


@pytest.mark.parametrize("daemon", [{"sim-nano": CANNOT, "sim-mini": CANNOT, "sim-pro": CANNOT,
                                     "sim-ultra": CANNOT, "sim-claude": CANNOT}], indirect=True)
async def test_structured_output_no_model_can_honour_is_a_400_naming_the_field(daemon: Served) -> None:
    async with _anthropic(daemon) as client:
        with pytest.raises(anthropic.BadRequestError) as refused:
            await client.messages.create(model="auto", max_tokens=64, messages=ASK,
                                         output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    assert refused.value.body["error"]["message"].startswith("response_format: no usable model can honour it")
    assert daemon.sim.requests == []
