"""Anthropic-compatible endpoints: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

What Claude Code (``ANTHROPIC_BASE_URL``) and the Anthropic SDK expect: the Messages shape, the stream
event sequence (message_start, content blocks, message_delta, message_stop), tool_use/tool_result and
thinking blocks passed through, errors as ``{"type": "error", "error": {...}}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import jsonwire
from daemon.api.features import anthropic_native_only, anthropic_reasoning_effort, anthropic_response_format
from daemon.api.fields import ANTHROPIC_COUNT_TOKENS, ANTHROPIC_MESSAGES, check_body
from daemon.api.http import TRACE_HEADER, EncodedJson, error_headers, header, services_of
from daemon.api.openai_compat import MODEL_HEADER, admit, guarded, read_json
from daemon.api.streaming import EventStream, unless_disconnected
from daemon.config.candidates import excluded_reason
from daemon.core import lifecycle, pipeline
from daemon.errors import ProviderError, SwitchboardError
from daemon.gateway import (
    ChatRequest,
    Completion,
    Event,
    Finish,
    NativeBody,
    StreamStart,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    estimate_input_tokens,
)
from daemon.gateway.anthropic_wire import FINISH_TO_STOP, openai_messages, openai_tools
from daemon.guard import redact_values
from daemon.store.records import micros_to_usd

log = logging.getLogger("switchboard.api")

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                403: "permission_error", 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
                503: "overloaded_error", 504: "timeout_error"}
_PASS_HEADERS = ("anthropic-beta",)


def _passed_headers(request: Request) -> dict[str, str] | None:
    """The caller's headers a provider of the same format should see too (``_PASS_HEADERS``)."""
    passed = {name: value for name in _PASS_HEADERS if (value := header(request, name.encode())) is not None}
    return passed or None


def _dumps(obj: Any) -> bytes:
    return jsonwire.dumps(obj)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _dumps(data) + b"\n\n"


def _error_body(exc: SwitchboardError) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(exc.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": exc.message, "code": exc.code}}


def anthropic_error(exc: SwitchboardError, trace_id: str | None) -> Response:
    """An error in Anthropic's shape, with the trace id header."""
    return Response(_dumps(_error_body(exc)), status_code=exc.status, media_type="application/json",
                    headers=error_headers(exc, trace_id))


def chat_request(body: dict[str, Any], traceparent: str | None = None) -> ChatRequest:
    """An Anthropic Messages body as the gateway's request (the body kept for faithful forwarding), its
    fields in OpenAI's terms for a provider of the other format (``docs/features.md``)."""
    check_body(body, ANTHROPIC_MESSAGES, required=("messages", "max_tokens"))
    tools, choice = openai_tools(body)
    params: dict[str, Any] = {k: body[k] for k in ("temperature", "top_p") if body.get(k) is not None}
    if body.get("stop_sequences"):
        params["stop"] = list(body["stop_sequences"])
    user = (body.get("metadata") or {}).get("user_id")
    if user:
        params["user"] = user
    if tools and (body.get("tool_choice") or {}).get("disable_parallel_tool_use"):
        params["parallel_tool_calls"] = False
    effort = anthropic_reasoning_effort(body)
    if effort:
        params["reasoning_effort"] = effort
    return ChatRequest(tuple(openai_messages(body)), max_tokens=body["max_tokens"], tools=tools, tool_choice=choice,
                       response_format=anthropic_response_format(body), params=params,
                       native=NativeBody("anthropic", body), traceparent=traceparent,
                       native_only=anthropic_native_only(body))


def usage_block(completion: Completion) -> dict[str, Any]:
    """Anthropic usage (input excludes cache reads and writes), naming the model that answered."""
    usage = completion.usage
    return {
        "input_tokens": max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens),
        "output_tokens": usage.output_tokens, "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "model": completion.model, "cost_usd": micros_to_usd(completion.cost_micros),
    }


def message_body(ctx: pipeline.RequestContext, completion: Completion) -> dict[str, Any]:
    """The message object for a finished answer (the provider's own when it spoke Anthropic)."""
    if completion.raw is not None and completion.raw_wire == "anthropic":
        body = completion.raw
        body["model"] = completion.model
        body["usage"] = {**(body.get("usage") or {}), "model": completion.model,
                         "cost_usd": micros_to_usd(completion.cost_micros)}
        return body
    content: list[dict[str, Any]] = [{"type": "text", "text": completion.text}] if completion.text else []
    for call in completion.tool_calls:
        try:
            arguments = json.loads(call["function"]["arguments"] or "{}")
        except ValueError:
            arguments = {}
        content.append({"type": "tool_use", "id": call["id"], "name": call["function"]["name"], "input": arguments})
    return {
        "id": f"msg_{completion.response_id or ctx.trace_id}", "type": "message", "role": "assistant",
        "model": completion.model, "content": content,
        "stop_reason": FINISH_TO_STOP.get(completion.finish_reason or "stop", "end_turn"), "stop_sequence": None,
        "usage": usage_block(completion),
    }


class _Blocks:
    """Which content block is open in a rendered stream, so block starts and stops always pair up."""

    def __init__(self) -> None:
        self.index = -1
        self.kind: str | None = None
        self.tool_blocks: dict[int, int] = {}

    def open(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        out = self.close()
        self.index += 1
        self.kind = kind
        out.append(_event("content_block_start", {"type": "content_block_start", "index": self.index,
                                                  "content_block": block}))
        return out

    def close(self) -> list[bytes]:
        if self.kind is None:
            return []
        self.kind = None
        return [_event("content_block_stop", {"type": "content_block_stop", "index": self.index})]


def _render(event: Event, blocks: _Blocks, ctx: pipeline.RequestContext, completion: Completion) -> list[bytes]:
    """The Anthropic stream events for one gateway event."""
    out: list[bytes] = []
    if isinstance(event, TextDelta):
        if blocks.kind != "text":
            out += blocks.open("text", {"type": "text", "text": ""})
        out.append(_event("content_block_delta", {"type": "content_block_delta", "index": blocks.index,
                                                  "delta": {"type": "text_delta", "text": event.text}}))
    elif isinstance(event, StreamStart):
        message = {"id": f"msg_{ctx.trace_id}", "type": "message", "role": "assistant",
                   "model": completion.model or ctx.requested_model, "content": [], "stop_reason": None,
                   "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}
        out.append(_event("message_start", {"type": "message_start", "message": message}))
        out.append(_event("ping", {"type": "ping"}))
    elif isinstance(event, ThinkingDelta):
        if blocks.kind != "thinking":
            out += blocks.open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        delta = ({"type": "signature_delta", "signature": event.signature} if event.signature
                 else {"type": "thinking_delta", "thinking": event.text})
        out.append(_event("content_block_delta", {"type": "content_block_delta", "index": blocks.index,
                                                  "delta": delta}))
    elif isinstance(event, ToolCallDelta):
        if event.id or event.name or event.index not in blocks.tool_blocks:
            out += blocks.open("tool_use", {"type": "tool_use", "id": event.id or "", "name": event.name or "",
                                            "input": {}})
            blocks.tool_blocks[event.index] = blocks.index
        if event.arguments:
            out.append(_event("content_block_delta", {
                "type": "content_block_delta", "index": blocks.tool_blocks[event.index],
                "delta": {"type": "input_json_delta", "partial_json": event.arguments}}))
    elif isinstance(event, Finish):
        out += blocks.close()
        out.append(_event("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": FINISH_TO_STOP.get(event.reason, "end_turn"), "stop_sequence": None},
            "usage": usage_block(completion)}))
        out.append(_event("message_stop", {"type": "message_stop"}))
    return out


async def message_events(ctx: pipeline.RequestContext, completion: Completion, first: list[Event],
                         rest: AsyncIterator[list[Event]]) -> AsyncIterator[bytes]:
    """The Anthropic stream event sequence for the answer's events."""
    blocks = _Blocks()
    try:
        batch: list[Event] | None = first
        while batch is not None:
            out = [piece for event in batch for piece in _render(event, blocks, ctx, completion)]
            if out:
                yield b"".join(out)
            batch = await anext(rest, None)
    except SwitchboardError as exc:
        yield _event("error", _error_body(exc))
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def messages(request: Request) -> Response:
    """``POST /v1/messages``."""
    services = services_of(request)
    ctx: pipeline.RequestContext | None = None
    try:
        body = await read_json(request)
        ctx = admit(request, body)
        chat = chat_request(body, ctx.traceparent)
        ctx.prompt_text = pipeline.prompt_text_of(chat)
        chat = await guarded(services, ctx, chat)
        routing = pipeline.routing_input(ctx, chat)
        extra = _passed_headers(request)
        if not body.get("stream"):
            _, completion = await lifecycle.execute(services, ctx, chat, routing, extra_headers=extra)
            headers = {TRACE_HEADER: ctx.trace_id, MODEL_HEADER: completion.model or ""}
            return EncodedJson(_dumps(message_body(ctx, completion)), headers)
        _, completion, first, rest = await unless_disconnected(request, lifecycle.execute_stream(
            services, ctx, chat, routing, extra_headers=extra))
    except SwitchboardError as exc:
        return anthropic_error(exc, ctx.trace_id if ctx else None)
    headers = {TRACE_HEADER: ctx.trace_id, MODEL_HEADER: completion.model or ""}
    return EventStream(message_events(ctx, completion, first, rest), headers=headers)  # type: ignore[return-value]


def _counting_model(settings: Any, requested: Any) -> str | None:
    """The Anthropic-format model to ask for a count: the one named if it is one, else the first such
    model that is usable (enabled, its key set); None when there is none."""
    names = [requested] if isinstance(requested, str) and requested in settings.models else []
    names += [name for name in settings.models if name not in names]
    return next((name for name in names if settings.models[name].provider == "anthropic"
                 and excluded_reason(settings.models[name]) is None), None)


def _local_count(body: dict[str, Any]) -> int:
    """The gateway's own estimate (about four characters a token), tool definitions included."""
    tools = body.get("tools")
    return estimate_input_tokens(chat_request({**body, "max_tokens": 1})) + (len(json.dumps(tools)) // 4 if tools else 0)


async def count_tokens(request: Request) -> Response:
    """``POST /v1/messages/count_tokens``: asked of a usable Anthropic-format model (the named one, else the
    first), with the body redacted first when that model is external; estimated locally when there is
    no such model or it cannot answer."""
    services = services_of(request)
    try:
        body = await read_json(request)
        check_body(body, ANTHROPIC_COUNT_TOKENS, required=("messages",))
        target = _counting_model(services.settings, body.get("model"))
        tokens = _local_count(body)
        if target is not None:
            outgoing = await _guarded_body(services, body, services.settings.models[target].is_external)
            try:
                tokens = await services.gateway.count_tokens(target, outgoing)
            except ProviderError as exc:
                log.warning("count_tokens: %s could not count (%s); answered with the local estimate",
                            target, exc.message)
    except SwitchboardError as exc:
        return anthropic_error(exc, None)
    return Response(_dumps({"input_tokens": tokens}), media_type="application/json")


async def _guarded_body(services: Any, body: dict[str, Any], external: bool) -> dict[str, Any]:
    """``body`` as an external model may see it: every string redacted (keys included)."""
    settings = services.settings.guard
    if not external or not (settings.redact_secrets or settings.redact_pii):
        return body
    [(redacted, _)] = await redact_values(services.scans, [body], secrets=settings.redact_secrets,
                                          pii=settings.redact_pii, timeout=settings.scan_timeout)
    return redacted


routes = [
    Route("/v1/messages", messages, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
]
