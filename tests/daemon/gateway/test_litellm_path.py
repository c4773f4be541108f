"""Providers the direct path does not speak go through LiteLLM, with the same events, retries and pricing.

``hosted_vllm/`` is an OpenAI-compatible LiteLLM provider, so the sim can stand in for it. (The first
call imports LiteLLM: seconds, paid once per test session.)
"""

from __future__ import annotations

from daemon.config import GatewaySettings, ModelSettings
from daemon.gateway import ChatRequest, Completion, Gateway
from daemon.sim import Fault, SimServer, answer_text

PROMPT = "Route this through LiteLLM."
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_litellm_provider_answers_plain_and_streamed_with_retries(sim: SimServer):
    model = ModelSettings(litellm_model="hosted_vllm/sim-nano", api_base=sim.openai_base,
                          input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)
    gateway = Gateway({"vllm": model}, GatewaySettings(first_token_timeout=60, backoff_base=0.05))
    try:
        request = ChatRequest(({"role": "user", "content": PROMPT},), traceparent=PARENT)
        sim.script("sim-nano", Fault(kind="rate_limit", retry_after=0.1))
        plain = await gateway.complete(request, ["vllm"], Completion())
        assert plain.text == answer_text(PROMPT) and plain.model == "vllm"
        assert [a.status for a in plain.attempts] == ["error", "ok"]
        assert plain.attempts[0].error_code == "provider_rate_limited"
        assert plain.cost_micros == plain.usage.input_tokens * 1 + plain.usage.output_tokens * 2
        streamed = await gateway.complete(request, ["vllm"], Completion(), stream=True)
        assert streamed.text == answer_text(PROMPT) and streamed.usage.output_tokens == plain.usage.output_tokens
        seen = sim.requests_for("sim-nano")
        assert len(seen) == 3 and seen[-1].body["stream"] is True and seen[-1].traceparent == PARENT
    finally:
        await gateway.aclose()
