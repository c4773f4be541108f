"""Every scripted fault, seen on the wire by a raw HTTP client, and the script's times/order rules."""

import asyncio
import time

import httpx
import pytest
from pydantic import ValidationError

from daemon.sim import Fault, SimServer, answer_text, split_tokens
from daemon.sim.sse import parse_sse

ANSWER = answer_text("What is a router?")


async def _stream_text(client: httpx.AsyncClient, url: str, body: dict, **kwargs) -> str:
    """The body of a streamed response, as received (raises whatever the transport raises)."""
    parts: list[str] = []
    async with client.stream("POST", url, json=body, **kwargs) as resp:
        async for text in resp.aiter_text():
            parts.append(text)
    return "".join(parts)


def _deltas(events) -> str:
    return "".join(
        e.json()["choices"][0]["delta"].get("content") or ""
        for e in events
        if e.data != "[DONE]" and e.json().get("choices")
    )


ERROR_CASES = [
    (Fault(kind="rate_limit"), 429, "rate_limit_exceeded", "rate_limit_error"),
    (Fault(kind="server_error"), 500, None, "api_error"),
    (Fault(kind="unavailable"), 503, None, "overloaded_error"),
    (Fault(kind="unavailable", status=529), 529, None, "overloaded_error"),
    (Fault(kind="context_length"), 400, "context_length_exceeded", "invalid_request_error"),
    (Fault(kind="content_filter"), 400, "content_filter", "invalid_request_error"),
]


@pytest.mark.parametrize(("fault", "status", "openai_code", "anthropic_type"), ERROR_CASES)
async def test_error_faults_use_each_format_real_shape(
    sim, client, chat_body, messages_body, fault, status, openai_code, anthropic_type
):
    sim.script("sim-nano", fault)
    sim.script("sim-claude", fault)
    openai = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    anthropic = await client.post(f"{sim.url}/v1/messages", json=messages_body())
    assert openai.status_code == anthropic.status_code == status
    error = openai.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == openai_code
    assert anthropic.json()["type"] == "error"
    assert anthropic.json()["error"]["type"] == anthropic_type
    assert [r.fault for r in sim.requests] == [fault.kind, fault.kind]


async def test_context_length_and_content_filter_messages_match_the_providers(sim, client, chat_body, messages_body):
    sim.script("sim-nano", Fault(kind="context_length"), Fault(kind="content_filter"))
    sim.script("sim-claude", Fault(kind="context_length"), Fault(kind="content_filter"))
    url = f"{sim.openai_base}/chat/completions"
    assert (
        "maximum context length is 16000 tokens"
        in (await client.post(url, json=chat_body())).json()["error"]["message"]
    )
    assert "content management policy" in (await client.post(url, json=chat_body())).json()["error"]["message"]
    messages_url = f"{sim.url}/v1/messages"
    too_long = (await client.post(messages_url, json=messages_body())).json()["error"]["message"]
    assert too_long.startswith("prompt is too long: 200001 tokens > 200000 maximum")
    filtered = (await client.post(messages_url, json=messages_body())).json()["error"]["message"]
    assert filtered == "Output blocked by content filtering policy"


async def test_rate_limit_sends_retry_after_only_when_scripted(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="rate_limit", retry_after=2), Fault(kind="rate_limit"))
    url = f"{sim.openai_base}/chat/completions"
    with_header = await client.post(url, json=chat_body())
    assert with_header.status_code == 429
    assert with_header.headers["retry-after"] == "2" and with_header.headers["retry-after-ms"] == "2000"
    without = await client.post(url, json=chat_body())
    assert without.status_code == 429 and "retry-after" not in without.headers


async def test_times_and_order_then_normal_behaviour(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="rate_limit", times=2), Fault(kind="server_error"))
    url = f"{sim.openai_base}/chat/completions"
    statuses = [(await client.post(url, json=chat_body())).status_code for _ in range(4)]
    assert statuses == [429, 429, 500, 200]
    other = await client.post(url, json=chat_body(model="sim-mini"))
    assert other.status_code == 200
    assert [r.fault for r in sim.requests_for("sim-nano")] == ["rate_limit", "rate_limit", "server_error", None]


async def test_persistent_fault_lasts_until_cleared(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="unavailable", times=None))
    url = f"{sim.openai_base}/chat/completions"
    assert [(await client.post(url, json=chat_body())).status_code for _ in range(3)] == [503] * 3
    sim.faults.clear("sim-nano")
    assert (await client.post(url, json=chat_body())).status_code == 200


async def test_models_and_count_tokens_do_not_consume_faults(sim, client, chat_body):
    sim.script("sim-claude", Fault(kind="server_error"))
    await client.get(f"{sim.openai_base}/models")
    counted = await client.post(
        f"{sim.url}/v1/messages/count_tokens",
        json={"model": "sim-claude", "messages": [{"role": "user", "content": "x"}]},
    )
    assert counted.status_code == 200
    assert (
        await client.post(f"{sim.openai_base}/chat/completions", json=chat_body(model="sim-claude"))
    ).status_code == 500


async def test_reset_drops_the_connection_before_any_byte(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="reset"))
    with pytest.raises(httpx.ReadError):
        await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    record = sim.requests[-1]
    assert record.fault == "reset" and record.status is None and record.bytes_sent == 0
    assert (await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())).status_code == 200


async def test_hang_keeps_the_request_open_until_the_client_gives_up(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="hang"))
    call = asyncio.create_task(
        client.post(f"{sim.openai_base}/chat/completions", json=chat_body(), timeout=httpx.Timeout(5.0, read=0.3))
    )
    record = await sim.wait_for_request(lambda r: r.fault == "hang")
    assert record.open and record.status is None
    with pytest.raises(httpx.ReadTimeout):
        await call
    gone = await sim.wait_disconnected("sim-nano")
    assert gone.id == record.id and not gone.completed and gone.bytes_sent == 0


async def test_slow_first_token_delays_the_first_byte(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="slow_first_token", delay_ms=200))
    started = time.monotonic()
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    assert time.monotonic() - started >= 0.2
    assert resp.json()["choices"][0]["message"]["content"] == ANSWER


async def test_slow_changes_latency_and_pacing_while_scripted(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="slow", latency_ms=150, times=2), Fault(kind="slow", tokens_per_second=100))
    url = f"{sim.openai_base}/chat/completions"
    for _ in range(2):
        started = time.monotonic()
        await client.post(url, json=chat_body())
        assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    text = _deltas(parse_sse(await _stream_text(client, url, chat_body(stream=True))))
    chunks = -(-len(split_tokens(ANSWER)) // 3)
    assert time.monotonic() - started >= (chunks - 1) * 3 / 100
    assert text == ANSWER


async def test_cut_stream_ends_abruptly_with_a_truncated_answer(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="cut", after_chunks=2))
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", f"{sim.openai_base}/chat/completions", json=chat_body(stream=True)) as resp:
            async for text in resp.aiter_text():
                received.append(text)
    events = parse_sse("".join(received))
    assert all(e.data != "[DONE]" for e in events)
    partial = _deltas(events)
    assert partial and ANSWER.startswith(partial) and partial != ANSWER
    assert partial == "".join(split_tokens(ANSWER)[:6])
    record = sim.requests[-1]
    assert record.fault == "cut" and record.chunks_sent == 2 and not record.completed


async def test_cut_anthropic_stream_never_sends_message_stop(sim, client, messages_body):
    sim.script("sim-claude", Fault(kind="cut", after_chunks=1))
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", f"{sim.url}/v1/messages", json=messages_body(stream=True)) as resp:
            async for text in resp.aiter_text():
                received.append(text)
    names = [e.event for e in parse_sse("".join(received))]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta"]


async def test_cut_non_streaming_closes_mid_body(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="cut"))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    record = sim.requests[-1]
    assert record.status == 200 and 0 < record.bytes_sent and not record.completed


async def test_stall_stops_sending_but_keeps_the_connection_open(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="stall", after_chunks=2))
    received: list[str] = []
    with pytest.raises(httpx.ReadTimeout):
        async with client.stream(
            "POST",
            f"{sim.openai_base}/chat/completions",
            json=chat_body(stream=True),
            timeout=httpx.Timeout(5.0, read=0.3),
        ) as resp:
            async for text in resp.aiter_text():
                received.append(text)
    assert _deltas(parse_sse("".join(received))) == "".join(split_tokens(ANSWER)[:6])
    record = await sim.wait_disconnected("sim-nano")
    assert record.fault == "stall" and record.chunks_sent == 2 and not record.completed


async def test_stall_is_visible_as_an_open_request(sim, client, messages_body):
    sim.script("sim-claude", Fault(kind="stall", after_chunks=1))
    async with client.stream("POST", f"{sim.url}/v1/messages", json=messages_body(stream=True)) as resp:
        lines = resp.aiter_lines()
        while "content_block_delta" not in await anext(lines):
            pass
        record = await sim.wait_for_request(lambda r: r.chunks_sent == 1)
        assert record.open
    assert (await sim.wait_disconnected("sim-claude")).id == record.id


async def test_malformed_chunk_is_one_garbage_line_in_a_complete_stream(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="malformed_chunk", after_chunks=2))
    events = parse_sse(await _stream_text(client, f"{sim.openai_base}/chat/completions", chat_body(stream=True)))
    assert events[-1].data == "[DONE]"
    garbage = []
    for index, event in enumerate(events[:-1]):
        try:
            event.json()
        except ValueError:
            garbage.append(index)
    assert garbage == [3]  # role chunk, two content chunks, then the garbage
    valid = [e for i, e in enumerate(events) if i not in garbage]
    assert _deltas(valid) == ANSWER


async def test_malformed_non_streaming_body_is_not_json(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="malformed_chunk"))
    resp = await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


async def test_no_done_completes_the_stream_without_its_terminator(sim, client, chat_body, messages_body):
    sim.script("sim-nano", Fault(kind="no_done"))
    sim.script("sim-claude", Fault(kind="no_done"))
    openai = parse_sse(await _stream_text(client, f"{sim.openai_base}/chat/completions", chat_body(stream=True)))
    assert all(e.data != "[DONE]" for e in openai)
    assert openai[-1].json()["choices"][0]["finish_reason"] == "stop"
    assert _deltas(openai) == ANSWER
    anthropic = parse_sse(await _stream_text(client, f"{sim.url}/v1/messages", messages_body(stream=True)))
    assert anthropic[-1].event == "message_delta"
    assert "message_stop" not in [e.event for e in anthropic]
    assert all(r.completed for r in sim.requests)


async def test_reply_fault_sends_fixed_text_then_the_normal_answer(sim, client, chat_body, messages_body):
    sim.script("sim-nano", Fault(kind="reply", text="def broken(:\n", times=2))
    sim.script("sim-claude", Fault(kind="reply", text=""))
    url = f"{sim.openai_base}/chat/completions"
    first = (await client.post(url, json=chat_body())).json()["choices"][0]["message"]["content"]
    streamed = _deltas(parse_sse(await _stream_text(client, url, chat_body(stream=True))))
    third = (await client.post(url, json=chat_body())).json()["choices"][0]["message"]["content"]
    assert (first, streamed, third) == ("def broken(:\n", "def broken(:\n", ANSWER)
    empty = (await client.post(f"{sim.url}/v1/messages", json=messages_body())).json()
    assert empty["content"] == [] and empty["usage"]["output_tokens"] == 0


def test_fault_parameters_are_validated():
    with pytest.raises(ValidationError):
        Fault(kind="reply")
    with pytest.raises(ValidationError):
        Fault(kind="slow")
    with pytest.raises(ValidationError):
        Fault(kind="slow_first_token")
    with pytest.raises(ValidationError):
        Fault(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Fault(kind="rate_limit", times=0)


def test_script_refuses_unknown_models(sim):
    with pytest.raises(KeyError, match="sim-typo"):
        sim.script("sim-typo", Fault(kind="reset"))


async def test_stopping_the_sim_releases_held_requests(client, chat_body):
    sim = SimServer()
    await sim.start()
    sim.script("sim-nano", Fault(kind="hang", times=None))
    call = asyncio.create_task(client.post(f"{sim.openai_base}/chat/completions", json=chat_body()))
    record = await sim.wait_for_request(lambda r: r.fault == "hang")
    async with asyncio.timeout(3):
        await sim.stop()
    with pytest.raises(httpx.TransportError):
        await call
    assert not record.open and not record.client_disconnected and not record.completed


async def test_stream_faults_past_the_last_chunk_still_apply(sim, client, chat_body):
    sim.script("sim-nano", Fault(kind="cut", after_chunks=1000), Fault(kind="malformed_chunk", after_chunks=1000))
    url = f"{sim.openai_base}/chat/completions"
    with pytest.raises(httpx.RemoteProtocolError):
        await _stream_text(client, url, chat_body(stream=True))
    events = parse_sse(await _stream_text(client, url, chat_body(stream=True)))
    assert sum(1 for e in events if e.data.startswith("{") and not e.data.endswith("}")) == 1
    assert events[-1].data == "[DONE]"
