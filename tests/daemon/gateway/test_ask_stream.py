"""``POST /api/ask`` with ``stream=true``: delta events then done; cancel on close; errors as events."""

from __future__ import annotations

import asyncio
import contextlib
import json

from daemon.sim import Fault, answer_text
from tests.daemon.gateway.served import Served

PROMPT = "Explain what a router does in one paragraph."


async def _events(response) -> list[tuple[str, dict]]:
    events, name = [], "message"
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line[5:])))
    return events


async def test_ask_stream_sends_deltas_that_join_to_the_answer_then_done(served: Served):
    async with served.client() as http:
        async with http.stream("POST", "/api/ask", json={"prompt": PROMPT, "stream": True, "surface": "mcp"}) as r:
            assert r.status_code == 200
            events = await _events(r)
    deltas = [data["text"] for kind, data in events if kind == "delta"]
    assert len(deltas) > 2 and "".join(deltas) == answer_text(PROMPT)
    kind, done = events[-1]
    assert kind == "done" and done["type"] == "done"
    assert done["answer"] == answer_text(PROMPT) and done["output_tokens"] > 0 and done["model"]
    trace = await served.trace(done["trace_id"])
    assert trace.surface == "mcp" and trace.outcome == "ok" and trace.ttft_ms is not None


async def test_ask_without_stream_answers_whole(served: Served):
    async with served.client() as http:
        response = await http.post("/api/ask", json={"prompt": PROMPT})
    assert response.status_code == 200
    assert response.json()["answer"] == answer_text(PROMPT)


async def test_closing_an_ask_stream_stops_the_provider(served: Served):
    served.sim.script("sim-nano", Fault(kind="slow", tokens_per_second=4))
    async with served.client() as http:
        async with http.stream("POST", "/api/ask", json={"prompt": PROMPT, "stream": True, "model": "sim-nano"}) as r:
            trace_id = r.headers["x-switchboard-trace-id"]
            async for line in r.aiter_lines():
                if line.startswith("data:"):
                    break
    record = await served.sim.wait_disconnected("sim-nano", timeout=5)
    assert not record.completed
    assert (await served.trace(trace_id)).outcome == "cancelled"


async def test_a_stream_that_cannot_be_completed_ends_with_an_error_event(served: Served):
    # Every attempt breaks after two chunks and there is no fallback: never a truncated "done".
    served.sim.script("sim-pro", Fault(kind="cut", after_chunks=2, times=None))
    async with served.client() as http:
        async with http.stream("POST", "/api/ask", json={"prompt": PROMPT, "stream": True, "model": "sim-pro"}) as r:
            events = await _events(r)
    kinds = [kind for kind, _ in events]
    assert "done" not in kinds and kinds[-1] == "error"
    assert events[-1][1]["error"]["code"] == "stream_broken"
    text = "".join(data["text"] for kind, data in events if kind == "delta")
    assert answer_text(PROMPT).startswith(text) and text != answer_text(PROMPT)
    assert len(served.sim.requests_for("sim-pro")) == 3  # the first try and two continuations


async def test_leaving_before_the_first_token_stops_the_provider(serve):
    served: Served = await serve({"gateway": {"first_token_timeout": 30.0, "total_timeout": 60.0}})
    served.sim.script("sim-pro", Fault(kind="hang"))
    async with served.client() as http:
        async def ask() -> None:
            async with http.stream("POST", "/api/ask", json={"prompt": PROMPT, "stream": True, "model": "sim-pro"}):
                pass

        call = asyncio.create_task(ask())
        await served.sim.wait_for_request(model="sim-pro", timeout=5)
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call
    record = await served.sim.wait_disconnected("sim-pro", timeout=5)  # well before the 30 s timeout
    assert record.client_disconnected and len(served.sim.requests_for("sim-pro")) == 1
    [listed] = await served.traces(1)
    trace = await served.trace(listed.id)
    assert trace.outcome == "cancelled" and [a.status for a in trace.attempts] == ["cancelled"]
    # The handler that was cancelled for the departed caller ended cleanly: the next caller is served.
    async with served.client() as http:
        answered = await http.post("/api/ask", json={"prompt": PROMPT, "model": "sim-nano"})
    assert answered.status_code == 200 and answered.json()["answer"] == answer_text(PROMPT)
