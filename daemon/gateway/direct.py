"""The direct path: OpenAI- and Anthropic-format providers called over pooled keep-alive connections.

The HTTP client was chosen by measurement (``bench/gateway_overhead.py``): httpx falls to a few
hundred requests/s under concurrency, ``litellm.acompletion`` costs ~6 ms of CPU a call, aiohttp was
the daemon's largest single cost per request, so the hop uses ``http1.Http1Client`` (see there).
Provider errors are mapped to ``daemon.errors`` here, once; timeouts are per read so a stalled
stream is noticed without timing the caller's own work. Proxies and trusted CAs come from the
environment, read once when the transport is made (``daemon.gateway.proxies``); the daemon's own
simulated providers are always reached directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from daemon import jsonwire
from daemon.config import ModelSettings
from daemon.errors import (
    ContentFilterError,
    ContextLengthError,
    InvalidRequestError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from daemon.gateway import anthropic_wire, openai_wire
from daemon.gateway.honour import answer_as_text, structured_mode
from daemon.gateway.http1 import Http1Client, HttpRequestError, Response
from daemon.gateway.proxies import NO_PROXIES
from daemon.gateway.types import ChatRequest, Event, Finish, RawBody

log = logging.getLogger("switchboard.gateway")

DIRECT_PROVIDERS = frozenset({"openai", "anthropic"})
ANTHROPIC_VERSION = "2023-06-01"
_MAX_ERROR_BODY = 64 * 1024
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})
"""Error codes of a provider's content filter (Azure's, OpenAI's safety system)."""
DRAIN_SECONDS = 2.0
"""How long a finished stream's connection may take to reach the end of its body and be reused."""


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long an attempt may take to connect, to its whole body when not streamed, to a stream's first
    byte, between chunks (seconds), and when the whole call must be over (loop time, shared by every attempt)."""

    connect: float
    first_token: float
    stall: float
    end: float
    stream_first: float

    def start(self, stream: bool) -> float:
        """Seconds the attempt may take before it has started answering."""
        return self.stream_first if stream else self.first_token


def endpoint(model: ModelSettings, request: ChatRequest) -> str:
    """Which provider API a request uses: ``anthropic``, ``openai-text`` (FIM) or ``openai-chat``."""
    if model.provider == "anthropic":
        return "anthropic"
    if request.fim is not None and ("fim" in model.capabilities or not request.messages):
        return "openai-text"
    return "openai-chat"


def model_id(model: ModelSettings) -> str:
    """The provider's model id (LiteLLM id without its provider prefix)."""
    return model.litellm_model.split("/", 1)[1] if "/" in model.litellm_model else model.litellm_model


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def provider_error(name: str, status: int, body: bytes, headers: Any) -> ProviderError | InvalidRequestError:
    """The Switchboard error for a provider's HTTP error response."""
    try:
        payload = json.loads(body)
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
    except ValueError:
        error = {}
    message = str(error.get("message") or body[:300].decode(errors="replace") or f"HTTP {status}")
    code = str(error.get("code") or error.get("type") or "")
    lowered = message.lower()
    details: dict[str, Any] = {"model": name, "http_status": status}
    where = f"{name} answered HTTP {status}: {message}"
    if status == 429:
        details["retry_after"] = _retry_after(headers)
        return ProviderRateLimitError(where, details=details)
    if status in (400, 413, 422):
        if code == "context_length_exceeded" or "context length" in lowered or "prompt is too long" in lowered:
            return ContextLengthError(where + " (no configured fallback has a larger context window)", details=details)
        if code in _FILTER_CODES or "content filter" in lowered or "content management" in lowered:
            return ContentFilterError(f"{name}'s content filter refused the request: {message}", details=details)
        if "prefill" in lowered:
            # The model cannot continue an assistant turn: the request is fine, only not for this model.
            details["prefill_unsupported"] = True
        return InvalidRequestError(where + "; fix the request (retrying it unchanged would fail again)",
                                   details=details)
    if status >= 500:
        return ProviderUnavailableError(where, details=details)
    if status in (401, 403):
        return ProviderError(f"{name} refused its API key (HTTP {status}): {message}; check the environment "
                             f"variable named by models.{name}.api_key_env", details=details)
    return ProviderError(where, details=details)


class DirectTransport:
    """POSTs to OpenAI/Anthropic-format providers and turns what comes back into gateway events."""

    def __init__(self) -> None:
        self._http = Http1Client()
        self._local = Http1Client(proxies=NO_PROXIES)
        """For simulated models: the daemon's own providers on this machine, never behind a proxy."""
        self._draining: set[asyncio.Task[None]] = set()

    async def warm(self) -> None:
        """Load the trust store off the event loop, so the first TLS connection does not wait for it."""
        try:
            await asyncio.to_thread(self._http.tls_context)
        except ssl.SSLError as exc:
            log.warning("%s; requests to https providers will fail until it is fixed", exc)

    def _let_go(self, response: Response) -> None:
        """Give a finished response's connection back to the pool.

        A stream is finished at its last event (``[DONE]``, ``message_stop``), which can arrive a
        moment before the end of the HTTP body; releasing it then would close the connection, and
        the next request would pay a new connection (a TLS handshake with a real provider). So the
        body's end is awaited in the background, briefly, off the caller's critical path.
        """
        if response.at_eof():
            response.release()
            return
        task = asyncio.get_running_loop().create_task(self._drain(response))
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)

    @staticmethod
    async def _drain(response: Response) -> None:
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                while await response.read_chunk():
                    pass
        except asyncio.CancelledError:
            response.close()
            raise
        except Exception:  # noqa: BLE001 - too slow or broken: the connection is simply not reused
            response.close()
            return
        response.release()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for task in list(self._draining):
            task.cancel()
        await self._http.aclose()
        await self._local.aclose()

    def _request(self, name: str, model: ModelSettings, request: ChatRequest, stream: bool,
                 extra_headers: dict[str, str] | None) -> tuple[str, dict[str, str], dict[str, Any], str, bool]:
        """(url, headers, body, endpoint kind, whether the answer comes as a forced tool's call)."""
        kind = endpoint(model, request)
        structured = None
        if request.response_format:
            structured = structured_mode(model, request.response_format,
                                         bool(request.tools) and request.tool_choice != "none")
        key = os.environ.get(model.api_key_env, "") if model.api_key_env else ""
        headers = {"content-type": "application/json"}
        if request.traceparent:
            headers["traceparent"] = request.traceparent
        if kind == "anthropic":
            base = (model.api_base or "https://api.anthropic.com").rstrip("/")
            url = base + "/messages" if base.endswith("/v1") else base + "/v1/messages"
            headers["anthropic-version"] = ANTHROPIC_VERSION
            if key:
                headers["x-api-key"] = key
            body = anthropic_wire.messages_body(request, model_id(model), stream=stream,
                                                reasoning="reasoning" in model.capabilities, structured=structured)
        else:
            base = (model.api_base or "https://api.openai.com/v1").rstrip("/")
            if key:
                headers["authorization"] = f"Bearer {key}"
            if kind == "openai-text":
                url = base + "/completions"
                body = openai_wire.text_body(request, model_id(model), stream=stream)
            else:
                url = base + "/chat/completions"
                body = openai_wire.chat_body(request, model_id(model), stream=stream,
                                             reasoning="reasoning" in model.capabilities, structured=structured)
        if extra_headers:
            headers.update(extra_headers)
        return url, headers, body, kind, structured == "tool"

    async def count_tokens(self, name: str, model: ModelSettings, body: dict[str, Any], deadlines: Deadlines) -> int:
        """``POST /v1/messages/count_tokens`` on an Anthropic-format deployment."""
        base = (model.api_base or "https://api.anthropic.com").rstrip("/")
        url = base + ("/messages/count_tokens" if base.endswith("/v1") else "/v1/messages/count_tokens")
        headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        key = os.environ.get(model.api_key_env, "") if model.api_key_env else ""
        if key:
            headers["x-api-key"] = key
        loop = asyncio.get_running_loop()
        response: Response | None = None
        try:
            async with asyncio.timeout_at(min(loop.time() + deadlines.first_token, deadlines.end)):
                response = await (self._local if model.simulated else self._http).post(url, headers, json.dumps({**body, "model": model_id(model)}).encode(),
                                                  connect_timeout=deadlines.connect)
                raw = await response.read(None if response.status < 400 else _MAX_ERROR_BODY)
            if response.status >= 400:
                raise provider_error(name, response.status, raw, response.headers)
        except TimeoutError:
            raise ProviderTimeoutError(f"{name} did not count tokens in time", details={"model": name}) from None
        except ConnectionError as exc:
            raise ProviderUnavailableError(f"{name}: connection failed ({exc})", details={"model": name}) from None
        finally:
            if response is not None:
                response.release()
        try:
            return int(json.loads(raw)["input_tokens"])
        except (ValueError, KeyError, TypeError):
            raise ProviderError(f"{name} sent a count_tokens answer without input_tokens",
                                details={"model": name}) from None

    async def embed(self, name: str, model: ModelSettings, body: dict[str, Any], deadlines: Deadlines) -> dict[str, Any]:
        """``POST /embeddings`` on an OpenAI-format deployment: the provider's answer (``data`` checked)."""
        base = (model.api_base or "https://api.openai.com/v1").rstrip("/")
        headers = {"content-type": "application/json"}
        key = os.environ.get(model.api_key_env, "") if model.api_key_env else ""
        if key:
            headers["authorization"] = f"Bearer {key}"
        loop = asyncio.get_running_loop()
        response: Response | None = None
        try:
            async with asyncio.timeout_at(min(loop.time() + deadlines.first_token, deadlines.end)):
                response = await self._http.post(base + "/embeddings", headers,
                                                  jsonwire.dumps({**body, "model": model_id(model)}),
                                                  connect_timeout=deadlines.connect)
                raw = await response.read(None if response.status < 400 else _MAX_ERROR_BODY)
            if response.status >= 400:
                raise provider_error(name, response.status, raw, response.headers)
        except TimeoutError:
            raise ProviderTimeoutError(f"{name} did not answer within {deadlines.first_token:g}s",
                                       details={"model": name}) from None
        except ConnectionError as exc:
            raise ProviderUnavailableError(f"{name}: connection failed ({exc})", details={"model": name}) from None
        except HttpRequestError as exc:
            raise ProviderError(f"{name} cannot be called: {exc}; check models.{name}.api_base",
                                details={"model": name}) from None
        finally:
            if response is not None:
                response.release()
        try:
            payload = jsonwire.loads(raw)
            if not isinstance(payload.get("data"), list):
                raise ValueError("no data")
        except (ValueError, AttributeError):
            raise ProviderError(f"{name} sent an embeddings answer that is not valid JSON with 'data'",
                                details={"model": name, "malformed": True}) from None
        return payload

    async def events(
        self, name: str, model: ModelSettings, request: ChatRequest, deadlines: Deadlines, *, stream: bool,
        extra_headers: dict[str, str] | None = None,
    ) -> AsyncIterator[list[Event]]:
        """One attempt: send, then yield its events, a batch per network read (so a stream that arrives
        in one packet costs one pass through every layer above); raises a ``ProviderError`` on any failure.

        The last event is always ``Finish``; a stream that ends without saying why it stopped raises.
        """
        url, headers, body, kind, forced = self._request(name, model, request, stream, extra_headers)
        loop = asyncio.get_running_loop()
        first_token_at = loop.time() + deadlines.start(stream)
        response: Response | None = None
        finished = False
        try:
            try:
                async with asyncio.timeout_at(min(first_token_at, deadlines.end)):
                    response = await (self._local if model.simulated else self._http).post(url, headers, jsonwire.dumps(body),
                                                     connect_timeout=deadlines.connect)
                    if response.status >= 400:
                        raw = await response.read(_MAX_ERROR_BODY)
                        raise provider_error(name, response.status, raw, response.headers)
                    if not stream:
                        raw = await response.read()
            except TimeoutError:
                what = "start streaming" if stream else "answer"
                raise ProviderTimeoutError(f"{name} did not {what} within {deadlines.start(stream):g}s",
                                           details={"model": name}) from None
            if not stream:
                try:
                    payload = jsonwire.loads(raw)
                    events = (anthropic_wire.events_of_body(payload) if kind == "anthropic"
                              else openai_wire.events_of_body(payload, text=kind == "openai-text"))
                except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                    raise ProviderError(f"{name} sent a response that is not valid JSON of its format",
                                        details={"model": name, "malformed": True}) from None
                finished = True
                if forced:  # the answer is the forced tool's arguments: the provider's own body is not it
                    yield answer_as_text(events)
                else:
                    yield [*events[:-1], RawBody(payload, kind), events[-1]]  # type: ignore[arg-type]
                return
            parser: Any = (anthropic_wire.MessagesStreamParser() if kind == "anthropic"
                           else openai_wire.TextStreamParser() if kind == "openai-text"
                           else openai_wire.ChatStreamParser())
            end: Finish | None
            async for batch, done in self._sse(name, response, first_token_at, deadlines):
                events = []
                for data in batch:
                    try:
                        events.extend(parser.feed(jsonwire.loads(data)))
                    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                        if events:
                            yield answer_as_text(events) if forced else events  # what came before the garbage is good
                        raise ProviderError(f"{name} sent a malformed stream chunk",
                                            details={"model": name, "malformed": True}) from None
                if forced:
                    events = answer_as_text(events)
                if (done or parser.complete) and (end := parser.end()) is not None:
                    # The last text and the end travel together: one pass through the layers above,
                    # and the caller's last delta and its end go out in one write.
                    finished = True
                    yield [*events, *(answer_as_text([end]) if forced else [end])]
                    return
                if events:
                    yield events
                if done:
                    break
            end = parser.end()
            if end is None:
                raise ProviderUnavailableError(f"{name}'s stream ended before the answer was finished",
                                               details={"model": name})
            finished = True
            yield answer_as_text([end]) if forced else [end]
        except ConnectionError as exc:
            raise ProviderUnavailableError(f"{name}: connection failed ({type(exc).__name__}: {exc})",
                                           details={"model": name}) from None
        except HttpRequestError as exc:
            raise ProviderError(f"{name} cannot be called: {exc}; check models.{name}.api_base and the "
                                "environment variable its api_key_env names", details={"model": name}) from None
        finally:
            if response is not None:
                if finished:
                    self._let_go(response)
                else:
                    # Closing (not releasing) the connection is what tells the provider to stop generating.
                    response.close()

    async def _sse(self, name: str, response: Response, first_token_at: float,
                   deadlines: Deadlines) -> AsyncIterator[tuple[list[bytes], bool]]:
        """The ``data:`` payloads of an SSE body, a list per network read, each with whether that read
        ended the stream (``[DONE]``); each read is bounded by the stall timeout (the first by the
        first-token timeout)."""
        loop = asyncio.get_running_loop()
        buffer = b""
        first = True
        while True:
            limit = first_token_at if first else loop.time() + deadlines.stall
            try:
                async with asyncio.timeout_at(min(limit, deadlines.end)):
                    chunk = await response.read_chunk()
            except TimeoutError:
                if first:
                    what = f"did not start streaming within {deadlines.stream_first:g}s"
                else:
                    what = f"stalled mid-stream (nothing for {deadlines.stall:g}s)"
                raise ProviderTimeoutError(f"{name} {what}", details={"model": name}) from None
            if not chunk:
                return
            first = False
            buffer = buffer + chunk if buffer else chunk
            if b"\r" in buffer:
                buffer = buffer.replace(b"\r\n", b"\n")
            found: list[bytes] = []
            done = False
            while True:
                cut = buffer.find(b"\n\n")
                if cut < 0:
                    break
                block, buffer = buffer[:cut], buffer[cut + 2:]
                data = None
                for line in block.split(b"\n"):
                    if line.startswith(b"data:"):
                        piece = line[5:].lstrip(b" ")
                        data = piece if data is None else data + b"\n" + piece
                if data is None:
                    continue
                if data == b"[DONE]":
                    done = True
                    break
                found.append(data)
            if found or done:
                yield found, done
            if done:
                return
