"""The official OpenAI SDK pointed at Switchboard: plain, streamed, tool-calling and FIM requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
import pytest

from daemon.sim import answer_text, fim_answer
from tests.daemon.gateway.served import Served

PROMPT = "Which model should answer this?"
TOOL = {"type": "function", "function": {"name": "open_file", "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}},
    "required": ["path", "line"]}}}


@pytest.fixture
async def client(served: Served) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=served.key, max_retries=0) as sdk:
        yield sdk


async def test_openai_sdk_plain_call_names_the_model_that_answered(client, served: Served):
    raw = await client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": PROMPT}])
    result = raw.parse()
    assert result.choices[0].message.content == answer_text(PROMPT)
    assert result.model in served.services.settings.models
    assert result.usage.completion_tokens > 0
    trace_id = raw.headers["x-switchboard-trace-id"]
    trace = await served.trace(trace_id)
    assert trace.answered_model == result.model and trace.surface == "api"


async def test_openai_sdk_streams_with_usage(client):
    stream = await client.chat.completions.create(
        model="sim-pro", messages=[{"role": "user", "content": PROMPT}], stream=True,
        stream_options={"include_usage": True})
    parts, usage, models = [], None, set()
    async for chunk in stream:
        models.add(chunk.model)
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
        usage = chunk.usage or usage
    assert "".join(parts) == answer_text(PROMPT)
    assert usage is not None and usage.completion_tokens > 0
    assert models == {"sim-pro"}


async def test_openai_sdk_tool_call_plain_and_streamed(client):
    messages = [{"role": "user", "content": "open the file"}]
    result = await client.chat.completions.create(model="sim-mini", messages=messages, tools=[TOOL])
    call = result.choices[0].message.tool_calls[0]
    assert result.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "open_file" and json.loads(call.function.arguments) == {"path": "example", "line": 1}
    stream = await client.chat.completions.create(model="sim-mini", messages=messages, tools=[TOOL], stream=True)
    name, arguments, finish = None, "", None
    async for chunk in stream:
        for delta_call in chunk.choices[0].delta.tool_calls or () if chunk.choices else ():
            name = delta_call.function.name or name
            arguments += delta_call.function.arguments or ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert name == "open_file" and json.loads(arguments) == {"path": "example", "line": 1}
    assert finish == "tool_calls"


async def test_openai_sdk_tool_call_translated_to_an_anthropic_model(client, served: Served):
    result = await client.chat.completions.create(
        model="sim-claude", messages=[{"role": "user", "content": "open the file"}], tools=[TOOL])
    call = result.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {"path": "example", "line": 1}
    [seen] = served.sim.requests_for("sim-claude")
    assert seen.path == "/v1/messages" and seen.body["tools"][0]["input_schema"]["required"] == ["path", "line"]


async def test_openai_sdk_fim_completion_forwards_suffix(client, served: Served):
    result = await client.completions.create(model="sim-mini", prompt="def f():\n    ", suffix="\n")
    assert result.choices[0].text == fim_answer("def f():\n    ", "\n")
    assert served.sim.requests_for("sim-mini")[0].body["suffix"] == "\n"


async def test_openai_sdk_unknown_fields_are_forwarded_to_an_openai_provider(client, served: Served):
    await client.chat.completions.create(model="sim-nano", messages=[{"role": "user", "content": PROMPT}],
                                         extra_body={"vendor_knob": {"x": 1}}, temperature=0.2)
    [seen] = served.sim.requests_for("sim-nano")
    assert seen.body["vendor_knob"] == {"x": 1} and seen.body["temperature"] == 0.2


async def test_openai_sdk_lists_routing_names_and_models(client):
    names = [m.id async for m in client.models.list()]
    assert names[0] == "auto" and "auto:cheapest" in names and "sim-claude" in names


async def test_openai_sdk_gets_typed_errors_with_trace_id(client):
    with pytest.raises(openai.BadRequestError) as bad:
        await client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert bad.value.response.headers["x-switchboard-trace-id"]
