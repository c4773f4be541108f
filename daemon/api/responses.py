"""``POST /v1/responses``: the OpenAI Responses API (what Codex and ``client.responses.create`` speak).

Routed, budgeted and traced like a chat completion, on any provider format: the request becomes the
gateway's chat form (``responses_wire``), and the answer comes back as a Response object or, streamed,
as the API's semantic events in the order the OpenAI SDK and Codex read them::

    response.created, response.in_progress
    per text item: response.output_item.added, response.content_part.added,
                   response.output_text.delta..., response.output_text.done,
                   response.content_part.done, response.output_item.done
    per tool call: response.output_item.added, response.function_call_arguments.delta...,
                   response.function_call_arguments.done, response.output_item.done
                   (a free-form tool: response.custom_tool_call_input.delta / .done)
    response.completed (or response.incomplete when cut by max_output_tokens; response.failed on an error)

Every event carries ``sequence_number``. Errors before the first event are plain HTTP errors in
OpenAI's shape, as for chat completions.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import jsonwire
from daemon.api.http import TRACE_HEADER, EncodedJson, services_of
from daemon.api.openai_compat import MODEL_HEADER, admit, guarded, openai_error, read_json
from daemon.api.responses_wire import ToolNames, chat_request
from daemon.api.streaming import EventStream, unless_disconnected
from daemon.core import lifecycle, pipeline
from daemon.errors import SwitchboardError
from daemon.gateway import Completion, Event, Finish, StreamStart, TextDelta, ToolCallDelta
from daemon.store.records import micros_to_usd

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
DROPPED_TOOLS_HEADER = "x-switchboard-dropped-tools"
"""Names the built-in tools the request offered that the model was not shown (they run on OpenAI's servers)."""


def usage_block(completion: Completion) -> dict[str, Any]:
    """Responses usage, naming the model that answered and what it cost."""
    usage = completion.usage
    return {
        "input_tokens": usage.input_tokens, "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens, "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "model": completion.model, "cost_usd": micros_to_usd(completion.cost_micros),
    }


def _envelope(ctx: pipeline.RequestContext, body: dict[str, Any], model: str | None, status: str,
              output: list[dict[str, Any]]) -> dict[str, Any]:
    """The Response object around ``output``: what was asked, echoed as the API does."""
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    return {
        "id": f"resp_{ctx.trace_id}", "object": "response", "created_at": int(ctx.started), "status": status,
        "background": False, "error": None, "incomplete_details": None,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "model": model or ctx.requested_model, "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True), "previous_response_id": None,
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None}, "store": False,
        "temperature": body.get("temperature", 1.0), "text": {"format": {"type": "text"}, **text},
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0), "truncation": body.get("truncation", "disabled"),
        "usage": None, "user": body.get("user"), "metadata": body.get("metadata") or {},
    }


def _finished(envelope: dict[str, Any], completion: Completion, reason: str | None) -> dict[str, Any]:
    incomplete = _INCOMPLETE.get(reason or "stop")
    envelope.update(status="incomplete" if incomplete else "completed", model=completion.model or envelope["model"],
                    usage=usage_block(completion), completed_at=int(time.time()),
                    incomplete_details={"reason": incomplete} if incomplete else None)
    return envelope


def _message_item(item_id: str, text: str, logprobs: list[dict[str, Any]] | None, status: str) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": logprobs or []}]}


def _call_item(item_id: str, call_id: str, chat_name: str, arguments: str, names: ToolNames,
               status: str) -> dict[str, Any]:
    """A tool call as the Responses item the client expects: ``function_call``, or ``custom_tool_call``
    (whose free-form ``input`` travelled as the one JSON argument of its chat function)."""
    tool = names.tool(chat_name)
    if tool.custom:
        try:
            value = json.loads(arguments or "{}").get("input", "")
        except (ValueError, AttributeError):
            value = arguments
        item: dict[str, Any] = {"id": item_id, "type": "custom_tool_call", "status": status, "call_id": call_id,
                                "name": tool.name, "input": value if isinstance(value, str) else json.dumps(value)}
    else:
        item = {"id": item_id, "type": "function_call", "status": status, "call_id": call_id, "name": tool.name,
                "arguments": arguments}
    if tool.namespace:
        item["namespace"] = tool.namespace
    return item


def response_body(ctx: pipeline.RequestContext, body: dict[str, Any], completion: Completion,
                  names: ToolNames) -> dict[str, Any]:
    """The Response object of a finished, non-streamed answer."""
    output: list[dict[str, Any]] = []
    if completion.text:
        output.append(_message_item(f"msg_{ctx.trace_id}", completion.text, completion.logprobs, "completed"))
    for index, call in enumerate(completion.tool_calls):
        function = call.get("function") or {}
        call_id = call.get("id") or f"call_{ctx.trace_id}_{index}"
        output.append(_call_item(f"fc_{call_id}", call_id, function.get("name", ""), function.get("arguments", ""),
                                 names, "completed"))
    envelope = _envelope(ctx, body, completion.model, "completed", output)
    return _finished(envelope, completion, completion.finish_reason)


class _Renderer:
    """Turns the gateway's events into the Responses stream, keeping the output items it announced so
    the final ``response.completed`` carries them whole."""

    def __init__(self, ctx: pipeline.RequestContext, body: dict[str, Any], completion: Completion,
                 names: ToolNames) -> None:
        self.ctx = ctx
        self.completion = completion
        self.names = names
        self.envelope = _envelope(ctx, body, None, "in_progress", [])
        self.output: list[dict[str, Any]] = []
        self.sequence = 0
        self.open: dict[str, Any] | None = None
        """The item being streamed: {kind, index, id, text|arguments, ...}."""
        self.calls: dict[int, dict[str, Any]] = {}

    def event(self, kind: str, data: dict[str, Any]) -> bytes:
        data = {"type": kind, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + jsonwire.dumps(data) + b"\n\n"

    def render(self, event: Event) -> list[bytes]:
        if isinstance(event, TextDelta):
            out = [] if self.open is not None and self.open["kind"] == "text" else self._open_text()
            self.open["text"].append(event.text)  # type: ignore[index]
            if event.logprobs:
                self.open["logprobs"].extend(event.logprobs)  # type: ignore[index]
            out.append(self.event("response.output_text.delta", {
                "item_id": self.open["id"], "output_index": self.open["index"], "content_index": 0,  # type: ignore[index]
                "delta": event.text, "logprobs": event.logprobs or []}))
            return out
        if isinstance(event, ToolCallDelta):
            return self._tool_delta(event)
        if isinstance(event, StreamStart):
            snapshot = {**self.envelope, "model": self.completion.model or self.envelope["model"]}
            return [self.event("response.created", {"response": snapshot}),
                    self.event("response.in_progress", {"response": snapshot})]
        if isinstance(event, Finish):
            out = self._close()
            final = _finished(self.envelope, self.completion, event.reason)
            final["output"] = self.output
            kind = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
            out.append(self.event(kind, {"response": final}))
            return out
        return []  # thinking blocks: a Responses reasoning item needs the provider's own encrypted content

    def failed(self, exc: SwitchboardError) -> bytes:
        """The ``response.failed`` event for an error after the stream began."""
        out = b"".join(self._close())
        failed = {**self.envelope, "status": "failed", "output": self.output,
                  "error": {"code": exc.code, "message": exc.message}}
        return out + self.event("response.failed", {"response": failed})

    def _open_text(self) -> list[bytes]:
        out = self._close()
        index = len(self.output)
        self.open = {"kind": "text", "index": index, "id": f"msg_{self.ctx.trace_id}_{index}", "text": [],
                     "logprobs": []}
        out.append(self.event("response.output_item.added", {
            "output_index": index, "item": _message_item(self.open["id"], "", None, "in_progress") | {"content": []}}))
        out.append(self.event("response.content_part.added", {
            "item_id": self.open["id"], "output_index": index, "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}}))
        return out

    def _tool_delta(self, event: ToolCallDelta) -> list[bytes]:
        out: list[bytes] = []
        current = self.calls.get(event.index)
        if event.id or event.name or current is None:
            out += self._close()
            index = len(self.output)
            call_id = event.id or f"call_{self.ctx.trace_id}_{event.index}"
            tool = self.names.tool(event.name or "")
            current = self.open = {"kind": "call", "index": index, "id": f"fc_{call_id}", "call_id": call_id,
                                   "name": event.name or "", "arguments": [], "custom": tool.custom}
            self.calls[event.index] = current
            item = _call_item(current["id"], call_id, current["name"], "", self.names, "in_progress")
            out.append(self.event("response.output_item.added", {"output_index": index, "item": item}))
        if event.arguments:
            current["arguments"].append(event.arguments)
            closed = current.get("item")
            if closed is not None and not current["custom"]:
                # Parallel calls whose argument deltas interleave: a late piece still reaches its own item.
                closed["arguments"] = "".join(current["arguments"])
            if not current["custom"]:  # a free-form input is sent whole at the end (its JSON wrapping is ours)
                out.append(self.event("response.function_call_arguments.delta", {
                    "item_id": current["id"], "output_index": current["index"], "delta": event.arguments}))
        return out

    def _close(self) -> list[bytes]:
        current, self.open = self.open, None
        if current is None:
            return []
        index, item_id = current["index"], current["id"]
        if current["kind"] == "text":
            text = "".join(current["text"])
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": current["logprobs"]}
            item = _message_item(item_id, text, current["logprobs"], "completed")
            out = [self.event("response.output_text.done", {"item_id": item_id, "output_index": index,
                                                            "content_index": 0, "text": text,
                                                            "logprobs": current["logprobs"]}),
                   self.event("response.content_part.done", {"item_id": item_id, "output_index": index,
                                                             "content_index": 0, "part": part})]
        else:
            arguments = "".join(current["arguments"])
            item = current["item"] = _call_item(item_id, current["call_id"], current["name"], arguments, self.names,
                                                "completed")
            if item["type"] == "custom_tool_call":
                out = [self.event("response.custom_tool_call_input.delta",
                                  {"item_id": item_id, "output_index": index, "delta": item["input"]}),
                       self.event("response.custom_tool_call_input.done",
                                  {"item_id": item_id, "output_index": index, "input": item["input"]})]
            else:
                out = [self.event("response.function_call_arguments.done",
                                  {"item_id": item_id, "output_index": index, "name": item["name"],
                                   "arguments": arguments})]
        self.output.append(item)
        out.append(self.event("response.output_item.done", {"output_index": index, "item": item}))
        return out


async def response_events(renderer: _Renderer, first: list[Event], rest: AsyncIterator[list[Event]]
                          ) -> AsyncIterator[bytes]:
    """The Responses event stream for the answer's events."""
    try:
        batch: list[Event] | None = first
        while batch is not None:
            out = [piece for event in batch for piece in renderer.render(event)]
            if out:
                yield b"".join(out)
            batch = await anext(rest, None)
    except SwitchboardError as exc:
        yield renderer.failed(exc)
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def responses(request: Request) -> Response:
    """``POST /v1/responses``."""
    services = services_of(request)
    ctx: pipeline.RequestContext | None = None
    try:
        body = await read_json(request)
        ctx = admit(request, body)
        chat, names = chat_request(body, ctx.traceparent)
        ctx.prompt_text = pipeline.prompt_text_of(chat)
        chat = await guarded(services, ctx, chat)
        routing = pipeline.routing_input(ctx, chat)
        if not body.get("stream"):
            _, completion = await lifecycle.execute(services, ctx, chat, routing)
            return EncodedJson(jsonwire.dumps(response_body(ctx, body, completion, names)),
                               _headers(ctx, completion, names))
        _, completion, first, rest = await unless_disconnected(
            request, lifecycle.execute_stream(services, ctx, chat, routing))
    except SwitchboardError as exc:
        return openai_error(exc, ctx.trace_id if ctx else None)
    renderer = _Renderer(ctx, body, completion, names)
    return EventStream(response_events(renderer, first, rest),  # type: ignore[return-value]
                       headers=_headers(ctx, completion, names))


def _headers(ctx: pipeline.RequestContext, completion: Completion, names: ToolNames) -> dict[str, str]:
    headers = {TRACE_HEADER: ctx.trace_id, MODEL_HEADER: completion.model or ""}
    if names.dropped:
        headers[DROPPED_TOOLS_HEADER] = ", ".join(names.dropped)
    return headers


routes = [Route("/v1/responses", responses, methods=["POST"])]
