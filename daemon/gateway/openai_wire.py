"""The OpenAI wire format at the provider boundary: request bodies out, stream chunks and bodies in.

Chat completions and legacy completions (``prompt`` + ``suffix`` for fill-in-the-middle). A caller
that already spoke OpenAI has its body forwarded as-is (model swapped, unknown fields kept).
"""

from __future__ import annotations

from typing import Any

from daemon.gateway.honour import StructuredMode, forced_tool_openai
from daemon.gateway.types import (
    ChatRequest,
    Event,
    Finish,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    Usage,
)

REASONING_PARAMS = ("reasoning_effort", "verbosity")
"""Parameters only reasoning models take (others answer 400): sent to models with the capability."""


def chat_body(request: ChatRequest, model_id: str, *, stream: bool, reasoning: bool = True,
              structured: StructuredMode | None = None) -> dict[str, Any]:
    """The ``/v1/chat/completions`` body for ``request`` (``reasoning``: the model takes reasoning parameters;
    ``structured``: how it honours the response format, ``honour.structured_mode``)."""
    native = request.native
    if native is not None and native.wire == "openai-chat":
        body = dict(native.body)
        messages = list(body.get("messages") or ())
        if request.max_tokens:
            # The caller's own cap, or a lower one the gateway set (a budget's, what is left after a resume).
            body["max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"] = request.max_tokens
        if structured == "tool" and request.response_format:
            body.pop("response_format", None)
            tool, choice = forced_tool_openai(request.response_format)
            body["tools"], body["tool_choice"] = [tool], choice
            body.pop("parallel_tool_calls", None)
    else:
        body = dict(request.params)
        if not reasoning:
            for key in REASONING_PARAMS:
                body.pop(key, None)
        messages = list(request.messages)
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
        if request.tools:
            body["tools"] = list(request.tools)
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        if request.response_format and structured == "tool":
            tool, choice = forced_tool_openai(request.response_format)
            body["tools"], body["tool_choice"] = [tool], choice
            body.pop("parallel_tool_calls", None)
        elif request.response_format:
            body["response_format"] = request.response_format
        if request.logprobs:
            body["logprobs"] = True
            if request.top_logprobs:
                body["top_logprobs"] = request.top_logprobs
    if request.prefill:
        messages = with_prefill(messages, request.prefill)
    body["messages"] = messages
    body["model"] = model_id
    body["stream"] = stream
    if stream:
        # Usage is how the call is billed: always ask for it (it is not forwarded unless asked for).
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    else:
        body.pop("stream_options", None)
    return body


def with_prefill(messages: list[dict[str, Any]], prefill: str) -> list[dict[str, Any]]:
    """``messages`` ending with an assistant turn holding ``prefill`` (joined to the caller's own prefill,
    when the last message already is one), which the model continues."""
    last = messages[-1] if messages else None
    if last is not None and last.get("role") == "assistant" and isinstance(last.get("content"), str) \
            and not last.get("tool_calls"):
        return [*messages[:-1], {**last, "content": last["content"] + prefill}]
    return [*messages, {"role": "assistant", "content": prefill}]


def text_body(request: ChatRequest, model_id: str, *, stream: bool) -> dict[str, Any]:
    """The legacy ``/v1/completions`` body: fill-in-the-middle with ``prompt`` and ``suffix``."""
    native = request.native
    if native is not None and native.wire == "openai-text":
        body = dict(native.body)
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
    else:
        assert request.fim is not None
        body = dict(request.params)
        body["prompt"] = request.fim.prefix
        if request.fim.suffix:
            body["suffix"] = request.fim.suffix
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
        if request.logprobs:
            body["logprobs"] = request.top_logprobs or 1
    if request.prefill:
        body["prompt"] = str(body.get("prompt", "")) + request.prefill
    body["model"] = model_id
    body["stream"] = stream
    if stream:
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    else:
        body.pop("stream_options", None)
    return body


def usage_of(raw: dict[str, Any] | None) -> Usage:
    """An OpenAI ``usage`` object as ``Usage`` (cached and reasoning tokens included)."""
    if not raw:
        return Usage()
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    cost = raw.get("cost")
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cached_tokens=int(prompt_details.get("cached_tokens") or 0),
        cache_write_tokens=int(prompt_details.get("cache_write_tokens") or prompt_details.get("cache_creation_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
        provider_cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


class ChatStreamParser:
    """Turns chat-completion chunks into events; remembers the finish reason until usage arrives."""

    complete = False
    """The stream's end is ``[DONE]`` (usage may follow the finish reason), never a chunk."""

    def __init__(self) -> None:
        self.started = False
        self.finish: str | None = None
        self.usage: Usage | None = None

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """Events of one parsed ``data:`` chunk (raises ``KeyError``/``TypeError`` on a malformed one)."""
        events: list[Event] = []
        if not self.started:
            self.started = True
            events.append(StreamStart(str(chunk.get("model", "")), str(chunk.get("id", ""))))
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                logprobs = (choice.get("logprobs") or {}).get("content") if choice.get("logprobs") else None
                events.append(TextDelta(text, logprobs))
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                events.append(ToolCallDelta(int(call.get("index", 0)), call.get("id"), function.get("name"),
                                            function.get("arguments") or ""))
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        if chunk.get("usage"):
            self.usage = usage_of(chunk["usage"])
        return events

    def end(self) -> Finish | None:
        """The closing event, or None when the stream never said why it stopped (it was cut)."""
        if self.finish is None:
            return None
        return Finish(self.finish, self.usage or Usage())


class TextStreamParser(ChatStreamParser):
    """Legacy completion chunks (``choices[0].text``) into events."""

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """Events of one parsed ``data:`` chunk."""
        events: list[Event] = []
        if not self.started:
            self.started = True
            events.append(StreamStart(str(chunk.get("model", "")), str(chunk.get("id", ""))))
        for choice in chunk.get("choices") or ():
            if choice.get("text"):
                events.append(TextDelta(choice["text"]))
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        if chunk.get("usage"):
            self.usage = usage_of(chunk["usage"])
        return events


def events_of_body(body: dict[str, Any], *, text: bool = False) -> list[Event]:
    """A non-streaming chat (or legacy) completion as the events a stream would have given."""
    choice = body["choices"][0]
    events: list[Event] = [StreamStart(str(body.get("model", "")), str(body.get("id", "")))]
    if text:
        if choice.get("text"):
            events.append(TextDelta(choice["text"]))
    else:
        message = choice["message"]
        if message.get("content"):
            logprobs = (choice.get("logprobs") or {}).get("content") if choice.get("logprobs") else None
            events.append(TextDelta(message["content"], logprobs))
        for index, call in enumerate(message.get("tool_calls") or ()):
            function = call.get("function") or {}
            events.append(ToolCallDelta(index, call.get("id"), function.get("name"), function.get("arguments") or ""))
    events.append(Finish(choice.get("finish_reason") or "stop", usage_of(body.get("usage"))))
    return events
