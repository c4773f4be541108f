"""The official OpenAI SDK's Responses API pointed at Switchboard: plain and streamed, function tools
round trips, free-form tools and structured output, on OpenAI- and Anthropic-format models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
import pytest

from daemon.sim import answer_text
from tests.daemon.gateway.served import Served

PROMPT = "Which model should answer this?"
TOOL = {"type": "function", "name": "open_file", "description": "Open a file", "strict": False, "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}},
    "required": ["path", "line"]}}


@pytest.fixture
async def client(served: Served) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=served.url + "/v1", api_key=served.key, max_retries=0) as sdk:
        yield sdk


async def test_responses_create_is_routed_answered_and_traced(client, served: Served) -> None:
    raw = await client.responses.with_raw_response.create(
        model="auto", instructions="Be brief.", input=PROMPT, max_output_tokens=300, temperature=0.2)
    response = raw.parse()
    assert response.status == "completed" and response.output_text == answer_text(PROMPT)
    assert response.model in served.services.settings.models
    assert response.usage is not None and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    trace = await served.trace(raw.headers["x-switchboard-trace-id"])
    assert (trace.surface, trace.requested_model, trace.answered_model) == ("api", "auto", response.model)
    assert trace.cost_micros > 0 and trace.outcome == "ok"  # billed through the budget like a chat completion
    [seen] = served.sim.requests_for(response.model)
    assert seen.body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert seen.body["max_tokens"] == 300 and seen.body["temperature"] == 0.2


@pytest.mark.parametrize("model", ["sim-mini", "sim-claude"])
async def test_responses_stream_sends_the_semantic_events_in_order(client, served: Served, model: str) -> None:
    stream = await client.responses.create(model=model, input=[{"role": "user", "content": PROMPT}], stream=True)
    events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == answer_text(PROMPT)
    final = events[-1].response
    assert final.status == "completed" and final.output_text == text and final.model == model
    assert final.usage is not None and final.usage.output_tokens > 0
    path = served.sim.requests_for(model)[0].path
    assert path == ("/v1/messages" if model == "sim-claude" else "/v1/chat/completions")


async def test_the_sdks_strict_stream_helper_accepts_the_stream(client) -> None:
    async with client.responses.stream(model="sim-pro", input=PROMPT) as stream:
        deltas = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(deltas) == final.output_text == answer_text(PROMPT)


@pytest.mark.parametrize("model", ["sim-mini", "sim-claude"])
async def test_a_function_tool_round_trip_without_stored_state(client, served: Served, model: str) -> None:
    asked = [{"role": "user", "content": "open the file"}]
    first = await client.responses.create(model=model, input=asked, tools=[TOOL], store=False)
    [call] = first.output
    assert call.type == "function_call" and call.name == "open_file"
    assert json.loads(call.arguments) == {"path": "example", "line": 1} and call.call_id
    follow = [*asked, call.model_dump(exclude_none=True),
              {"type": "function_call_output", "call_id": call.call_id, "output": "line 1: hello"}]
    second = await client.responses.create(model=model, input=follow, tools=[TOOL], store=False)
    assert second.output_text == answer_text("open the file") and second.status == "completed"
    sent = served.sim.requests_for(model)[-1].body["messages"]
    if model == "sim-claude":
        assert sent[-1]["content"][0] == {"type": "tool_result", "tool_use_id": call.call_id,
                                          "content": "line 1: hello"}
        assert sent[-2]["content"][0]["type"] == "tool_use"
    else:
        assert sent[-1] == {"role": "tool", "tool_call_id": call.call_id, "content": "line 1: hello"}
        assert sent[-2]["tool_calls"][0]["function"]["name"] == "open_file"


async def test_a_streamed_tool_call_arrives_as_argument_deltas(client) -> None:
    async with client.responses.stream(model="sim-claude", input="open the file", tools=[TOOL]) as stream:
        kinds, arguments = [], ""
        async for event in stream:
            kinds.append(event.type)
            if event.type == "response.function_call_arguments.delta":
                arguments += event.delta
        final = await stream.get_final_response()
    assert "response.function_call_arguments.done" in kinds and kinds[-1] == "response.completed"
    [call] = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == json.loads(arguments)


async def test_a_free_form_tool_and_its_namespace_come_back_as_the_client_declared_them(client, served: Served) -> None:
    tools = [{"type": "namespace", "name": "functions", "description": "", "tools": [
        {"type": "custom", "name": "exec", "description": "Run code", "format": {"type": "text"}}]}]
    response = await client.responses.create(model="sim-mini", input="run it", tools=tools)  # type: ignore[arg-type]
    [call] = response.output
    assert (call.type, call.name, call.input, call.namespace) == ("custom_tool_call", "exec", "example", "functions")
    sent = served.sim.requests_for("sim-mini")[0].body
    assert sent["tools"][0]["function"]["parameters"]["properties"]["input"]["type"] == "string"


async def test_structured_output_is_asked_of_the_model(client, served: Served) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    response = await client.responses.create(
        model="sim-mini", input="Where?", text={"format": {"type": "json_schema", "name": "place", "schema": schema}})
    assert set(json.loads(response.output_text)) == {"city"}
    sent = served.sim.requests_for("sim-mini")[0].body
    assert sent["response_format"] == {"type": "json_schema", "json_schema": {"name": "place", "schema": schema}}


async def test_state_switchboard_does_not_keep_is_refused_with_what_to_do(client) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        await client.responses.create(model="auto", input="and then?", previous_response_id="resp_123")
    assert "send the whole conversation in 'input'" in refused.value.message
    with pytest.raises(openai.BadRequestError, match="built-in tools run on OpenAI's servers"):
        await client.responses.create(model="auto", input="news?", tools=[{"type": "web_search"}],
                                      tool_choice={"type": "web_search"})
    with pytest.raises(openai.BadRequestError, match="unknown model 'mystery-7b'"):
        await client.responses.create(model="mystery-7b", input="hi")


async def test_a_built_in_tool_merely_offered_is_left_out_and_named(client, served: Served) -> None:
    raw = await client.responses.with_raw_response.create(
        model="sim-mini", input="open the file", tools=[TOOL, {"type": "web_search", "external_web_access": False}])
    [call] = raw.parse().output
    assert call.type == "function_call" and call.name == "open_file"
    assert raw.headers["x-switchboard-dropped-tools"] == "web_search"
    assert [t["function"]["name"] for t in served.sim.requests_for("sim-mini")[0].body["tools"]] == ["open_file"]
