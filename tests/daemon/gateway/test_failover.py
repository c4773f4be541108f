"""Failover that never waits twice (issue 19), through the real daemon and the sim's fault modes.

Timing bounds are ratios of the configured timeouts (never wall-clock constants): a deployment that went
silent is given up after one timeout, not ``max_retries`` of them, and text flows again from the fallback
well before a second timeout could pass. What the sim saw proves where each attempt went.
"""

from __future__ import annotations

import json
import time

from daemon.sim import Fault, answer_text
from tests.daemon.gateway.served import Served

PROMPT = "Summarise why retries need jitter."
ANSWER = answer_text(PROMPT)
CHAT = {"model": "sim-nano", "messages": [{"role": "user", "content": PROMPT}]}
SLACK = 1.5
"""How far past one timeout the caller may wait before text flows again (the fallback is instant)."""


async def _chat(served: Served, **extra) -> tuple[int, dict, dict, float]:
    started = time.monotonic()
    async with served.client() as http:
        response = await http.post("/v1/chat/completions", json={**CHAT, **extra})
    return response.status_code, response.json(), dict(response.headers), time.monotonic() - started


async def _stream(served: Served, path: str = "/v1/chat/completions", **extra) -> tuple[list[dict], list[float]]:
    """Every SSE data object and the arrival time of each (seconds since the request was sent)."""
    chunks: list[dict] = []
    times: list[float] = []
    started = time.monotonic()
    async with served.client() as http:
        body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}, **extra}
        async with http.stream("POST", path, json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunks.append(json.loads(line[6:]))
                    times.append(time.monotonic() - started)
    return chunks, times


def _text(chunks: list[dict]) -> str:
    return "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))


def _text_times(chunks: list[dict], times: list[float]) -> list[float]:
    return [t for c, t in zip(chunks, times, strict=True) if c.get("choices") and c["choices"][0]["delta"].get("content")]


async def test_a_deployment_that_never_answers_is_given_up_after_one_timeout(serve):
    timeout = 1.0
    served: Served = await serve({"gateway": {"first_token_timeout": timeout, "max_retries": 2}})
    served.sim.script("sim-nano", Fault(kind="hang", times=None))
    status, body, headers, elapsed = await _chat(served)
    assert status == 200 and body["model"] == "sim-mini" and body["choices"][0]["message"]["content"] == ANSWER
    assert len(served.sim.requests_for("sim-nano")) == 1  # not max_retries more timeouts on the same deployment
    assert timeout <= elapsed < SLACK * timeout
    trace = await served.trace(headers["x-switchboard-trace-id"])
    assert [(a.model, a.error_code) for a in trace.attempts] == [("sim-nano", "provider_timeout"), ("sim-mini", None)]


async def test_a_stalled_stream_resumes_on_the_fallback_within_one_and_a_half_stall_timeouts(serve):
    stall = 1.0
    served: Served = await serve({"gateway": {"stall_timeout": stall, "max_retries": 2}})
    # sim-nano stalls every time: resuming there would stall again.
    served.sim.script("sim-nano", Fault(kind="stall", after_chunks=5, times=None))
    chunks, times = await _stream(served)
    assert _text(chunks) == ANSWER  # nothing repeated, nothing missing
    arrivals = _text_times(chunks, times)
    worst_gap = max(b - a for a, b in zip(arrivals, arrivals[1:], strict=False))
    assert 0.8 * stall <= worst_gap < SLACK * stall, worst_gap
    assert len(served.sim.requests_for("sim-nano")) == 1
    [resumed] = served.sim.requests_for("sim-mini")
    prefill = resumed.body["messages"][-1]
    assert prefill["role"] == "assistant" and prefill["content"] and ANSWER.startswith(prefill["content"])


async def test_streams_have_their_own_first_byte_limit_and_long_whole_answers_are_not_cut(serve):
    first_byte = 0.5
    served: Served = await serve({"gateway": {"stream_first_token_timeout": first_byte, "first_token_timeout": 10.0}})
    slow = Fault(kind="slow_first_token", delay_ms=4 * first_byte * 1000)
    served.sim.script("sim-nano", slow)
    chunks, times = await _stream(served)
    assert _text(chunks) == ANSWER and chunks[-1]["usage"]["model"] == "sim-mini"
    assert times[0] < SLACK * first_byte  # failed over after one first-byte limit
    served.sim.script("sim-nano", slow)
    status, body, _, elapsed = await _chat(served)  # not streamed: its limit is the whole body's, 10 s
    assert status == 200 and body["model"] == "sim-nano" and elapsed >= 4 * first_byte


async def test_the_last_deployment_left_waits_the_patient_limit_for_its_first_byte(serve):
    first_byte = 0.5
    served: Served = await serve({"gateway": {"stream_first_token_timeout": first_byte, "first_token_timeout": 10.0}})
    served.sim.script("sim-mini", Fault(kind="slow_first_token", delay_ms=3 * first_byte * 1000))
    chunks, times = await _stream(served, model="sim-mini")  # sim-mini has no fallback
    assert _text(chunks) == ANSWER and chunks[-1]["usage"]["model"] == "sim-mini"
    assert times[0] >= 3 * first_byte and len(served.sim.requests_for("sim-mini")) == 1


async def test_interactive_surfaces_fail_over_sooner(serve):
    editor, api = 1.0, 10.0
    served: Served = await serve({"gateway": {"stream_first_token_timeout": api, "first_token_timeout": api,
                                              "surface_first_token_timeout": {"lsp": editor}}})
    slow = Fault(kind="slow_first_token", delay_ms=3 * editor * 1000)
    served.sim.script("sim-nano", slow)
    started = time.monotonic()
    async with served.client() as http:
        async with http.stream("POST", "/api/complete", json={
            "prefix": "def total(items):\n    ", "model": "sim-nano", "stream": True, "multiline": True,
        }) as response:
            events = [json.loads(line[5:]) for line in [x async for x in response.aiter_lines()] if line.startswith("data:")]
    editor_elapsed = time.monotonic() - started
    assert events[-1]["type"] == "done" and events[-1]["model"] == "sim-mini"
    assert editor_elapsed < SLACK * editor
    served.sim.script("sim-nano", slow)
    chunks, times = await _stream(served)  # the API surface keeps its own, longer limit: sim-nano answers
    assert chunks[-1]["usage"]["model"] == "sim-nano" and times[0] >= 3 * editor


async def test_a_broken_answer_is_never_resumed_on_a_model_without_prefill(serve, sim):
    served: Served = await serve({"models": {"sim-mini": {"capabilities": ["chat", "stream"]}}})
    served.sim.set_profile(served.sim.profiles["sim-mini"].model_copy(update={"prefill": False}))
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=4, times=None))
    chunks, _ = await _stream(served, model="sim-nano")
    error = chunks[-1]["error"]
    assert error["code"] == "stream_broken"
    assert "sim-nano: connection failed" in error["message"]  # the original break: the provider cut it
    assert "closed the connection before its answer was complete" in error["message"]
    assert "sim-mini cannot continue a partial answer" in error["message"]
    assert "fix the request" not in error["message"]
    assert ANSWER.startswith(_text(chunks)) and _text(chunks)
    assert not served.sim.requests_for("sim-mini")  # never sent a prefill it cannot take
    assert len(served.sim.requests_for("sim-nano")) == 3  # the cut itself is retried where a resume is possible


async def test_a_model_that_refuses_the_prefill_leaves_the_original_break_as_the_error(serve):
    # Configured as if it took a prefill, but the provider answers 400 "does not support assistant message prefill".
    served: Served = await serve({"gateway": {"max_retries": 0}})
    served.sim.set_profile(served.sim.profiles["sim-mini"].model_copy(update={"prefill": False}))
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=4))
    chunks, _ = await _stream(served, model="sim-nano")
    error = chunks[-1]["error"]
    assert error["code"] == "stream_broken" and "sim-nano: connection failed" in error["message"]
    assert "fix the request" not in error["message"] and "sim-mini cannot continue a partial answer" in error["message"]
    [refused] = served.sim.requests_for("sim-mini")
    assert refused.status == 400


async def test_an_answer_broken_before_any_text_restarts_on_a_model_without_prefill(serve):
    served: Served = await serve({"gateway": {"max_retries": 0},
                                  "models": {"sim-mini": {"capabilities": ["chat", "stream"]}}})
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=0))
    chunks, _ = await _stream(served, model="sim-nano")
    assert _text(chunks) == ANSWER and chunks[-1]["usage"]["model"] == "sim-mini"
    [restarted] = served.sim.requests_for("sim-mini")
    assert restarted.body["messages"][-1]["role"] == "user"  # started afresh, no prefill


async def test_usage_after_a_resume_counts_every_attempt_and_the_caller_gets_what_it_received(serve):
    served: Served = await serve({"gateway": {"max_retries": 0}})
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=6))
    chunks, _ = await _stream(served, model="sim-nano")
    assert _text(chunks) == ANSWER
    usage = chunks[-1]["usage"]
    trace_id = next(c["id"] for c in chunks if c.get("id")).removeprefix("chatcmpl-")
    traces = await served.traces()
    trace = await served.trace(traces[0].id)
    broken, resumed = trace.attempts
    assert broken.status == "error" and broken.output_tokens > 0 and broken.cost_micros > 0  # partial output is billed
    assert resumed.status == "ok" and resumed.model == "sim-mini"
    assert usage["completion_tokens"] == broken.output_tokens + resumed.output_tokens  # all it received
    assert trace.output_tokens == broken.output_tokens + resumed.output_tokens
    assert trace.input_tokens == broken.input_tokens + resumed.input_tokens
    assert trace.cost_micros == broken.cost_micros + resumed.cost_micros == round(usage["cost_usd"] * 1e6)
    assert trace_id


async def test_a_content_policy_violation_is_content_filtered_and_not_retried(served: Served):
    served.sim.script("sim-nano", Fault(kind="content_policy"))
    status, body, _, _ = await _chat(served)
    assert status == 400 and body["error"]["code"] == "content_filtered"
    assert "safety system" in body["error"]["message"]
    assert len(served.sim.requests_for("sim-nano")) == 1 and not served.sim.requests_for("sim-mini")


async def test_a_tool_call_broken_mid_stream_ends_with_an_error_not_half_a_call(served: Served):
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=2, times=None))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}}}}]
    chunks, _ = await _stream(served, tools=tools)
    error = chunks[-1]["error"]
    assert error["code"] == "stream_broken" and "in the middle of a tool call" in error["message"]
    assert len(served.sim.requests_for("sim-nano")) == 1 and not served.sim.requests_for("sim-mini")


async def test_a_caller_leaving_mid_answer_is_charged_what_was_streamed_to_it(served: Served):
    from daemon.core import accounting

    await accounting.set_budget(served.services, developer="tester", limit_usd=1.0)
    served.sim.set_profile(served.sim.profiles["sim-nano"].model_copy(update={"tokens_per_second": 20, "chunk_tokens": 1}))
    async with served.client() as http:
        async with http.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True}) as response:
            trace_id = response.headers["x-switchboard-trace-id"]
            seen = 0
            async for line in response.aiter_lines():
                seen += line.startswith("data: ")
                if seen == 4:
                    break  # the caller goes away with the answer under way
    await served.sim.wait_disconnected("sim-nano")
    trace = await served.trace(trace_id)
    [(_, _, status, _, settled)] = await served.services.store.reservations_of(trace_id)
    assert trace.outcome == "cancelled" and trace.attempts[0].output_tokens > 0
    assert status == "settled" and settled == trace.cost_micros > 0  # the provider bills what it sent
