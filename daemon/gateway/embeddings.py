"""Embeddings: ``/v1/embeddings`` bodies sent along a route of embedding models.

The same resilience as a chat call, in its simple form: retries with backoff (honouring
``Retry-After``) on a deployment that failed for the provider's reasons, failover to the next one,
circuits, every attempt recorded with its tokens and cost. An embeddings call is one JSON answer:
no stream to resume.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from daemon.config import GatewaySettings, ModelSettings
from daemon.errors import (
    InvalidRequestError,
    NoRouteError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    SwitchboardError,
)
from daemon.gateway.cost import cost_micros
from daemon.gateway.direct import Deadlines
from daemon.gateway.resilience import CircuitBreakers, backoff_seconds
from daemon.gateway.types import Completion, Usage


class Deployments(Protocol):
    """What an embeddings call uses of the ``Gateway`` (which calls ``embed``, so this module never imports it)."""

    models: Mapping[str, ModelSettings]
    settings: GatewaySettings
    circuits: CircuitBreakers

    def _transport(self, model: ModelSettings) -> Any: ...

    def skip_open_circuit(self, name: str, result: Completion) -> ProviderUnavailableError | None: ...

    @staticmethod
    def _record(result: Completion, name: str, status: str, started: float, latency_ms: float, **details: Any,
                ) -> None: ...

_RETRYABLE = (ProviderRateLimitError, ProviderUnavailableError, ProviderTimeoutError)


def usage_of(payload: dict[str, Any]) -> Usage:
    """The input tokens an embeddings answer says it used."""
    usage = payload.get("usage") or {}
    tokens = usage.get("prompt_tokens") or usage.get("total_tokens") or 0
    return Usage(input_tokens=int(tokens) if isinstance(tokens, int | float) else 0)


async def embed(gateway: Deployments, body: dict[str, Any], route: Sequence[str], result: Completion) -> dict[str, Any]:
    """Send ``body`` (an OpenAI embeddings body) along ``route``; the provider's answer, ``result`` filled
    with the model that answered, its usage, cost and every attempt. Raises the deciding error."""
    loop = asyncio.get_running_loop()
    settings = gateway.settings
    end = loop.time() + settings.total_timeout
    last: SwitchboardError | None = None
    for name in route:
        model = gateway.models.get(name)
        if model is None or model.kind != "embedding" or not model.enabled:
            continue
        retry = 0
        while True:
            if (refusal := gateway.skip_open_circuit(name, result)) is not None:
                last = refusal
                break
            deadlines = Deadlines(settings.connect_timeout, settings.first_token_timeout, settings.stall_timeout,
                                  end, settings.first_token_timeout)
            started, t0 = time.time(), time.perf_counter()
            try:
                payload = await gateway._transport(model).embed(name, model, body, deadlines)
            except SwitchboardError as exc:
                gateway._record(result, name, "error", started, (time.perf_counter() - t0) * 1000, error=exc)
                if isinstance(exc, ProviderUnavailableError | ProviderTimeoutError) or (
                        type(exc) is ProviderError and exc.details.get("http_status") not in (401, 403, 404)):
                    gateway.circuits.failed(name)
                else:
                    gateway.circuits.released(name)
                last = exc
                if isinstance(exc, InvalidRequestError):
                    result.error = exc
                    raise
                if not isinstance(exc, _RETRYABLE) or retry >= settings.max_retries:
                    break
                delay = backoff_seconds(settings, retry, exc.details.get("retry_after"))
                if loop.time() + delay >= end:
                    break
                retry += 1
                await asyncio.sleep(delay)
                continue
            except BaseException:
                gateway.circuits.released(name)
                gateway._record(result, name, "cancelled", started, (time.perf_counter() - t0) * 1000)
                raise
            gateway.circuits.succeeded(name)
            usage = usage_of(payload)
            cost = cost_micros(model, usage)
            result.model, result.usage, result.finish_reason = name, usage, "stop"
            result.cost_micros += cost
            gateway._record(result, name, "ok", started, (time.perf_counter() - t0) * 1000,
                            input_tokens=usage.input_tokens, cost=cost)
            return payload
    error = last or NoRouteError("no embedding model on this route could take the request; "
                                 "check `switchboard status`")
    result.error = error
    raise error
