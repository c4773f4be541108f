"""The request log: what the provider saw, what it sent, and when the client went away."""

import asyncio

import pytest

from daemon.sim import ModelProfile, count_tokens, key_fingerprint

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_log_records_trace_auth_presence_and_body_without_the_key(sim, client, chat_body):
    secret = "sk-provider-secret-123"
    body = chat_body("hello log")
    resp = await client.post(
        f"{sim.openai_base}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {secret}", "traceparent": TRACEPARENT},
    )
    record = sim.requests[-1]
    assert (record.method, record.path, record.wire, record.model) == (
        "POST",
        "/v1/chat/completions",
        "openai",
        "sim-nano",
    )
    assert record.traceparent == TRACEPARENT
    assert record.has_authorization and not record.has_api_key
    assert record.key_fingerprint == key_fingerprint(secret)
    assert record.headers["authorization"] == "<redacted>"
    assert secret not in record.model_dump_json()
    assert record.body == body
    assert record.status == 200 and record.completed and not record.client_disconnected
    assert record.bytes_sent == len(resp.content)
    assert record.reply_text == resp.json()["choices"][0]["message"]["content"]
    assert record.finished_at is not None and record.finished_at >= record.received_at


async def test_log_sees_the_anthropic_key_header(sim, client, messages_body):
    await client.post(
        f"{sim.url}/v1/messages",
        json=messages_body(),
        headers={"x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01"},
    )
    record = sim.requests_for("sim-claude")[-1]
    assert record.has_api_key and not record.has_authorization
    assert record.key_fingerprint == key_fingerprint("sk-ant-1")
    assert record.headers["anthropic-version"] == "2023-06-01"
    assert record.wire == "anthropic"


async def test_log_records_stream_chunks_and_attempt_order(sim, client, chat_body):
    url = f"{sim.openai_base}/chat/completions"
    await client.post(url, json=chat_body(stream=True))
    await client.post(url, json=chat_body(model="sim-mini"))
    first, second = sim.requests
    assert first.stream and first.chunks_sent > 1 and not second.stream
    assert first.id < second.id and first.received_at <= second.received_at
    assert [r.model for r in sim.requests_for("sim-mini")] == ["sim-mini"]


async def test_cancelled_stream_is_seen_closed_at_the_provider(sim, client, chat_body):
    async with client.stream(
        "POST", f"{sim.openai_base}/chat/completions", json=chat_body(model="sim-trickle", stream=True)
    ) as resp:
        lines = resp.aiter_lines()
        while '"content"' not in await anext(lines):
            pass
    record = await sim.wait_disconnected("sim-trickle")
    assert record.client_disconnected and not record.completed
    # sim-trickle sends 2 tokens per chunk: the stream stopped well before its end.
    assert 0 < record.chunks_sent < count_tokens(record.reply_text) // 2


async def test_client_leaving_during_first_token_latency_is_a_disconnect(sim, client, chat_body):
    sim.set_profile(ModelProfile(name="sim-sleepy", latency_ms=10_000))
    call = asyncio.create_task(client.post(f"{sim.openai_base}/chat/completions", json=chat_body(model="sim-sleepy")))
    record = await sim.wait_for_request(model="sim-sleepy")
    assert record.open
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await sim.wait_disconnected("sim-sleepy")).id == record.id


async def test_wait_for_request_times_out_when_nothing_matches(sim):
    with pytest.raises(TimeoutError):
        await sim.wait_for_request(model="sim-ultra", timeout=0.05)


async def test_wait_finished_and_clear(sim, client, chat_body):
    await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    await sim.wait_finished("sim-nano", count=1)
    sim.clear()
    assert sim.requests == []
    await client.post(f"{sim.openai_base}/chat/completions", json=chat_body())
    assert sim.requests[0].id == 2  # ids keep increasing across clears
