"""The official Anthropic SDK pointed at Switchboard: plain, streamed, tool-use and count_tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from daemon.sim import answer_text
from tests.daemon.gateway.served import Served

PROMPT = "Which model should answer this?"
TOOL = {"name": "open_file", "description": "Open a file", "input_schema": {
    "type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}},
    "required": ["path", "line"]}}


@pytest.fixture
async def client(served: Served) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=served.url, api_key=served.key, max_retries=0) as sdk:
        yield sdk


async def test_anthropic_sdk_plain_call_forwarded_to_anthropic_model(client, served: Served):
    raw = await client.messages.with_raw_response.create(
        model="sim-claude", max_tokens=512, system="Be brief.", messages=[{"role": "user", "content": PROMPT}])
    message = await raw.parse()
    assert message.content[0].text == answer_text(PROMPT)
    assert message.model == "sim-claude" and message.stop_reason == "end_turn"
    [seen] = served.sim.requests_for("sim-claude")
    assert seen.body["system"] == "Be brief." and seen.path == "/v1/messages"
    assert raw.headers["x-switchboard-trace-id"]


async def test_anthropic_sdk_streams_from_an_openai_format_model(client, served: Served):
    async with client.messages.stream(model="sim-pro", max_tokens=512,
                                      messages=[{"role": "user", "content": PROMPT}]) as stream:
        text = "".join([part async for part in stream.text_stream])
        final = await stream.get_final_message()
    assert text == answer_text(PROMPT)
    assert final.usage.output_tokens > 0 and final.stop_reason == "end_turn"
    assert served.sim.requests_for("sim-pro")[0].path == "/v1/chat/completions"


async def test_anthropic_sdk_streams_from_an_anthropic_model(client):
    async with client.messages.stream(model="sim-claude", max_tokens=512,
                                      messages=[{"role": "user", "content": PROMPT}]) as stream:
        text = "".join([part async for part in stream.text_stream])
        final = await stream.get_final_message()
    assert text == answer_text(PROMPT) and final.model == "sim-claude"


async def test_anthropic_sdk_tool_use_and_tool_result_round_trip(client, served: Served):
    messages = [{"role": "user", "content": "open the file"}]
    first = await client.messages.create(model="sim-claude", max_tokens=256, tools=[TOOL], messages=messages)
    use = next(b for b in first.content if b.type == "tool_use")
    assert first.stop_reason == "tool_use" and use.input == {"path": "example", "line": 1}
    async with client.messages.stream(model="sim-mini", max_tokens=256, tools=[TOOL], messages=messages) as stream:
        streamed = await stream.get_final_message()
    streamed_use = next(b for b in streamed.content if b.type == "tool_use")
    assert streamed_use.name == "open_file" and streamed_use.input == {"path": "example", "line": 1}
    follow = messages + [
        {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "line 1: hello"}]},
    ]
    answer = await client.messages.create(model="sim-mini", max_tokens=256, tools=[TOOL], messages=follow)
    assert answer.content[0].type == "text"
    sent = served.sim.requests_for("sim-mini")[-1].body["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": use.id, "content": "line 1: hello"}


async def test_anthropic_sdk_count_tokens(client, served: Served):
    counted = await client.messages.count_tokens(model="sim-claude", messages=[{"role": "user", "content": PROMPT}])
    assert counted.input_tokens > 0
    assert served.sim.requests[-1].path == "/v1/messages/count_tokens"


async def test_anthropic_sdk_gets_typed_errors(client):
    with pytest.raises(anthropic.BadRequestError):
        await client.messages.create(model="no-such-model", max_tokens=10, messages=[{"role": "user", "content": "x"}])
