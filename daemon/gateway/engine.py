"""Run one chat request against a decision's model and its fallbacks, recording every attempt."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from daemon.config import ModelSettings
from daemon.errors import ProviderError, SwitchboardError
from daemon.gateway import litellm_transport
from daemon.store.records import AttemptRecord, usd_to_micros

# Failures worth another deployment: the request itself is fine, the provider was not.
_FAILOVER_CODES = {
    "provider_error", "provider_timeout", "provider_rate_limited", "provider_unavailable",
    "context_length_exceeded", "stream_broken",
}


@dataclass(frozen=True)
class ChatRequest:
    """A chat request in OpenAI message form, independent of the surface it came from."""

    messages: tuple[dict[str, Any], ...]
    max_tokens: int | None = None
    traceparent: str | None = None


@dataclass
class Completion:
    """What a request produced: the answer and every attempt it took."""

    text: str = ""
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0
    ttft_ms: float | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)
    error: SwitchboardError | None = None


def price_micros(model: ModelSettings, input_tokens: int, output_tokens: int) -> int:
    """Cost of a call at the configured prices, in micro-dollars."""
    usd = input_tokens * model.input_usd_per_mtok / 1e6 + output_tokens * model.output_usd_per_mtok / 1e6
    return usd_to_micros(usd)


class Gateway:
    """Calls providers through LiteLLM, failing over along the decision's fallbacks."""

    def __init__(self, models: Mapping[str, ModelSettings]) -> None:
        self.models = models

    def update_models(self, models: Mapping[str, ModelSettings]) -> None:
        """Take a reloaded config's models (in-flight calls keep the ones they started with)."""
        self.models = models

    async def complete(self, request: ChatRequest, route: Sequence[str]) -> Completion:
        """Try each model of ``route`` in order until one answers; raise the last error if none does."""
        result = Completion()
        for name in route:
            model = self.models[name]
            started = time.time()
            t0 = time.perf_counter()
            try:
                response = await self._call(model, name, request)
            except SwitchboardError as exc:
                result.attempts.append(
                    AttemptRecord(
                        seq=len(result.attempts), model=name, status="error", started_at=started,
                        latency_ms=(time.perf_counter() - t0) * 1000, error_code=exc.code, error_message=exc.message,
                    )
                )
                result.error = exc
                if exc.code not in _FAILOVER_CODES:
                    break
                continue
            latency_ms = (time.perf_counter() - t0) * 1000
            usage = getattr(response, "usage", None)
            result.input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
            result.output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
            result.cost_micros = price_micros(model, result.input_tokens, result.output_tokens)
            result.text = response.choices[0].message.content or ""
            result.model = name
            result.ttft_ms = latency_ms
            result.error = None
            result.attempts.append(
                AttemptRecord(
                    seq=len(result.attempts), model=name, status="ok", started_at=started, latency_ms=latency_ms,
                    ttft_ms=latency_ms, input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                    cost_micros=result.cost_micros,
                )
            )
            return result
        if result.error is None:
            result.error = ProviderError("no model was tried")
        return result

    async def _call(self, model: ModelSettings, name: str, request: ChatRequest) -> Any:
        kwargs: dict[str, Any] = {
            "model": model.litellm_model,
            "messages": list(request.messages),
            "timeout": 120.0,
        }
        if model.api_base:
            kwargs["api_base"] = model.api_base
        if model.api_key_env:
            kwargs["api_key"] = os.environ.get(model.api_key_env, "")
        if request.max_tokens:
            kwargs["max_tokens"] = request.max_tokens
        if request.traceparent:
            kwargs["extra_headers"] = {"traceparent": request.traceparent}
        await litellm_transport.litellm_module()
        with litellm_transport.map_litellm_errors(name):
            return await litellm_transport.acompletion(**kwargs)
