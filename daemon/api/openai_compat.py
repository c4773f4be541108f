"""OpenAI-compatible endpoints: ``/v1/chat/completions``, ``/v1/completions`` (with FIM ``suffix``), ``/v1/models``.

A request names ``auto``, ``auto:<policy>`` or a configured model. Same-format providers get the body
as sent (unknown fields kept); others get it translated, and a field they have no equivalent for keeps
the request off them (``daemon.api.features``, ``docs/features.md``). Replies name the model that answered and carry
``x-switchboard-trace-id``; errors use OpenAI's ``{"error": {...}}`` shape, also with the trace id.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import jsonwire
from daemon.api.features import openai_chat_native_only
from daemon.api.fields import OPENAI_CHAT, OPENAI_TEXT, check_body, refuse
from daemon.api.http import TRACE_HEADER, EncodedJson, body_of, developer_of, error_headers, header, services_of
from daemon.api.streaming import EventStream, unless_disconnected
from daemon.core import lifecycle, pipeline
from daemon.errors import InvalidRequestError, SwitchboardError
from daemon.gateway import (
    ChatRequest,
    Completion,
    Event,
    FimPrompt,
    Finish,
    NativeBody,
    StreamStart,
    TextDelta,
    ToolCallDelta,
)
from daemon.store.records import micros_to_usd

MODEL_HEADER = "x-switchboard-model"
PRIORITY_HEADER = "x-switchboard-priority"
_PRIORITY_KEY = PRIORITY_HEADER.encode()
_PARAMS = ("temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty", "user", "metadata",
           "parallel_tool_calls", "reasoning_effort", "logit_bias", "service_tier")
_DONE = b"data: [DONE]\n\n"


def _dumps(obj: Any) -> bytes:
    return jsonwire.dumps(obj)


def openai_error(exc: SwitchboardError, trace_id: str | None) -> Response:
    """An error in OpenAI's shape (``error.message/type/code``), with the trace id header."""
    body = {"error": {"message": exc.message, "type": exc.code, "code": exc.code, "param": exc.details.get("param")}}
    return Response(_dumps(body), status_code=exc.status, media_type="application/json",
                    headers=error_headers(exc, trace_id))


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or ``InvalidRequestError``."""
    try:
        body = jsonwire.loads(await body_of(request) or b"{}")
    except ValueError:
        raise InvalidRequestError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("the request body must be a JSON object")
    return body


def admit(request: Request, body: dict[str, Any]) -> pipeline.RequestContext:
    """The request's context on the ``api`` surface (priority header, incoming traceparent)."""
    priority = "critical" if (header(request, _PRIORITY_KEY) or "").lower() == "critical" else "normal"
    model = body.get("model")
    return pipeline.admit(services_of(request), developer_of(request), surface="api",
                          requested_model=model if isinstance(model, str) and model else "auto",
                          priority=priority, traceparent=header(request, b"traceparent"))


def usage_block(completion: Completion) -> dict[str, Any]:
    """OpenAI usage, naming the model that answered and what it cost."""
    usage = completion.usage
    return {
        "prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "model": completion.model, "cost_usd": micros_to_usd(completion.cost_micros),
    }


def _headers(ctx: pipeline.RequestContext, completion: Completion | None = None) -> dict[str, str]:
    headers = {TRACE_HEADER: ctx.trace_id}
    if completion is not None and completion.model:
        headers[MODEL_HEADER] = completion.model
    return headers


# -- chat completions -------------------------------------------------------------------------------


def chat_request(body: dict[str, Any], traceparent: str | None = None) -> ChatRequest:
    """An OpenAI chat body as the gateway's request (the body itself kept for faithful forwarding)."""
    check_body(body, OPENAI_CHAT, required=("messages",))
    tools = body.get("tools") or ()
    return ChatRequest(
        tuple(body["messages"]), max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
        tools=tuple(tools), tool_choice=body.get("tool_choice"), response_format=body.get("response_format"),
        logprobs=bool(body.get("logprobs")), top_logprobs=int(body.get("top_logprobs") or 0),
        params={k: body[k] for k in _PARAMS if k in body}, native=NativeBody("openai-chat", body),
        traceparent=traceparent, native_only=openai_chat_native_only(body),
    )


def chat_body(ctx: pipeline.RequestContext, completion: Completion) -> dict[str, Any]:
    """The chat completion object for a finished answer (the provider's own when it spoke OpenAI)."""
    if completion.raw is not None and completion.raw_wire == "openai-chat":
        body = completion.raw
        body["model"] = completion.model
        body["usage"] = {**(body.get("usage") or {}), "model": completion.model,
                         "cost_usd": micros_to_usd(completion.cost_micros)}
        return body
    message: dict[str, Any] = {"role": "assistant", "content": completion.text or None}
    if completion.tool_calls:
        message["tool_calls"] = completion.tool_calls
    logprobs = {"content": completion.logprobs} if completion.logprobs else None
    return {
        "id": f"chatcmpl-{completion.response_id or ctx.trace_id}", "object": "chat.completion",
        "created": int(ctx.started), "model": completion.model,
        "choices": [{"index": 0, "message": message, "logprobs": logprobs,
                     "finish_reason": completion.finish_reason or "stop"}],
        "usage": usage_block(completion),
    }


async def chat_chunks(ctx: pipeline.RequestContext, completion: Completion, first: list[Event],
                      rest: AsyncIterator[list[Event]], include_usage: bool) -> AsyncIterator[bytes]:
    """The chat completion stream: role chunk, deltas, finish chunk, usage chunk if asked, [DONE]."""
    rid = f"chatcmpl-{ctx.trace_id}"
    created = int(ctx.started)
    model = completion.model or ctx.requested_model

    def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> bytes:
        return b"data: " + _dumps({"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                                   "choices": [{"index": 0, "delta": delta, "logprobs": logprobs,
                                                "finish_reason": finish}]}) + b"\n\n"

    try:
        batch: list[Event] | None = first
        while batch is not None:
            out: list[bytes] = []
            for event in batch:
                if isinstance(event, TextDelta):
                    out.append(chunk({"content": event.text},
                                     logprobs={"content": event.logprobs} if event.logprobs else None))
                elif isinstance(event, StreamStart):
                    out.append(chunk({"role": "assistant", "content": ""}))
                elif isinstance(event, ToolCallDelta):
                    call: dict[str, Any] = {"index": event.index, "function": {"arguments": event.arguments}}
                    if event.id or event.name:
                        call.update({"id": event.id, "type": "function"})
                        call["function"]["name"] = event.name
                    out.append(chunk({"tool_calls": [call]}))
                elif isinstance(event, Finish):
                    model = completion.model or model
                    out.append(chunk({}, event.reason))
                    if include_usage:
                        out.append(b"data: " + _dumps({"id": rid, "object": "chat.completion.chunk",
                                                       "created": created, "model": model, "choices": [],
                                                       "usage": usage_block(completion)}) + b"\n\n")
                    out.append(_DONE)
            if out:
                yield b"".join(out)
            batch = await anext(rest, None)
    except SwitchboardError as exc:
        yield b"data: " + _dumps({"error": {"message": exc.message, "type": exc.code, "code": exc.code,
                                            "param": None}}) + b"\n\n"
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``."""
    services = services_of(request)
    ctx: pipeline.RequestContext | None = None
    try:
        body = await read_json(request)
        ctx = admit(request, body)
        chat = chat_request(body, ctx.traceparent)
        ctx.prompt_text = pipeline.prompt_text_of(chat)
        chat = await guarded(services, ctx, chat)
        routing = pipeline.routing_input(ctx, chat)
        if not body.get("stream"):
            _, completion = await lifecycle.execute(services, ctx, chat, routing)
            return EncodedJson(_dumps(chat_body(ctx, completion)), _headers(ctx, completion))
        _, completion, first, rest = await unless_disconnected(
            request, lifecycle.execute_stream(services, ctx, chat, routing))
    except SwitchboardError as exc:
        return openai_error(exc, ctx.trace_id if ctx else None)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return EventStream(chat_chunks(ctx, completion, first, rest, include_usage),  # type: ignore[return-value]
                       headers=_headers(ctx, completion))


async def guarded(services: Any, ctx: pipeline.RequestContext, chat: ChatRequest) -> ChatRequest:
    """The guard step, recording a refused trace when it blocks."""
    try:
        return await pipeline.guard(services, ctx, chat)
    except SwitchboardError as exc:
        pipeline.record(services, ctx, None, Completion(), exc)
        raise


# -- legacy completions (fill-in-the-middle) --------------------------------------------------------


def text_request(body: dict[str, Any]) -> ChatRequest:
    """A legacy completions body as the gateway's request: FIM for models that take it, chat otherwise."""
    check_body(body, OPENAI_TEXT, required=("prompt",))
    prompt = body["prompt"]
    if isinstance(prompt, list):
        if len(prompt) != 1:
            raise refuse("prompt", "must be one string (batches of prompts are not supported)")
        prompt = prompt[0]
    suffix = body.get("suffix") or ""
    if suffix:
        user = ("Complete the code at <CURSOR>. Reply with only the code that belongs there.\n"
                f"{prompt}<CURSOR>{suffix}")
    else:
        user = prompt
    return ChatRequest(
        ({"role": "user", "content": user},), max_tokens=body.get("max_tokens"), fim=FimPrompt(prompt, suffix),
        params={k: body[k] for k in _PARAMS if k in body}, native=NativeBody("openai-text", body),
        logprobs=body.get("logprobs") not in (None, False, 0),
    )


def text_body(ctx: pipeline.RequestContext, completion: Completion) -> dict[str, Any]:
    """The text completion object for a finished answer."""
    if completion.raw is not None and completion.raw_wire == "openai-text":
        body = completion.raw
        body["model"] = completion.model
        body["usage"] = {**(body.get("usage") or {}), "model": completion.model}
        return body
    return {
        "id": f"cmpl-{ctx.trace_id}", "object": "text_completion", "created": int(ctx.started),
        "model": completion.model,
        "choices": [{"text": completion.text, "index": 0, "logprobs": None,
                     "finish_reason": completion.finish_reason or "stop"}],
        "usage": usage_block(completion),
    }


async def text_chunks(ctx: pipeline.RequestContext, completion: Completion, first: list[Event],
                      rest: AsyncIterator[list[Event]], include_usage: bool) -> AsyncIterator[bytes]:
    """The text completion stream."""
    base = {"id": f"cmpl-{ctx.trace_id}", "object": "text_completion", "created": int(ctx.started)}

    def data(obj: dict[str, Any]) -> bytes:
        return b"data: " + _dumps(obj) + b"\n\n"

    try:
        batch: list[Event] | None = first
        while batch is not None:
            model = completion.model or ctx.requested_model
            out: list[bytes] = []
            for event in batch:
                if isinstance(event, TextDelta):
                    out.append(data({**base, "model": model, "choices": [
                        {"text": event.text, "index": 0, "logprobs": None, "finish_reason": None}]}))
                elif isinstance(event, Finish):
                    out.append(data({**base, "model": model, "choices": [
                        {"text": "", "index": 0, "logprobs": None, "finish_reason": event.reason}]}))
                    if include_usage:
                        out.append(data({**base, "model": model, "choices": [], "usage": usage_block(completion)}))
                    out.append(_DONE)
            if out:
                yield b"".join(out)
            batch = await anext(rest, None)
    except SwitchboardError as exc:
        yield data({"error": {"message": exc.message, "type": exc.code, "code": exc.code}})
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def completions(request: Request) -> Response:
    """``POST /v1/completions``."""
    services = services_of(request)
    ctx: pipeline.RequestContext | None = None
    try:
        body = await read_json(request)
        ctx = admit(request, body)
        chat = text_request(body)
        ctx.prompt_text = pipeline.prompt_text_of(ChatRequest((), fim=chat.fim))
        chat = await guarded(services, ctx, chat)
        routing = pipeline.routing_input(ctx, chat, task_hint="code_completion" if chat.fim.suffix else None)  # type: ignore[union-attr]
        if not body.get("stream"):
            _, completion = await lifecycle.execute(services, ctx, chat, routing)
            return Response(_dumps(text_body(ctx, completion)), media_type="application/json",
                            headers=_headers(ctx, completion))
        _, completion, first, rest = await unless_disconnected(
            request, lifecycle.execute_stream(services, ctx, chat, routing))
    except SwitchboardError as exc:
        return openai_error(exc, ctx.trace_id if ctx else None)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return EventStream(text_chunks(ctx, completion, first, rest, include_usage),  # type: ignore[return-value]
                       headers=_headers(ctx, completion))


# -- models ---------------------------------------------------------------------------------------------


def model_object(name: str, anthropic: bool, now: int) -> dict[str, Any]:
    """One model in OpenAI's shape, or Anthropic's."""
    if anthropic:
        return {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}
    return {"id": name, "object": "model", "created": now, "owned_by": "switchboard"}


def speaks_anthropic(request: Request) -> bool:
    """Whether the caller is an Anthropic client (its SDK sends ``anthropic-version`` on every call)."""
    return header(request, b"anthropic-version") is not None


async def models(request: Request) -> Response:
    """``GET /v1/models``: ``auto``, each ``auto:<policy>``, and every enabled model (Anthropic's shape
    when the caller sends ``anthropic-version``)."""
    settings = services_of(request).settings
    names = ["auto", *(f"auto:{p}" for p in settings.routing.policies)]
    names += [name for name, model in settings.models.items() if model.enabled]
    now = int(time.time())
    objects = [model_object(n, speaks_anthropic(request), now) for n in names]
    if speaks_anthropic(request):
        data: dict[str, Any] = {"data": objects, "has_more": False, "first_id": names[0], "last_id": names[-1]}
    else:
        data = {"object": "list", "data": objects}
    return Response(_dumps(data), media_type="application/json")


routes = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
    Route("/v1/models", models, methods=["GET"]),
]
