"""Every fault of the simulated provider, through the real daemon: what the caller got, and what the
provider saw (attempt count and spacing from the sim's request log), and what the trace recorded."""

from __future__ import annotations

import asyncio
import json
import time

from daemon.sim import Fault, answer_text
from tests.daemon.gateway.conftest import FAST_GATEWAY
from tests.daemon.gateway.served import Served

PROMPT = "Summarise why retries need jitter."
ANSWER = answer_text(PROMPT)
CHAT = {"model": "sim-nano", "messages": [{"role": "user", "content": PROMPT}]}


async def _chat(served: Served, **extra) -> tuple[int, dict, dict]:
    async with served.client() as http:
        response = await http.post("/v1/chat/completions", json={**CHAT, **extra})
    return response.status_code, response.json(), dict(response.headers)


async def _stream(served: Served) -> tuple[str, list[dict], dict]:
    """The streamed text, every chunk, and the headers."""
    chunks: list[dict] = []
    async with served.client() as http:
        async with http.stream("POST", "/v1/chat/completions", json={
            **CHAT, "stream": True, "stream_options": {"include_usage": True},
        }) as response:
            headers = dict(response.headers)
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunks.append(json.loads(line[6:]))
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))
    return text, chunks, headers


def _gaps(records) -> list[float]:
    return [b.received_at - a.received_at for a, b in zip(records, records[1:], strict=False)]


async def test_rate_limit_is_retried_after_retry_after(served: Served):
    served.sim.script("sim-nano", Fault(kind="rate_limit", retry_after=0.3))
    status, body, headers = await _chat(served)
    assert status == 200 and body["choices"][0]["message"]["content"] == ANSWER
    seen = served.sim.requests_for("sim-nano")
    assert len(seen) == 2 and _gaps(seen)[0] >= 0.3
    trace = await served.trace(headers["x-switchboard-trace-id"])
    assert [(a.status, a.error_code) for a in trace.attempts] == [("error", "provider_rate_limited"), ("ok", None)]
    assert trace.attempts[0].cost_micros == 0 and trace.cost_micros == trace.attempts[1].cost_micros > 0


async def test_server_errors_are_retried_with_backoff_then_fail_over(served: Served):
    served.sim.script("sim-nano", Fault(kind="server_error", times=3))
    status, body, headers = await _chat(served)
    assert status == 200 and body["choices"][0]["message"]["content"] == ANSWER
    assert body["model"] == "sim-mini" and body["usage"]["model"] == "sim-mini"
    nano = served.sim.requests_for("sim-nano")
    assert len(nano) == 3  # the first try and max_retries=2
    assert all(gap >= FAST_GATEWAY["backoff_base"] / 2 for gap in _gaps(nano))
    assert len(served.sim.requests_for("sim-mini")) == 1
    trace = await served.trace(headers["x-switchboard-trace-id"])
    assert trace.fallback_used and trace.answered_model == "sim-mini"
    assert [a.status for a in trace.attempts] == ["error", "error", "error", "ok"]
    assert sum(a.cost_micros for a in trace.attempts[:3]) == 0


async def test_unavailable_is_retried(served: Served):
    served.sim.script("sim-nano", Fault(kind="unavailable", status=529))
    status, body, _ = await _chat(served)
    assert status == 200 and body["model"] == "sim-nano"
    assert [r.status for r in served.sim.requests_for("sim-nano")] == [529, 200]


async def test_connection_reset_is_retried(served: Served):
    served.sim.script("sim-nano", Fault(kind="reset"))
    status, body, _ = await _chat(served)
    assert status == 200 and body["choices"][0]["message"]["content"] == ANSWER
    assert len(served.sim.requests_for("sim-nano")) == 2


async def test_hang_on_the_last_deployment_left_is_retried_there(served: Served):
    served.sim.script("sim-mini", Fault(kind="hang"))  # sim-mini has no fallback: nowhere else to go
    status, body, _ = await _chat(served, model="sim-mini")
    assert status == 200 and body["model"] == "sim-mini"
    first, second = served.sim.requests_for("sim-mini")
    assert first.client_disconnected and second.completed
    assert _gaps([first, second])[0] >= FAST_GATEWAY["first_token_timeout"]


async def test_hang_everywhere_ends_within_the_total_budget(serve):
    served = await serve({"gateway": {"total_timeout": 1.5}})
    served.sim.script("sim-nano", Fault(kind="hang", times=None))
    served.sim.script("sim-mini", Fault(kind="hang", times=None))
    started = time.monotonic()
    status, body, headers = await _chat(served)
    elapsed = time.monotonic() - started
    assert status == 504 and body["error"]["code"] == "provider_timeout"
    assert elapsed < 1.5 + 0.5
    assert headers["x-switchboard-trace-id"]


async def test_slow_first_token_past_the_timeout_fails_over(served: Served):
    served.sim.script("sim-nano", Fault(kind="slow_first_token", delay_ms=1500))
    status, body, _ = await _chat(served, stream=False)
    assert status == 200 and body["choices"][0]["message"]["content"] == ANSWER and body["model"] == "sim-mini"
    [first] = served.sim.requests_for("sim-nano")
    assert first.client_disconnected


async def test_cut_stream_is_completed_seamlessly_from_the_fallback(served: Served):
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=2, times=None))
    text, chunks, headers = await _stream(served)
    assert text == ANSWER  # nothing repeated, nothing missing
    assert len({c["id"] for c in chunks}) == 1
    assert [c["choices"][0]["finish_reason"] for c in chunks if c.get("choices")].count("stop") == 1
    assert chunks[-1]["usage"]["model"] == "sim-mini"
    nano, mini = served.sim.requests_for("sim-nano"), served.sim.requests_for("sim-mini")
    assert len(nano) == 3 and len(mini) == 1
    prefill = mini[0].body["messages"][-1]
    assert prefill["role"] == "assistant" and ANSWER.startswith(prefill["content"]) and prefill["content"]
    trace = await served.trace(headers["x-switchboard-trace-id"])
    assert trace.outcome == "ok" and trace.fallback_used and trace.answered_model == "sim-mini"


async def test_stalled_stream_is_abandoned_and_completed_on_the_fallback(served: Served):
    served.sim.script("sim-nano", Fault(kind="stall", after_chunks=2))
    text, _, _ = await _stream(served)
    assert text == ANSWER
    [first] = served.sim.requests_for("sim-nano")
    [second] = served.sim.requests_for("sim-mini")
    assert first.client_disconnected and second.body["messages"][-1]["role"] == "assistant"


async def test_malformed_chunk_never_reaches_the_caller(served: Served):
    served.sim.script("sim-nano", Fault(kind="malformed_chunk", after_chunks=1))
    text, chunks, _ = await _stream(served)
    assert text == ANSWER
    assert all("unterminated" not in json.dumps(c) for c in chunks)
    assert len(served.sim.requests_for("sim-nano")) == 2


async def test_malformed_body_is_retried(served: Served):
    served.sim.script("sim-nano", Fault(kind="malformed_chunk"))
    status, body, _ = await _chat(served)
    assert status == 200 and body["choices"][0]["message"]["content"] == ANSWER


async def test_stream_without_done_still_finishes_once(served: Served):
    served.sim.script("sim-nano", Fault(kind="no_done"))
    text, chunks, _ = await _stream(served)
    assert text == ANSWER and chunks[-1]["usage"]["completion_tokens"] > 0
    assert len(served.sim.requests_for("sim-nano")) == 1


async def test_context_length_goes_to_a_larger_window_without_retrying(served: Served):
    served.sim.script("sim-nano", Fault(kind="context_length"))
    status, body, headers = await _chat(served)
    assert status == 200 and body["model"] == "sim-mini"
    assert len(served.sim.requests_for("sim-nano")) == 1
    trace = await served.trace(headers["x-switchboard-trace-id"])
    assert trace.attempts[0].error_code == "context_length_exceeded"


async def test_content_filter_returns_the_providers_reason_without_retry(served: Served):
    served.sim.script("sim-nano", Fault(kind="content_filter"))
    status, body, headers = await _chat(served)
    assert status == 400 and body["error"]["code"] == "content_filtered"
    assert "content management policy" in body["error"]["message"]
    assert len(served.sim.requests_for("sim-nano")) == 1 and not served.sim.requests_for("sim-mini")
    assert headers["x-switchboard-trace-id"]


async def test_a_400_is_never_retried(served: Served):
    served.sim.script("sim-nano", Fault(kind="server_error", status=400, times=None))
    status, body, _ = await _chat(served)
    assert status == 400 and body["error"]["code"] == "invalid_request"
    assert len(served.sim.requests_for("sim-nano")) == 1 and not served.sim.requests_for("sim-mini")


async def test_circuit_opens_serves_from_fallback_and_closes_after_a_probe(served: Served):
    changes: list[dict] = []
    opened, closed = asyncio.Event(), asyncio.Event()

    async def follow() -> None:
        async for event in served.services.events.subscribe():
            if event.type == "circuit" and event.data["model"] == "sim-nano":
                changes.append(event.data)
                (opened if event.data["state"] == "open" else closed if event.data["state"] == "closed"
                 else asyncio.Event()).set()

    watcher = asyncio.create_task(follow())
    try:
        served.sim.script("sim-nano", Fault(kind="server_error", times=None))
        assert (await _chat(served))[1]["model"] == "sim-mini"
        async with asyncio.timeout(2):
            await opened.wait()
        assert len(served.sim.requests_for("sim-nano")) == 3
        assert (await _chat(served))[1]["model"] == "sim-mini"
        assert len(served.sim.requests_for("sim-nano")) == 3  # open: not called at all
        served.sim.clear()
        await asyncio.sleep(FAST_GATEWAY["circuit_reset_seconds"])  # the reset time is the behaviour under test
        status, body, _ = await _chat(served)
        assert status == 200 and body["model"] == "sim-nano"  # the half-open probe succeeded
        async with asyncio.timeout(2):
            await closed.wait()
        assert [c["state"] for c in changes] == ["open", "half_open", "closed"]
    finally:
        watcher.cancel()


async def test_local_rpm_limit_redirects_to_the_fallback(serve):
    served = await serve({"models": {"sim-nano": {"rpm": 2}}})
    models = [(await _chat(served))[1]["model"] for _ in range(3)]
    assert models == ["sim-nano", "sim-nano", "sim-mini"]
    assert len(served.sim.requests_for("sim-nano")) == 2


async def test_anthropic_stream_cut_midway_is_completed_by_an_openai_format_fallback(serve):
    served: Served = await serve({"models": {"sim-claude": {"fallbacks": ["sim-pro"]}}})
    served.sim.script("sim-claude", Fault(kind="cut", after_chunks=3, times=None))
    events = []
    async with served.client() as http:
        async with http.stream("POST", "/v1/messages", json={
            "model": "sim-claude", "max_tokens": 256, "stream": True,
            "messages": [{"role": "user", "content": PROMPT}],
        }) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 1
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == ANSWER
    [pro] = served.sim.requests_for("sim-pro")
    assert pro.path == "/v1/chat/completions" and pro.body["messages"][-1]["role"] == "assistant"
    assert events[-2]["usage"]["model"] == "sim-pro"


async def test_incoming_traceparent_is_reused_and_forwarded(served: Served):
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with served.client() as http:
        response = await http.post("/v1/chat/completions", json=CHAT, headers={"traceparent": parent})
    assert response.headers["x-switchboard-trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    forwarded = served.sim.requests_for("sim-nano")[0].traceparent
    assert forwarded.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-") and forwarded.endswith("-01")
    assert forwarded.split("-")[2] != "00f067aa0ba902b7"  # our own span under the caller's


async def test_local_tpm_limit_is_never_exceeded(serve):
    served = await serve({"models": {"sim-nano": {"tpm": 30}}})
    models = [(await _chat(served))[1]["model"] for _ in range(3)]
    assert models[0] == "sim-nano" and "sim-mini" in models
    assert len(served.sim.requests_for("sim-nano")) < 3
