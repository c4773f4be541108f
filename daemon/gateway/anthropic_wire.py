"""The Anthropic Messages wire format at the provider boundary, and its translation to and from the
gateway's OpenAI-form requests (so either format can reach a provider of the other, and a stream can
be completed across formats).
"""

from __future__ import annotations

import json
from typing import Any

from daemon.gateway import openai_wire
from daemon.gateway.honour import StructuredMode, anthropic_format, forced_tool_anthropic
from daemon.gateway.types import (
    ChatRequest,
    Event,
    Finish,
    StreamStart,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    Usage,
)

DEFAULT_MAX_TOKENS = 4096
"""Anthropic requires ``max_tokens``; used when an OpenAI-form request gives none."""

STOP_TO_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
                  "refusal": "content_filter", "pause_turn": "stop"}
FINISH_TO_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") in ("text", None))
    return ""


def _to_blocks(content: Any) -> list[dict[str, Any]]:
    """OpenAI message content as Anthropic content blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for part in content or ():
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            if url.startswith("data:") and ";base64," in url:
                media, data = url[5:].split(";base64,", 1)
                blocks.append({"type": "image", "source": {"type": "base64", "media_type": media, "data": data}})
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": url}})
    return blocks


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice in (None, "auto"):
        return None
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "tool", "name": choice["function"].get("name", "")}
    return None


THINKING_BUDGET = {"low": 1024, "medium": 4096, "high": 16384, "xhigh": 32768}
"""Anthropic thinking budgets for OpenAI's ``reasoning_effort`` (``minimal`` and ``none``: no thinking)."""


def messages_body(request: ChatRequest, model_id: str, *, stream: bool, reasoning: bool = False,
                  structured: StructuredMode | None = None) -> dict[str, Any]:
    """The ``/v1/messages`` body for ``request`` (the caller's own body when it spoke Anthropic; ``reasoning``:
    the model thinks; ``structured``: how it honours the response format, ``honour.structured_mode``)."""
    native = request.native
    if native is not None and native.wire == "anthropic":
        body = dict(native.body)
        messages = list(body.get("messages") or ())
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens  # the caller's, or lower (a budget's, a resume's rest)
        if structured == "tool" and request.response_format:
            body.pop("output_format", None)
            config = {k: v for k, v in (body.get("output_config") or {}).items() if k != "format"}
            if config:
                body["output_config"] = config
            else:
                body.pop("output_config", None)
            tool, choice = forced_tool_anthropic(request.response_format)
            body["tools"], body["tool_choice"] = [tool], choice
            _without_thinking(body)  # Anthropic refuses thinking with a forced tool
    else:
        body = {"max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS}
        system: list[str] = []
        messages = []
        for message in request.messages:
            role = message.get("role")
            if role in ("system", "developer"):
                system.append(_text(message.get("content")))
            elif role == "tool":
                block = {"type": "tool_result", "tool_use_id": message.get("tool_call_id", ""),
                         "content": _text(message.get("content"))}
                if messages and messages[-1]["role"] == "user" and isinstance(messages[-1]["content"], list):
                    messages[-1]["content"].append(block)
                else:
                    messages.append({"role": "user", "content": [block]})
            elif role == "assistant":
                blocks = _to_blocks(message.get("content"))
                for call in message.get("tool_calls") or ():
                    function = call.get("function") or {}
                    try:
                        arguments = json.loads(function.get("arguments") or "{}")
                    except ValueError:
                        arguments = {}
                    blocks.append({"type": "tool_use", "id": call.get("id", ""), "name": function.get("name", ""),
                                   "input": arguments})
                messages.append({"role": "assistant", "content": blocks})
            else:
                messages.append({"role": "user", "content": _to_blocks(message.get("content"))})
        if system:
            body["system"] = "\n\n".join(system)
        if request.tools:
            body["tools"] = [
                {"name": (t.get("function") or {}).get("name", ""),
                 "description": (t.get("function") or {}).get("description", ""),
                 "input_schema": (t.get("function") or {}).get("parameters") or {"type": "object"}}
                for t in request.tools
            ]
            choice = _tool_choice(request.tool_choice)
            if request.params.get("parallel_tool_calls") is False and (choice or {}).get("type") != "none":
                choice = {**(choice or {"type": "auto"}), "disable_parallel_tool_use": True}
            if choice:
                body["tool_choice"] = choice
        params = request.params
        for key in ("temperature", "top_p"):
            if params.get(key) is not None:
                body[key] = params[key]
        if params.get("user"):
            body["metadata"] = {"user_id": params["user"]}
        if params.get("stop"):
            stop = params["stop"]
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        budget = THINKING_BUDGET.get(str(params.get("reasoning_effort")), 0) if reasoning else 0
        budget = min(budget, body["max_tokens"] - 1)
        if budget >= 1024 and "temperature" not in body and "top_p" not in body:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if request.response_format and structured == "tool":
            tool, forced = forced_tool_anthropic(request.response_format)
            body["tools"], body["tool_choice"] = [tool], forced
            _without_thinking(body)
        elif (request.response_format or {}).get("type") == "json_schema":
            body["output_config"] = {"format": anthropic_format(request.response_format)}  # type: ignore[arg-type]
    if request.prefill:
        messages = openai_wire.with_prefill(messages, request.prefill)
    body["messages"] = messages
    body["model"] = model_id
    body["stream"] = stream
    return body


def _without_thinking(body: dict[str, Any]) -> None:
    """``body`` with thinking off, and the context edits that need it gone."""
    body.pop("thinking", None)
    edits = [e for e in (body.get("context_management") or {}).get("edits") or ()
             if not str(e.get("type", "")).startswith("clear_thinking")]
    if edits:
        body["context_management"] = {**body["context_management"], "edits": edits}
    else:
        body.pop("context_management", None)


def usage_of(raw: dict[str, Any] | None) -> Usage:
    """An Anthropic ``usage`` object as ``Usage``; input includes cache reads and writes."""
    if not raw:
        return Usage()
    cached = int(raw.get("cache_read_input_tokens") or 0)
    written = int(raw.get("cache_creation_input_tokens") or 0)
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0) + cached + written,
        output_tokens=int(raw.get("output_tokens") or 0),
        cached_tokens=cached,
        cache_write_tokens=written,
    )


class MessagesStreamParser:
    """Anthropic stream events into gateway events; tool blocks are numbered as OpenAI tool calls."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.stop: str | None = None
        self.complete = False
        """``message_stop`` arrived: nothing follows but the end of the body."""
        self._blocks: dict[int, tuple[str, int]] = {}
        self._tools = 0

    def feed(self, data: dict[str, Any]) -> list[Event]:
        """Events of one parsed ``data:`` payload (its ``type`` names the event)."""
        kind = data["type"]
        if kind == "content_block_delta":
            delta = data["delta"]
            dtype = delta["type"]
            if dtype == "text_delta":
                return [TextDelta(delta["text"])]
            if dtype == "input_json_delta":
                return [ToolCallDelta(self._blocks[data["index"]][1], arguments=delta.get("partial_json", ""))]
            if dtype == "thinking_delta":
                return [ThinkingDelta(text=delta.get("thinking", ""))]
            if dtype == "signature_delta":
                return [ThinkingDelta(signature=delta.get("signature", ""))]
            return []
        if kind == "content_block_start":
            block = data["content_block"]
            if block["type"] == "tool_use":
                self._blocks[data["index"]] = ("tool_use", self._tools)
                self._tools += 1
                return [ToolCallDelta(self._tools - 1, block.get("id"), block.get("name"))]
            self._blocks[data["index"]] = (block["type"], 0)
            if block["type"] == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            return []
        if kind == "message_start":
            message = data["message"]
            self.usage = usage_of(message.get("usage"))
            return [StreamStart(str(message.get("model", "")), str(message.get("id", "")))]
        if kind == "message_delta":
            self.stop = (data.get("delta") or {}).get("stop_reason") or self.stop
            if data.get("usage"):
                self.usage.output_tokens = int(data["usage"].get("output_tokens") or 0)
            return []
        if kind == "message_stop":
            self.complete = True
            return []
        if kind == "error":
            raise ValueError(f"the provider sent an error event: {data.get('error')}")
        return []

    def end(self) -> Finish | None:
        """The closing event, or None when the stream never said why it stopped."""
        if self.stop is None:
            return None
        return Finish(STOP_TO_FINISH.get(self.stop, "stop"), self.usage)


def events_of_body(body: dict[str, Any]) -> list[Event]:
    """A non-streaming message as the events a stream would have given."""
    events: list[Event] = [StreamStart(str(body.get("model", "")), str(body.get("id", "")))]
    tools = 0
    for block in body["content"]:
        if block.get("type") == "text":
            events.append(TextDelta(block.get("text", "")))
        elif block.get("type") == "tool_use":
            events.append(ToolCallDelta(tools, block.get("id"), block.get("name"), json.dumps(block.get("input", {}))))
            tools += 1
        elif block.get("type") == "thinking":
            events.append(ThinkingDelta(block.get("thinking", ""), block.get("signature", "")))
    events.append(Finish(STOP_TO_FINISH.get(body.get("stop_reason") or "end_turn", "stop"), usage_of(body.get("usage"))))
    return events


# -- the caller's side: an Anthropic body as the gateway's OpenAI-form request -----------------------


def _openai_content(blocks: list[Any]) -> Any:
    parts: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif block.get("type") == "image":
            source = block.get("source") or {}
            url = source.get("url") or f"data:{source.get('media_type', '')};base64,{source.get('data', '')}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def openai_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """An Anthropic body's system prompt and messages in OpenAI form."""
    out: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        out.append({"role": "system", "content": _text(system)})
    for message in body.get("messages") or ():
        role = message.get("role", "user")
        content = message.get("content")
        if isinstance(content, str):
            out.append({"role": role, "content": content})
            continue
        if role == "system":  # a note an agent adds mid-conversation (Claude Code's environment)
            out.append({"role": "system", "content": _text(content)})
            continue
        blocks = [b for b in content or () if isinstance(b, dict)]
        if role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": _openai_content(blocks) or None}
            calls = [{"id": b.get("id", ""), "type": "function",
                      "function": {"name": b.get("name", ""), "arguments": json.dumps(b.get("input", {}))}}
                     for b in blocks if b.get("type") == "tool_use"]
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
            continue
        for block in blocks:
            if block.get("type") == "tool_result":
                text = _text(block.get("content"))
                out.append({"role": "tool", "tool_call_id": block.get("tool_use_id", ""),
                            "content": f"Error: {text}" if block.get("is_error") else text})
        rest = [b for b in blocks if b.get("type") != "tool_result"]
        if rest:
            out.append({"role": "user", "content": _openai_content(rest)})
    return out


def openai_tools(body: dict[str, Any]) -> tuple[tuple[dict[str, Any], ...], Any]:
    """An Anthropic body's tools and tool_choice in OpenAI form."""
    tools = tuple(
        {"type": "function", "function": {"name": t.get("name", ""), "description": t.get("description", ""),
                                          "parameters": t.get("input_schema") or {"type": "object"}}}
        for t in body.get("tools") or () if isinstance(t, dict) and "name" in t
    )
    choice = body.get("tool_choice") or {}
    mapped: Any = None
    if choice.get("type") == "any":
        mapped = "required"
    elif choice.get("type") == "none":
        mapped = "none"
    elif choice.get("type") == "tool":
        mapped = {"type": "function", "function": {"name": choice.get("name", "")}}
    return tools, mapped
