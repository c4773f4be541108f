"""The OpenAI Responses API's request, translated into the gateway's OpenAI-chat form.

Switchboard keeps no state between responses: the conversation travels in ``input`` (``store: false``,
which is how Codex talks to any provider), so ``previous_response_id`` and ``conversation`` are
refused with a 400 saying so. What is translated:

=================================  =================================================================
``instructions``                   a system message ahead of the conversation
``input`` string / message items   user, assistant and system messages (``developer`` becomes system);
                                   ``input_text``/``output_text`` parts as text, ``input_image`` as an
                                   image part
``function_call`` /                an assistant tool call / its ``tool`` message
``function_call_output``
``custom_tool_call`` / ``_output`` the same, for free-form tools (see ``tools``)
``reasoning`` items                left out: a model's own reasoning, encrypted for the model that
                                   wrote it, means nothing to another
``additional_tools`` items         their tools join ``tools``
``tools``: function                a chat function
``tools``: custom (free-form)      a chat function taking one string, ``input``
``tools``: namespace               its tools, named ``<namespace>__<name>`` unless the name is unique
``tool_choice``                    auto / none / required / one function
``max_output_tokens``              ``max_tokens``
``text.format``                    ``response_format`` (text, json_object, json_schema)
``reasoning.effort``               ``reasoning_effort``; ``text.verbosity``: ``verbosity``
``temperature`` ``top_p`` ...      the same parameters
``top_logprobs``                   token logprobs
=================================  =================================================================

Built-in tools (web search, file search, computer use, code interpreter, image generation, remote
MCP, local shell) run on OpenAI's servers or in shapes only OpenAI's models emit: offered, they are
left out of what the model sees and named in the ``x-switchboard-dropped-tools`` header (Codex
offers web search with most models, and must still work); a ``tool_choice`` forcing one is refused.
``background`` and other input item types are refused: nothing here can honour them. So are fields this
module does not know, ``store: true`` and ``truncation: auto``; ``seed``, ``metadata``, ``service_tier``,
logprobs and ``text.verbosity`` reach OpenAI-format models only (``docs/features.md`` has the whole table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from daemon.api.fields import refuse
from daemon.errors import InvalidRequestError
from daemon.gateway import ChatRequest

_PARAMS = ("temperature", "top_p", "user", "metadata", "parallel_tool_calls", "service_tier", "seed")
_SKIPPED_ITEMS = frozenset({"reasoning"})
_STATEFUL = ("previous_response_id", "conversation", "prompt")
_OPENAI_ONLY = ("seed", "metadata", "service_tier", "top_logprobs")
"""Fields only OpenAI-format models honour (a request with them goes to no other: ``docs/features.md``)."""
_KNOWN = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
    "temperature", "top_p", "user", "metadata", "service_tier", "seed", "reasoning", "text", "top_logprobs",
    "include", "stream", "stream_options", "store", "prompt_cache_key", "safety_identifier", "truncation",
    "background", "client_metadata", *_STATEFUL,
})
"""Every field a Responses body may carry; any other is refused (``docs/features.md``)."""
# ``client_metadata`` describes the client (Codex sends it on every request), not the ask: no model is sent it.
_INCLUDABLE = frozenset({"message.output_text.logprobs", "reasoning.encrypted_content"})


@dataclass(frozen=True, slots=True)
class ToolName:
    """A Responses tool as the chat function it became."""

    name: str
    namespace: str | None = None
    custom: bool = False
    """A free-form tool: its calls carry a string ``input``, not JSON arguments."""


@dataclass(slots=True)
class ToolNames:
    """The chat function names of a request's tools, both ways."""

    by_chat: dict[str, ToolName] = field(default_factory=dict)
    by_tool: dict[tuple[str | None, str], str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    """Types of the built-in tools left out (the model never saw them)."""

    def chat_name(self, name: str, namespace: str | None) -> str:
        """The chat function name for a Responses tool (or a call to one in the history)."""
        return self.by_tool.get((namespace, name)) or self.by_tool.get((None, name)) or name

    def tool(self, chat_name: str) -> ToolName:
        """The Responses tool a chat function name stands for."""
        return self.by_chat.get(chat_name) or ToolName(chat_name)


def chat_request(body: dict[str, Any], traceparent: str | None = None) -> tuple[ChatRequest, ToolNames]:
    """A Responses body as the gateway's request, with the tool names to render its calls back."""
    for key in _STATEFUL:
        if body.get(key):
            raise InvalidRequestError(
                f"'{key}' needs a stored conversation, and Switchboard stores none: send the whole conversation "
                "in 'input' (with store: false, as Codex does)")
    for key, value in body.items():
        if key not in _KNOWN and value is not None:
            raise refuse(key, "is not a Responses parameter Switchboard can honour; leave it out "
                              "(docs/features.md lists what each field does)")
    if body.get("store") is True:
        raise refuse("store", "Switchboard stores no responses; send store: false and the whole conversation "
                              "in 'input' (as Codex does)")
    if body.get("truncation") not in (None, "disabled"):
        raise refuse("truncation", "only 'disabled' is supported: a request too long for every model is refused, "
                                   "never cut")
    for item in body.get("include") or ():
        if item not in _INCLUDABLE:
            raise refuse("include", f"{item!r} cannot be included: its built-in tool does not run through "
                                    "Switchboard")
    if body.get("background"):
        raise InvalidRequestError("'background' responses are not supported: send the request and wait for it "
                                  "(stream: true to see it as it comes)")
    items = _input_items(body.get("input"))
    names = ToolNames()
    tools = _tools([t for t in body.get("tools") or () if isinstance(t, dict)], names)
    for item in items:
        if item.get("type") == "additional_tools":
            tools += _tools([t for t in item.get("tools") or () if isinstance(t, dict)], names)
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        messages.append({"role": "system", "content": body["instructions"]})
    for item in items:
        _add_item(messages, item, names)
    if not any(m["role"] != "system" for m in messages):
        raise InvalidRequestError("'input' has no message to answer; send a string or a list of input items")
    params = {k: body[k] for k in _PARAMS if body.get(k) is not None}
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    if reasoning.get("effort"):
        params["reasoning_effort"] = reasoning["effort"]
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    if text.get("verbosity"):
        params["verbosity"] = text["verbosity"]
    if body.get("safety_identifier") and "user" not in params:
        params["user"] = body["safety_identifier"]
    top_logprobs = body.get("top_logprobs")
    wants_logprobs = bool(top_logprobs) or "message.output_text.logprobs" in (body.get("include") or ())
    native_only = [key for key in _OPENAI_ONLY if body.get(key) not in (None, {}, 0, "")]
    if wants_logprobs and "top_logprobs" not in native_only:
        native_only.append("include")
    if text.get("verbosity"):
        native_only.append("text.verbosity")
    temperature = body.get("temperature")
    if isinstance(temperature, int | float) and temperature > 1:
        native_only.append("temperature")
    max_tokens = body.get("max_output_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise InvalidRequestError("'max_output_tokens' must be a positive integer")
    return ChatRequest(
        tuple(messages), max_tokens=max_tokens, tools=tuple(tools),
        tool_choice=_tool_choice(body.get("tool_choice"), names), response_format=_response_format(text.get("format")),
        logprobs=wants_logprobs, top_logprobs=int(top_logprobs or 0), params=params, traceparent=traceparent,
        native_only=tuple(native_only),
    ), names


def _input_items(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        if not raw:
            raise InvalidRequestError("'input' is empty; send the prompt as a string or a list of input items")
        return [{"type": "message", "role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw or not all(isinstance(item, dict) for item in raw):
        raise InvalidRequestError("'input' must be a non-empty string or a non-empty list of input items")
    return raw


def _tools(tools: list[dict[str, Any]], names: ToolNames, namespace: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        kind = tool.get("type")
        if kind == "namespace":
            out += _tools([t for t in tool.get("tools") or () if isinstance(t, dict)], names, str(tool.get("name", "")))
            continue
        if kind not in ("function", "custom"):
            if str(kind) not in names.dropped:
                names.dropped.append(str(kind))
            continue
        name = str(tool.get("name") or "")
        if not name:
            raise InvalidRequestError("every tool needs a 'name'")
        chat_name = name if name not in names.by_chat else f"{namespace or 'tool'}__{name}"
        names.by_chat[chat_name] = ToolName(name, namespace, custom=kind == "custom")
        names.by_tool[(namespace, name)] = chat_name
        if kind == "custom":
            parameters: Any = {"type": "object", "required": ["input"], "additionalProperties": False,
                               "properties": {"input": {"type": "string", "description": _custom_format(tool)}}}
        else:
            parameters = tool.get("parameters") or {"type": "object", "properties": {}}
        function: dict[str, Any] = {"name": chat_name, "description": tool.get("description") or "",
                                    "parameters": parameters}
        if tool.get("strict") is not None and kind == "function":
            function["strict"] = tool["strict"]
        out.append({"type": "function", "function": function})
    return out


def _custom_format(tool: dict[str, Any]) -> str:
    """What a free-form tool's ``input`` must look like, told to a model that only knows JSON arguments."""
    form = tool.get("format") or {}
    if form.get("type") == "grammar":
        return f"The tool's whole input, as text matching this {form.get('syntax', '')} grammar:\n{form.get('definition', '')}"
    return "The tool's whole input, as plain text."


def _add_item(messages: list[dict[str, Any]], item: dict[str, Any], names: ToolNames) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role", "user")
        if role not in ("user", "assistant", "system", "developer"):
            raise InvalidRequestError(f"input message role {role!r} is not one of user, assistant, system, developer")
        content = _content(item.get("content"))
        if role == "assistant":
            messages.append({"role": "assistant", "content": content if isinstance(content, str) else _joined(content)})
        else:
            messages.append({"role": "system" if role == "developer" else role, "content": content})
    elif kind in ("function_call", "custom_tool_call"):
        if kind == "custom_tool_call":
            arguments = json.dumps({"input": item.get("input", "")})
        else:
            arguments = item.get("arguments") if isinstance(item.get("arguments"), str) else "{}"
        call = {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function",
                "function": {"name": names.chat_name(str(item.get("name", "")), item.get("namespace")),
                             "arguments": arguments}}
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant":
            last.setdefault("tool_calls", []).append(call)  # one assistant turn: its text and its calls
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        text = output if isinstance(output, str) else _joined(_content(output))
        messages.append({"role": "tool", "tool_call_id": str(item.get("call_id") or ""), "content": text})
    elif kind == "additional_tools" or kind in _SKIPPED_ITEMS:
        return
    else:
        raise InvalidRequestError(
            f"input item type {kind!r} is not supported through Switchboard; send messages, function calls "
            "and their outputs")


def _content(content: Any) -> str | list[dict[str, Any]]:
    """A Responses content (a string or a list of parts) in chat form."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "refusal"):
            parts.append({"type": "text", "text": str(part.get("text") or part.get("refusal") or "")})
        elif kind == "input_image":
            url = part.get("image_url")
            if not isinstance(url, str) or not url:
                raise InvalidRequestError("input_image: only 'image_url' images are supported (not file ids)")
            parts.append({"type": "image_url", "image_url": {"url": url, "detail": part.get("detail") or "auto"}})
        else:
            raise InvalidRequestError(f"content part type {kind!r} is not supported; send text or images")
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _joined(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if p.get("type") == "text")


def _tool_choice(choice: Any, names: ToolNames) -> Any:
    if choice is None or choice == "auto":
        return None
    if choice in ("none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom") and choice.get("name"):
        return {"type": "function", "function": {"name": names.chat_name(choice["name"], choice.get("namespace"))}}
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools" and choice.get("mode") in ("auto", "required"):
        return choice["mode"] if choice["mode"] == "required" else None
    raise InvalidRequestError(
        f"tool_choice {choice!r} is not supported: built-in tools run on OpenAI's servers, not through "
        "Switchboard; send auto, none, required or one function")


def _response_format(form: Any) -> dict[str, Any] | None:
    if not isinstance(form, dict) or form.get("type") in (None, "text"):
        return None
    if form["type"] == "json_object":
        return {"type": "json_object"}
    if form["type"] == "json_schema":
        schema = {"name": form.get("name") or "response", "schema": form.get("schema") or {}}
        if form.get("strict") is not None:
            schema["strict"] = form["strict"]
        return {"type": "json_schema", "json_schema": schema}
    raise InvalidRequestError(f"text.format type {form['type']!r} is not supported; send text, json_object or json_schema")
