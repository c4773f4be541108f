"""``POST /api/complete``: fill-in-the-middle for FIM models, a chat prompt otherwise, streamed and cancellable."""

from __future__ import annotations

import asyncio
import json

from daemon.sim import Fault, answer_text, fim_answer
from tests.daemon.gateway.served import Served

PREFIX = "def total(items):\n    "
SUFFIX = "\n\nprint(total([1, 2]))\n"


async def _sse(response) -> list[tuple[str, dict]]:
    events, name = [], "message"
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line[5:])))
    return events


async def test_complete_uses_fim_endpoint_with_suffix_for_fim_models(served: Served):
    async with served.client() as http:
        response = await http.post("/api/complete", json={"prefix": PREFIX, "suffix": SUFFIX, "multiline": True,
                                                          "model": "sim-mini"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == fim_answer(PREFIX, SUFFIX)
    assert body["model"] == "sim-mini"
    assert response.headers["x-switchboard-trace-id"] == body["trace_id"]
    [seen] = served.sim.requests_for("sim-mini")
    assert seen.path == "/v1/completions"
    assert seen.body["prompt"] == PREFIX and seen.body["suffix"] == SUFFIX
    assert seen.traceparent and seen.traceparent.split("-")[1] == body["trace_id"]
    trace = await served.trace(body["trace_id"])
    assert trace.surface == "lsp" and trace.outcome == "ok" and trace.answered_model == "sim-mini"
    assert trace.output_tokens > 0 and trace.cost_micros > 0


async def test_complete_single_line_returns_only_the_first_line(served: Served):
    async with served.client() as http:
        response = await http.post("/api/complete", json={"prefix": PREFIX, "suffix": SUFFIX, "model": "sim-mini"})
    assert response.json()["text"] == fim_answer(PREFIX, SUFFIX).split("\n")[0]


async def test_complete_uses_a_chat_prompt_for_models_without_fim(served: Served):
    async with served.client() as http:
        response = await http.post("/api/complete", json={"prefix": PREFIX, "suffix": SUFFIX, "multiline": True,
                                                          "model": "sim-claude"})
    assert response.status_code == 200, response.text
    [seen] = served.sim.requests_for("sim-claude")
    assert seen.path == "/v1/messages"
    user = seen.body["messages"][-1]["content"][0]["text"]
    assert f"{PREFIX}<CURSOR>{SUFFIX}" in user
    assert response.json()["text"] == answer_text(user)


async def test_complete_streams_deltas_then_done(served: Served):
    async with served.client() as http:
        async with http.stream("POST", "/api/complete", json={
            "prefix": PREFIX, "suffix": SUFFIX, "multiline": True, "model": "sim-mini", "stream": True,
        }) as response:
            assert response.status_code == 200
            events = await _sse(response)
    kinds = [kind for kind, _ in events]
    # One delta per provider read: the instant sim's answer arrives in one or a few.
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"} and len(kinds) >= 2
    text = "".join(data["text"] for kind, data in events if kind == "delta")
    assert text == fim_answer(PREFIX, SUFFIX) == events[-1][1]["text"]
    assert events[-1][1]["model"] == "sim-mini"


async def test_a_single_line_is_answered_at_its_end_and_the_rest_is_still_read_and_billed(served: Served):
    """The editor gets its line without waiting for tokens it will never show; the trace bills them all."""
    served.sim.script("sim-mini", Fault(kind="slow", tokens_per_second=20))
    async with served.client() as http:
        async with http.stream("POST", "/api/complete", json={
            "prefix": PREFIX, "suffix": SUFFIX, "model": "sim-mini", "stream": True,
        }) as response:
            events = await _sse(response)
        [seen] = served.sim.requests_for("sim-mini")
        assert not seen.completed  # answered while the provider was still streaming
        # The editor accepts the line at once: the feedback waits for the trace instead of finding none.
        accepted = await http.post("/api/feedback", json={"trace_id": events[-1][1]["trace_id"], "score": 1.0,
                                                          "source": "editor"})
        assert accepted.status_code == 200, accepted.text
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"}
    first_line = fim_answer(PREFIX, SUFFIX).split("\n")[0]
    assert events[-1][1]["text"] == first_line and events[-1][1]["cost_usd"] is None
    trace = await served.trace(events[-1][1]["trace_id"], timeout=10)
    assert trace.outcome == "ok" and trace.cost_micros > 0
    assert seen.completed and not seen.client_disconnected  # read to its end, not cut
    assert trace.answer_chars == len(seen.reply_text or "") > len(first_line)  # the whole answer, not the line


async def test_closing_a_completion_stream_cancels_the_provider_call(served: Served):
    served.sim.script("sim-mini", Fault(kind="slow", tokens_per_second=4))
    async with served.client() as http:
        async with http.stream("POST", "/api/complete", json={
            "prefix": PREFIX, "suffix": SUFFIX, "multiline": True, "model": "sim-mini", "stream": True,
        }) as response:
            trace_id = response.headers["x-switchboard-trace-id"]
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    break  # the first delta arrived: the editor moves on
    record = await served.sim.wait_disconnected("sim-mini", timeout=5)
    assert not record.completed
    trace = await served.trace(trace_id)
    assert trace.outcome == "cancelled"
    assert [a.status for a in trace.attempts] == ["cancelled"]


async def test_completion_errors_before_the_first_byte_are_plain_http_errors(served: Served):
    served.sim.script("sim-mini", Fault(kind="content_filter"))
    async with served.client() as http:
        response = await http.post("/api/complete", json={"prefix": PREFIX, "model": "sim-mini", "stream": True})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "content_filtered"
    assert response.headers["x-switchboard-trace-id"]
    await asyncio.sleep(0)
