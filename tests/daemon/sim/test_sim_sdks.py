"""The official OpenAI and Anthropic SDKs against the sim: plain, streamed and tool-calling requests."""

import json

import anthropic
import openai
import pytest

from daemon.sim import Fault, answer_text, fim_answer

PROMPT = "Which model should answer this?"
TOOL_SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string"}, "line": {"type": "integer"}},
    "required": ["path", "line"],
}


@pytest.fixture
async def openai_client(sim):
    async with openai.AsyncOpenAI(base_url=sim.openai_base, api_key="sk-test", max_retries=0) as client:
        yield client


@pytest.fixture
async def anthropic_client(sim):
    async with anthropic.AsyncAnthropic(base_url=sim.url, api_key="sk-ant-test", max_retries=0) as client:
        yield client


async def test_openai_sdk_plain_and_streamed(openai_client):
    messages = [{"role": "user", "content": PROMPT}]
    plain = await openai_client.chat.completions.create(model="sim-pro", messages=messages)
    assert plain.choices[0].message.content == answer_text(PROMPT)
    assert plain.usage.completion_tokens > 0
    stream = await openai_client.chat.completions.create(
        model="sim-pro", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    parts, usage = [], None
    async for chunk in stream:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
        usage = chunk.usage or usage
    assert "".join(parts) == answer_text(PROMPT)
    assert usage.completion_tokens == plain.usage.completion_tokens


async def test_openai_sdk_tool_call_and_fim(openai_client):
    tools = [{"type": "function", "function": {"name": "open_file", "parameters": TOOL_SCHEMA}}]
    result = await openai_client.chat.completions.create(
        model="sim-mini", messages=[{"role": "user", "content": "open it"}], tools=tools
    )
    call = result.choices[0].message.tool_calls[0]
    assert call.function.name == "open_file"
    assert json.loads(call.function.arguments) == {"path": "example", "line": 1}
    fim = await openai_client.completions.create(model="sim-mini", prompt="def f():\n    ", suffix="\n")
    assert fim.choices[0].text == fim_answer("def f():\n    ", "\n")


async def test_openai_sdk_raises_typed_errors_for_faults(sim, openai_client):
    sim.script("sim-nano", Fault(kind="rate_limit", retry_after=1), Fault(kind="context_length"))
    messages = [{"role": "user", "content": PROMPT}]
    with pytest.raises(openai.RateLimitError):
        await openai_client.chat.completions.create(model="sim-nano", messages=messages)
    with pytest.raises(openai.BadRequestError) as bad:
        await openai_client.chat.completions.create(model="sim-nano", messages=messages)
    assert bad.value.code == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError):
        await openai_client.chat.completions.create(model="nope", messages=messages)


async def test_anthropic_sdk_plain_and_streamed(anthropic_client):
    messages = [{"role": "user", "content": PROMPT}]
    plain = await anthropic_client.messages.create(
        model="sim-claude", max_tokens=512, messages=messages, system="Be brief."
    )
    assert plain.content[0].text == answer_text(PROMPT)
    assert plain.stop_reason == "end_turn" and plain.usage.cache_read_input_tokens == 0
    async with anthropic_client.messages.stream(model="sim-claude", max_tokens=512, messages=messages) as stream:
        text = "".join([part async for part in stream.text_stream])
        final = await stream.get_final_message()
    assert text == answer_text(PROMPT)
    assert final.usage.output_tokens == plain.usage.output_tokens


async def test_anthropic_sdk_tool_use_and_count_tokens(anthropic_client):
    tools = [{"name": "open_file", "description": "Open a file.", "input_schema": TOOL_SCHEMA}]
    messages = [{"role": "user", "content": "open it"}]
    result = await anthropic_client.messages.create(model="sim-claude", max_tokens=256, messages=messages, tools=tools)
    block = result.content[0]
    assert block.type == "tool_use" and block.name == "open_file" and block.input == {"path": "example", "line": 1}
    counted = await anthropic_client.messages.count_tokens(model="sim-claude", messages=messages, tools=tools)
    assert counted.input_tokens == result.usage.input_tokens


async def test_anthropic_sdk_raises_typed_errors_for_faults(sim, anthropic_client):
    sim.script("sim-claude", Fault(kind="unavailable", status=529), Fault(kind="server_error"))
    messages = [{"role": "user", "content": PROMPT}]
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        await anthropic_client.messages.create(model="sim-claude", max_tokens=64, messages=messages)
    assert overloaded.value.status_code == 529
    with pytest.raises(anthropic.InternalServerError):
        await anthropic_client.messages.create(model="sim-claude", max_tokens=64, messages=messages)
