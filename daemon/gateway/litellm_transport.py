"""LiteLLM as a transport, and nothing more: explicit arguments to ``acompletion``, errors mapped once.

LiteLLM costs 4-5 s and ~200 MB to import, so it is imported lazily (``preload()`` warms it in a
thread at daemon start) and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from daemon.config import ModelSettings
from daemon.errors import (
    AuthenticationError,
    ContentFilterError,
    ContextLengthError,
    InvalidRequestError,
    NotFoundError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from daemon.gateway import openai_wire
from daemon.gateway.direct import Deadlines
from daemon.gateway.honour import answer_as_text, forced_tool_openai, structured_mode
from daemon.gateway.types import ChatRequest, Event

_lock = threading.Lock()
_module: ModuleType | None = None


def _import() -> ModuleType:
    global _module
    with _lock:
        if _module is None:
            # Without this LiteLLM fetches its price map from the network at import time.
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm

            litellm.telemetry = False
            litellm.suppress_debug_info = True
            _module = litellm
        return _module


async def preload() -> None:
    """Import LiteLLM in a worker thread so the first request does not pay for it."""
    await asyncio.to_thread(_import)


async def litellm_module() -> ModuleType:
    """The LiteLLM module, imported off the event loop if it is not loaded yet."""
    return _module if _module is not None else await asyncio.to_thread(_import)


@contextlib.contextmanager
def map_litellm_errors(model_name: str) -> Iterator[None]:
    """Translate LiteLLM's exceptions into Switchboard's tree, at this one boundary."""
    litellm = _module
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        if litellm is None:
            raise
        where = f"{model_name}: "
        detail = str(getattr(exc, "message", exc))[:500]
        if isinstance(exc, litellm.ContextWindowExceededError):
            raise ContextLengthError(where + detail) from exc
        if isinstance(exc, litellm.ContentPolicyViolationError) or "content_policy_violation" in detail:
            raise ContentFilterError(where + detail) from exc
        if isinstance(exc, litellm.RateLimitError):
            raise ProviderRateLimitError(where + detail) from exc
        if isinstance(exc, litellm.Timeout):
            raise ProviderTimeoutError(where + detail) from exc
        if isinstance(exc, litellm.AuthenticationError):
            raise AuthenticationError(where + "the provider refused the API key: " + detail) from exc
        if isinstance(exc, litellm.NotFoundError):
            raise NotFoundError(where + detail) from exc
        if isinstance(exc, litellm.BadRequestError):
            unsupported = {"prefill_unsupported": True} if "prefill" in detail.lower() else None
            raise InvalidRequestError(where + detail, details=unsupported) from exc
        if isinstance(exc, (litellm.ServiceUnavailableError, litellm.InternalServerError, litellm.APIConnectionError)):
            raise ProviderUnavailableError(where + detail) from exc
        if isinstance(exc, litellm.APIError):
            raise ProviderError(where + detail) from exc
        raise


async def acompletion(**kwargs: Any) -> Any:
    """``litellm.acompletion`` with LiteLLM's own retries off (the gateway owns retrying)."""
    litellm = await litellm_module()
    return await litellm.acompletion(num_retries=0, **kwargs)


class LiteLLMTransport:
    """Providers the direct path does not speak (Gemini, Ollama, Bedrock...), through ``acompletion``."""

    async def embed(self, name: str, model: ModelSettings, body: dict[str, Any], deadlines: Deadlines) -> dict[str, Any]:
        """An embeddings call through ``litellm.aembedding``, answered in OpenAI's shape."""
        kwargs: dict[str, Any] = {"model": model.litellm_model, "input": body["input"],
                                  "timeout": deadlines.first_token}
        for key in ("dimensions", "encoding_format", "user"):
            if body.get(key) is not None:
                kwargs[key] = body[key]
        if model.api_base:
            kwargs["api_base"] = model.api_base
        if model.api_key_env:
            kwargs["api_key"] = os.environ.get(model.api_key_env, "")
        litellm = await litellm_module()
        loop = asyncio.get_running_loop()
        with map_litellm_errors(name):
            try:
                async with asyncio.timeout_at(min(loop.time() + deadlines.first_token, deadlines.end)):
                    response = await litellm.aembedding(num_retries=0, **kwargs)
            except TimeoutError:
                raise ProviderTimeoutError(f"{name} did not answer within {deadlines.first_token:g}s") from None
        payload = response.model_dump()
        payload["model"] = payload.get("model") or name
        return payload

    async def events(
        self, name: str, model: ModelSettings, request: ChatRequest, deadlines: Deadlines, *, stream: bool,
        extra_headers: dict[str, str] | None = None,
    ) -> AsyncIterator[list[Event]]:
        """One attempt through LiteLLM, as batches of gateway events (same contract as the direct transport)."""
        messages = list(request.messages)
        if request.fim is not None and not messages:
            messages = [{"role": "user", "content": request.fim.prefix}]
        if request.prefill:
            messages.append({"role": "assistant", "content": request.prefill})
        kwargs: dict[str, Any] = {**request.params, "model": model.litellm_model, "messages": messages,
                                  "stream": stream, "timeout": deadlines.start(stream)}
        if model.api_base:
            kwargs["api_base"] = model.api_base
        if model.api_key_env:
            kwargs["api_key"] = os.environ.get(model.api_key_env, "")
        if request.max_tokens:
            kwargs["max_tokens"] = request.max_tokens
        if request.tools:
            kwargs["tools"] = list(request.tools)
            if request.tool_choice is not None:
                kwargs["tool_choice"] = request.tool_choice
        forced = False
        if request.response_format:
            mode = structured_mode(model, request.response_format, bool(request.tools) and request.tool_choice != "none")
            if mode == "tool":
                tool, choice = forced_tool_openai(request.response_format)
                kwargs["tools"], kwargs["tool_choice"], forced = [tool], choice, True
            else:
                kwargs["response_format"] = request.response_format
        if request.logprobs:
            kwargs["logprobs"] = True
        headers = dict(extra_headers or {})
        if request.traceparent:
            headers["traceparent"] = request.traceparent
        if headers:
            kwargs["extra_headers"] = headers
        if stream:
            kwargs["stream_options"] = {"include_usage": True}
        loop = asyncio.get_running_loop()
        await litellm_module()
        with map_litellm_errors(name):
            try:
                async with asyncio.timeout_at(min(loop.time() + deadlines.start(stream), deadlines.end)):
                    response = await acompletion(**kwargs)
            except TimeoutError:
                raise ProviderTimeoutError(f"{name} did not answer within {deadlines.start(stream):g}s") from None
            if not stream:
                events = openai_wire.events_of_body(response.model_dump())
                yield answer_as_text(events) if forced else events
                return
            parser = openai_wire.ChatStreamParser()
            iterator = response.__aiter__()
            while True:
                try:
                    async with asyncio.timeout_at(min(loop.time() + deadlines.stall, deadlines.end)):
                        chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise ProviderTimeoutError(f"{name} stalled mid-stream (nothing for {deadlines.stall:g}s)") from None
                events = parser.feed(chunk.model_dump())
                if events:
                    yield answer_as_text(events) if forced else events
        end = parser.end()
        if end is None:
            raise ProviderUnavailableError(f"{name}'s stream ended before the answer was finished")
        yield answer_as_text([end]) if forced else [end]
