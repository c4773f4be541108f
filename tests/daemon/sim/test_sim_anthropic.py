"""The Anthropic Messages wire format on a raw HTTP client."""

import json

from daemon.sim import SimServer, answer_text, count_tokens, split_tokens
from daemon.sim.sse import parse_sse

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


async def test_message_answers_with_text_and_usage(sim, client, messages_body):
    body = messages_body("Explain tests", system="You are terse.")
    resp = await client.post(f"{sim.url}/v1/messages", json=body, headers=HEADERS)
    assert resp.status_code == 200
    data = resp.json()
    assert data["type"] == "message" and data["role"] == "assistant" and data["model"] == "sim-claude"
    assert data["content"] == [{"type": "text", "text": answer_text("Explain tests")}]
    assert data["stop_reason"] == "end_turn"
    assert data["usage"] == {
        "input_tokens": count_tokens("Explain tests You are terse."),
        "output_tokens": count_tokens(answer_text("Explain tests")),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    assert resp.headers["request-id"] == data["id"]


async def test_both_formats_give_the_same_answer(sim, client, messages_body, chat_body):
    anthropic = (await client.post(f"{sim.url}/v1/messages", json=messages_body("same?"))).json()
    openai = (await client.post(f"{sim.openai_base}/chat/completions", json=chat_body("same?"))).json()
    assert anthropic["content"][0]["text"] == openai["choices"][0]["message"]["content"]


async def test_stream_follows_the_real_event_sequence(sim, client, messages_body):
    resp = await client.post(f"{sim.url}/v1/messages", json=messages_body("stream", stream=True), headers=HEADERS)
    events = parse_sse(resp.text)
    names = [e.event for e in events]
    deltas = names.count("content_block_delta")
    assert deltas > 1
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(e.json()["type"] == e.event for e in events)
    start = events[0].json()["message"]
    assert start["usage"]["cache_read_input_tokens"] == 0 and start["usage"]["input_tokens"] == 1
    text = "".join(e.json()["delta"]["text"] for e in events if e.event == "content_block_delta")
    assert text == answer_text("stream")
    final = events[-2].json()
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == count_tokens(text)


async def test_max_tokens_is_required_and_respected(sim, client, messages_body):
    body = messages_body("limit")
    del body["max_tokens"]
    missing = await client.post(f"{sim.url}/v1/messages", json=body)
    assert missing.status_code == 400
    assert missing.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }
    short = (await client.post(f"{sim.url}/v1/messages", json=messages_body("limit", max_tokens=3))).json()
    assert short["stop_reason"] == "max_tokens"
    assert short["content"][0]["text"] == "".join(split_tokens(answer_text("limit"))[:3])


SEARCH_TOOL = {
    "name": "search",
    "description": "Search the docs.",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query"],
    },
}


async def test_tools_get_a_tool_use_block(sim, client, messages_body):
    data = (await client.post(f"{sim.url}/v1/messages", json=messages_body("find it", tools=[SEARCH_TOOL]))).json()
    assert data["stop_reason"] == "tool_use"
    block = data["content"][0]
    assert block["type"] == "tool_use" and block["name"] == "search" and block["id"].startswith("toolu_")
    assert block["input"] == {"query": "example"}


async def test_streamed_tool_use_sends_input_json_deltas(sim, client, messages_body):
    body = messages_body("find it", tools=[SEARCH_TOOL], stream=True)
    events = parse_sse((await client.post(f"{sim.url}/v1/messages", json=body)).text)
    assert events[1].json()["content_block"]["type"] == "tool_use"
    partial = "".join(e.json()["delta"]["partial_json"] for e in events if e.event == "content_block_delta")
    assert json.loads(partial) == {"query": "example"}
    assert events[-2].json()["delta"]["stop_reason"] == "tool_use"


async def test_after_a_tool_result_the_model_answers_in_text(sim, client, messages_body):
    body = messages_body("find it", tools=[SEARCH_TOOL])
    body["messages"] += [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "search", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "found"}]},
    ]
    data = (await client.post(f"{sim.url}/v1/messages", json=body)).json()
    assert data["stop_reason"] == "end_turn"
    assert data["content"][0]["text"] == answer_text("find it")
    none = messages_body("find it", tools=[SEARCH_TOOL], tool_choice={"type": "none"})
    assert (await client.post(f"{sim.url}/v1/messages", json=none)).json()["stop_reason"] == "end_turn"


async def test_prefill_continues_the_answer(sim, client, messages_body):
    answer = answer_text("continue")
    head = answer[: answer.index(" ", 20)]  # a word boundary: the prefill must not end with whitespace
    body = messages_body("continue")
    body["messages"].append({"role": "assistant", "content": [{"type": "text", "text": head}]})
    data = (await client.post(f"{sim.url}/v1/messages", json=body)).json()
    assert head + data["content"][0]["text"] == answer
    assert data["usage"]["output_tokens"] == count_tokens(answer[len(head) :])


async def test_prefill_ending_in_whitespace_is_refused_like_the_real_api(sim, client, messages_body):
    answer = answer_text("continue")
    body = messages_body("continue")
    body["messages"].append({"role": "assistant", "content": answer[: answer.index(" ", 20) + 1]})
    resp = await client.post(f"{sim.url}/v1/messages", json=body)
    assert resp.status_code == 400
    assert "trailing whitespace" in resp.json()["error"]["message"]


async def test_count_tokens_matches_the_usage_of_a_real_call(sim, client, messages_body):
    body = messages_body("count me in", system="sys prompt", tools=[SEARCH_TOOL])
    counted = await client.post(
        f"{sim.url}/v1/messages/count_tokens", json={k: body[k] for k in ("model", "messages", "system", "tools")}
    )
    assert counted.status_code == 200
    used = (await client.post(f"{sim.url}/v1/messages", json=body)).json()["usage"]["input_tokens"]
    assert counted.json() == {"input_tokens": used}


async def test_unknown_model_and_long_prompt_errors_use_the_anthropic_shape(sim, client, messages_body):
    unknown = await client.post(f"{sim.url}/v1/messages", json=messages_body(model="claude-nope"))
    assert unknown.status_code == 404
    assert unknown.json() == {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}}
    long = await client.post(f"{sim.url}/v1/messages", json=messages_body("word " * 30, model="sim-tiny-context"))
    assert long.status_code == 400
    error = long.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == "prompt is too long: 30 tokens > 20 maximum"


async def test_require_auth_refuses_requests_without_a_key(client, messages_body):
    async with SimServer(require_auth=True) as sim:
        refused = await client.post(f"{sim.url}/v1/messages", json=messages_body())
        assert refused.status_code == 401
        assert refused.json()["error"]["type"] == "authentication_error"
        allowed = await client.post(f"{sim.url}/v1/messages", json=messages_body(), headers=HEADERS)
        assert allowed.status_code == 200
