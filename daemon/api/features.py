"""Which of a caller's fields only a provider of the caller's own wire format can honour.

The other side of ``docs/features.md``: every field of an OpenAI chat body or an Anthropic Messages body
is either translated to the other format (the gateway's wire modules do that), or listed here as
*native only*: the request then goes only to providers of its own format (``ChatRequest.native_only``,
``daemon.gateway.honour``), and a request pinned to a model of the other format is refused with a 400
naming the field. A field sent with its default value (null, false, 0, an empty object) asks for
nothing and is not counted. Fields nothing can honour are refused here outright.
"""

from __future__ import annotations

from typing import Any

from daemon.api.fields import refuse

OPENAI_TRANSLATED = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "stream",
    "stream_options", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user",
    "reasoning_effort", "n",
})
"""OpenAI chat fields an Anthropic-format provider gets in its own terms."""
_OPENAI_PARTS = frozenset({"text", "image_url"})

ANTHROPIC_TRANSLATED = frozenset({
    "model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences", "stream", "tools",
    "tool_choice", "metadata", "thinking", "output_format", "output_config", "context_management",
})
"""Anthropic Messages fields an OpenAI-format provider gets in its own terms."""
_ANTHROPIC_BLOCKS = frozenset({"text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"})
_OUTPUT_CONFIG = frozenset({"format", "effort"})


def _asks(value: Any) -> bool:
    """Whether a field's value asks for anything (its defaults do not)."""
    return value not in (None, False, 0, "", {}, [])


def openai_chat_native_only(body: dict[str, Any]) -> tuple[str, ...]:
    """The fields of an OpenAI chat body only OpenAI-format providers honour; refuses what none can."""
    if _asks(body.get("audio")) or "audio" in (body.get("modalities") or ()):
        raise refuse("audio" if _asks(body.get("audio")) else "modalities",
                     "audio output is not carried through Switchboard; ask for text")
    found = [key for key, value in body.items() if key not in OPENAI_TRANSLATED and _asks(value)
             and not (key == "modalities" and value == ["text"])]
    temperature = body.get("temperature")
    if isinstance(temperature, int | float) and temperature > 1:
        found.append("temperature")  # Anthropic's range ends at 1
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        if _asks(message.get("name")):
            found.append("messages.name")
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in _OPENAI_PARTS:
                found.append(f"messages.content.{kind}")
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and tool.get("type", "function") != "function":
            found.append(f"tools.{tool.get('type')}")
        elif isinstance(tool, dict) and (tool.get("function") or {}).get("strict") is True:
            found.append("tools.function.strict")
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") not in (None, "function"):
        found.append("tool_choice")
    return tuple(dict.fromkeys(found))


def anthropic_native_only(body: dict[str, Any]) -> tuple[str, ...]:
    """The fields of an Anthropic Messages body only Anthropic-format providers honour."""
    found = [key for key, value in body.items() if key not in ANTHROPIC_TRANSLATED and _asks(value)]
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and any(_asks(v) for k, v in metadata.items() if k != "user_id"):
        found.append("metadata")
    config = body.get("output_config")
    if isinstance(config, dict):
        found += [f"output_config.{key}" for key, value in config.items() if key not in _OUTPUT_CONFIG and _asks(value)]
    for form in (body.get("output_format"), (config or {}).get("format") if isinstance(config, dict) else None):
        if isinstance(form, dict) and form.get("type") != "json_schema":
            found.append("output_format")
    edits = (body.get("context_management") or {}).get("edits") if isinstance(body.get("context_management"), dict) else None
    if any(not str(e.get("type", "")).startswith("clear_thinking") for e in edits or () if isinstance(e, dict)):
        found.append("context_management")  # thinking never reaches another format: clearing it is moot
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and tool.get("type", "custom") != "custom":
            found.append(f"tools.{tool.get('type')}")
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            kind = block.get("type") if isinstance(block, dict) else None
            if kind not in _ANTHROPIC_BLOCKS:
                found.append(f"messages.content.{kind}")
            elif kind == "image" and (block.get("source") or {}).get("type") not in ("base64", "url"):
                found.append("messages.content.image.source")
            elif kind == "tool_result" and isinstance(block.get("content"), list) and any(
                    isinstance(b, dict) and b.get("type") != "text" for b in block["content"]):
                found.append("messages.content.tool_result.content")
    system = body.get("system")
    for block in system if isinstance(system, list) else ():
        if isinstance(block, dict) and block.get("type", "text") != "text":
            found.append(f"system.{block.get('type')}")
    return tuple(dict.fromkeys(found))


def anthropic_response_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """Anthropic's ``output_config.format`` (or the older ``output_format``) as OpenAI's ``response_format``."""
    config = body.get("output_config")
    form = (config or {}).get("format") if isinstance(config, dict) else None
    form = form or body.get("output_format")
    if not isinstance(form, dict) or form.get("type") != "json_schema":
        return None
    schema = form.get("schema") if isinstance(form.get("schema"), dict) else {"type": "object"}
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "max": "high", "xhigh": "high"}


def anthropic_reasoning_effort(body: dict[str, Any]) -> str | None:
    """OpenAI's ``reasoning_effort`` for an Anthropic body's ``output_config.effort`` or ``thinking``."""
    config = body.get("output_config")
    effort = config.get("effort") if isinstance(config, dict) else None
    if isinstance(effort, str) and effort in _EFFORTS:
        return _EFFORTS[effort]
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "adaptive"):
        return None
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int):
        return "medium"
    return "low" if budget <= 2048 else "medium" if budget <= 8192 else "high"
