"""The OpenAI wire format on a raw HTTP client: chat, streams, tools, JSON, logprobs, completions."""

import json
import math

from daemon.sim import answer_text, count_tokens, fim_answer, split_tokens
from daemon.sim.sse import parse_sse


async def test_chat_answers_the_last_user_message_with_exact_usage(sim, client, chat_body):
    body = chat_body("first question")
    body["messages"] += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "Sort a list?"}]
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=body)
    assert resp.status_code == 200
    data = resp.json()
    answer = answer_text("Sort a list?")
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": answer, "refusal": None, "annotations": []}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["completion_tokens"] == count_tokens(answer)
    assert data["usage"]["prompt_tokens"] == count_tokens("first question ok Sort a list?")
    assert resp.headers["x-request-id"] == data["id"]


async def test_every_model_gives_the_same_answer_to_the_same_prompt(sim, client, chat_body):
    texts = set()
    for model in ("sim-nano", "sim-pro", "sim-ultra"):
        resp = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body("same", model=model))
        texts.add(resp.json()["choices"][0]["message"]["content"])
    assert texts == {answer_text("same")}


async def test_content_block_prompts_are_read_as_text(sim, client, chat_body):
    body = chat_body()
    body["messages"] = [{"role": "user", "content": [{"type": "text", "text": "block prompt"}]}]
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=body)
    assert resp.json()["choices"][0]["message"]["content"] == answer_text("block prompt")


async def test_stream_sends_the_answer_in_small_chunks_then_done(sim, client, chat_body):
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body("stream it", stream=True))
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(resp.text)
    assert events[-1].data == "[DONE]"
    chunks = [e.json() for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    deltas = [c["choices"][0]["delta"].get("content") or "" for c in chunks]
    assert "".join(deltas) == answer_text("stream it")
    assert max(count_tokens(d) for d in deltas) <= 3
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c for c in chunks)


async def test_stream_ends_with_a_usage_chunk_when_include_usage(sim, client, chat_body):
    body = chat_body("usage please", stream=True, stream_options={"include_usage": True})
    events = parse_sse((await client.post(f"{sim.openai_base}/chat/completions", json=body)).text)
    usage_chunk = events[-2].json()
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == count_tokens(answer_text("usage please"))
    assert all(e.json()["usage"] is None for e in events[:-2])


async def test_max_tokens_cuts_the_answer_with_finish_reason_length(sim, client, chat_body):
    for limit_field in ("max_tokens", "max_completion_tokens"):
        body = chat_body("long one", **{limit_field: 5})
        data = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
        assert data["choices"][0]["finish_reason"] == "length"
        assert data["choices"][0]["message"]["content"] == "".join(split_tokens(answer_text("long one"))[:5])
        assert data["usage"]["completion_tokens"] == 5


async def test_logprobs_follow_the_model_confidence(sim, client, chat_body):
    body = chat_body("how sure?", model="sim-ultra", logprobs=True, top_logprobs=2)
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
    entries = data["choices"][0]["logprobs"]["content"]
    assert len(entries) == data["usage"]["completion_tokens"]
    assert "".join(e["token"] for e in entries) == answer_text("how sure?")
    assert all(len(e["top_logprobs"]) == 2 for e in entries)
    mean_ultra = sum(math.exp(e["logprob"]) for e in entries) / len(entries)
    body["model"] = "sim-nano"
    nano = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
    nano_entries = nano["choices"][0]["logprobs"]["content"]
    mean_nano = sum(math.exp(e["logprob"]) for e in nano_entries) / len(nano_entries)
    assert abs(mean_ultra - sim.profiles["sim-ultra"].confidence) < 0.05
    assert abs(mean_nano - sim.profiles["sim-nano"].confidence) < 0.05


async def test_streamed_logprobs_cover_each_chunk(sim, client, chat_body):
    body = chat_body("stream sure?", stream=True, logprobs=True)
    events = parse_sse((await client.post(f"{sim.openai_base}/chat/completions", json=body)).text)
    content_chunks = [e.json()["choices"][0] for e in events[1:-2]]
    tokens = [t["token"] for c in content_chunks for t in c["logprobs"]["content"]]
    assert "".join(tokens) == answer_text("stream sure?")


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"enum": ["c", "f"]},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "unit"],
        },
    },
}


async def test_a_single_tool_gets_a_deterministic_call(sim, client, chat_body):
    body = chat_body("weather?", tools=[WEATHER_TOOL])
    first = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
    second = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "example", "days": 1, "unit": "c"}
    assert call["id"].startswith("call_") and call["id"] == second["choices"][0]["message"]["tool_calls"][0]["id"]


async def test_a_toolbox_is_used_only_when_the_prompt_names_a_tool_or_one_is_required(sim, client, chat_body):
    other = {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}
    toolbox = [other, WEATHER_TOOL]
    url = f"{sim.openai_base}/chat/completions"
    unnamed = (await client.post(url, json=chat_body("say hello", tools=toolbox))).json()["choices"][0]
    assert unnamed["finish_reason"] == "stop" and unnamed["message"]["content"] == answer_text("say hello")
    named = (await client.post(url, json=chat_body("call get_weather please", tools=toolbox))).json()
    assert named["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    required = (await client.post(url, json=chat_body("say hello", tools=toolbox, tool_choice="required"))).json()
    assert required["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "other"


async def test_a_prompt_can_script_the_arguments_and_agents_system_notes_do_not_hide_it(sim, client, chat_body):
    body = chat_body('Use get_weather {"city": "Oslo", "days": 3} and tell me', tools=[WEATHER_TOOL, {
        "type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}])
    body["messages"].append({"role": "system", "content": "Environment: get_weather is slow"})
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=body)).json()
    call = data["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Oslo", "days": 3}


async def test_no_tool_call_when_choice_is_none_or_after_a_tool_result(sim, client, chat_body):
    none = chat_body("weather?", tools=[WEATHER_TOOL], tool_choice="none")
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=none)).json()
    assert data["choices"][0]["message"]["content"] == answer_text("weather?")
    after = chat_body("weather?", tools=[WEATHER_TOOL])
    after["messages"] += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=after)).json()
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["choices"][0]["message"]["content"] == answer_text("weather?")


async def test_streamed_tool_call_arguments_join_to_json(sim, client, chat_body):
    body = chat_body("weather?", tools=[WEATHER_TOOL], stream=True)
    events = parse_sse((await client.post(f"{sim.openai_base}/chat/completions", json=body)).text)
    chunks = [e.json()["choices"][0] for e in events[:-1]]
    assert chunks[0]["delta"]["tool_calls"][0]["function"]["name"] == "get_weather"
    arguments = "".join(c["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks[:-1])
    assert json.loads(arguments)["city"] == "example"
    assert chunks[-1]["finish_reason"] == "tool_calls"


async def test_response_format_json_gives_a_valid_json_object(sim, client, chat_body):
    plain = chat_body("as json", response_format={"type": "json_object"})
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=plain)).json()
    assert json.loads(data["choices"][0]["message"]["content"]) == {"answer": answer_text("as json")}
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    shaped = chat_body(
        "as json", response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}}
    )
    data = (await client.post(f"{sim.openai_base}/chat/completions", json=shaped)).json()
    assert json.loads(data["choices"][0]["message"]["content"]) == {"name": "example", "age": 1}


async def test_assistant_prefill_of_the_answer_gets_only_the_rest(sim, client, chat_body):
    answer = answer_text("resume")
    body = chat_body("resume", stream=True)
    body["messages"].append({"role": "assistant", "content": answer[:20]})
    events = parse_sse((await client.post(f"{sim.openai_base}/chat/completions", json=body)).text)
    rest = "".join(e.json()["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert answer[:20] + rest == answer and rest != answer


async def test_legacy_completion_answers_the_prompt(sim, client):
    body = {"model": "sim-mini", "prompt": "Once upon a time"}
    data = (await client.post(f"{sim.openai_base}/completions", json=body)).json()
    assert data["object"] == "text_completion"
    assert data["choices"][0]["text"] == answer_text("Once upon a time")
    assert data["usage"]["prompt_tokens"] == 4


async def test_fill_in_the_middle_uses_prompt_and_suffix_streaming_and_not(sim, client):
    body = {"model": "sim-mini", "prompt": "def add(a, b):\n    ", "suffix": "\n\nprint(add(1, 2))"}
    data = (await client.post(f"{sim.openai_base}/completions", json=body)).json()
    expected = fim_answer(body["prompt"], body["suffix"])
    assert data["choices"][0]["text"] == expected
    stream = (await client.post(f"{sim.openai_base}/completions", json={**body, "stream": True})).text
    events = parse_sse(stream)
    assert events[-1].data == "[DONE]"
    assert "".join(e.json()["choices"][0]["text"] for e in events[:-1]) == expected
    assert events[-2].json()["choices"][0]["finish_reason"] == "stop"


async def test_legacy_completion_logprobs_and_max_tokens(sim, client):
    body = {"model": "sim-mini", "prompt": "Count", "logprobs": 1, "max_tokens": 4}
    choice = (await client.post(f"{sim.openai_base}/completions", json=body)).json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert "".join(choice["logprobs"]["tokens"]) == choice["text"]
    assert len(choice["logprobs"]["token_logprobs"]) == 4


async def test_unknown_model_is_a_404_in_openai_shape(sim, client, chat_body):
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body(model="gpt-nope"))
    assert resp.status_code == 404
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "model_not_found" and "gpt-nope" in error["message"]


async def test_prompt_over_the_context_window_is_the_real_400(sim, client, chat_body):
    resp = await client.post(
        f"{sim.openai_base}/chat/completions", json=chat_body("word " * 30, model="sim-tiny-context")
    )
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["type"] == "invalid_request_error"
    assert "maximum context length is 20 tokens" in error["message"]


async def test_bad_json_and_missing_messages_are_400s(sim, client):
    bad = await client.post(f"{sim.openai_base}/chat/completions", content=b"{nope")
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    missing = await client.post(f"{sim.openai_base}/chat/completions", json={"model": "sim-nano"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "messages"


async def test_models_lists_every_profile_in_both_shapes(sim, client):
    openai = (await client.get(f"{sim.openai_base}/models")).json()
    assert openai["object"] == "list"
    assert {m["id"] for m in openai["data"]} == set(sim.profiles)
    anthropic = (await client.get(f"{sim.url}/v1/models", headers={"anthropic-version": "2023-06-01"})).json()
    assert {m["id"] for m in anthropic["data"]} == set(sim.profiles)
    assert anthropic["has_more"] is False
