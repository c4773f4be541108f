"""A provider's stream ends at ``[DONE]`` / ``message_stop``, not at the end of its HTTP body: the
caller is answered at once, and the connection still goes back to the pool once the body ends."""

from __future__ import annotations

import asyncio

import pytest

from daemon.sim import Fault
from tests.daemon.gateway.served import Served

BODIES = {
    "openai": ("/v1/chat/completions", {"model": "sim-mini", "stream": True,
                                        "messages": [{"role": "user", "content": "Say something short."}]}),
    "anthropic": ("/v1/messages", {"model": "sim-claude", "stream": True, "max_tokens": 64,
                                   "messages": [{"role": "user", "content": "Say something short."}]}),
}


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_a_stream_is_answered_at_its_last_event_and_its_connection_reused_after(served: Served, wire: str):
    path, body = BODIES[wire]
    model = body["model"]
    served.sim.script(model, Fault(kind="late_end", delay_ms=1500))
    async with served.client() as http:
        async with http.stream("POST", path, json=body) as response:
            assert response.status_code == 200
            text = "".join([line async for line in response.aiter_lines()])
        [first] = served.sim.requests_for(model)
        assert not first.completed  # the caller had its whole answer before the provider's body ended
        assert ("[DONE]" in text) if wire == "openai" else ("message_stop" in text)
        ended = await served.sim.log.wait_for(lambda r: r.id == first.id and r.finished_at is not None, timeout=5)
        assert ended.completed and not ended.client_disconnected  # read to the body's end, not cut
        await asyncio.sleep(0.05)  # the daemon reads the body's end and pools the connection
        async with http.stream("POST", path, json=body) as response:
            assert response.status_code == 200
            await response.aread()
    second = served.sim.requests_for(model)[-1]
    assert second.id != first.id and first.connection is not None
    assert second.connection == first.connection  # reused, not a new connection per stream
