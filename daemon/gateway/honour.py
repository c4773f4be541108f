"""Whether a model can honour everything a request asks for: the rule behind ``docs/features.md``.

A request's features are honoured or refused, never silently ignored. Most are translated between the
wire formats (``openai_wire``, ``anthropic_wire``); what is left:

- **structured output** (``response_format`` / Anthropic ``output_format``, ``output_config.format``):
  sent natively to a model that takes it (``json_schema`` capability; ``json`` for OpenAI's JSON mode),
  else as a forced tool whose input schema is the schema, its arguments returned as the answer text
  (``tool`` mode: needs the ``tools`` capability and no tools of the request's own); else the model
  cannot honour it.
- **fields only the caller's own wire format has** (``ChatRequest.native_only``: OpenAI's ``seed`` or
  ``logit_bias``, Anthropic's ``top_k`` or document blocks...): only a provider of that format gets them.

The router leaves out the models that cannot honour a request (a pinned one is a 400 naming the
field); the gateway never sends a request to one, not even as a configured fallback.
"""

from __future__ import annotations

from typing import Any, Literal

from daemon.config import ModelSettings
from daemon.gateway.types import ChatRequest, Event, Finish, TextDelta, ToolCallDelta

StructuredMode = Literal["native", "tool"]
FORCED_TOOL = "structured_answer"
"""The name of the tool a schema is sent as, to a model that cannot take the schema natively."""
_FORCED_DESCRIPTION = "Give your whole answer as this tool's input, as JSON matching its schema."


def wire_of(model: ModelSettings) -> str:
    """The wire family a model's provider speaks: ``anthropic``, ``openai`` (direct) or ``litellm``."""
    provider = model.provider
    return provider if provider in ("anthropic", "openai") else "litellm"


def caller_wire(request: ChatRequest) -> str:
    """The wire family of the caller's own body (a request built here, like the Responses API's, speaks OpenAI's)."""
    native = request.native
    return "anthropic" if native is not None and native.wire == "anthropic" else "openai"


def structured_mode(model: ModelSettings, response_format: dict[str, Any] | None,
                    has_tools: bool) -> StructuredMode | None:
    """How ``model`` honours ``response_format``: natively, as a forced tool, or not at all (None)."""
    kind = (response_format or {}).get("type")
    if kind not in ("json_object", "json_schema"):
        return "native"
    capabilities = model.capabilities
    if wire_of(model) == "anthropic":
        native = kind == "json_schema" and "json_schema" in capabilities
    else:
        native = ("json_schema" if kind == "json_schema" else "json") in capabilities
    if native:
        return "native"
    if "tools" in capabilities and not has_tools:
        return "tool"
    return None


def unable(model: ModelSettings, request: ChatRequest) -> tuple[str, str] | None:
    """``(field, why)`` when ``model`` cannot honour part of ``request``; None when it can honour it all."""
    if request.native_only and wire_of(model) != caller_wire(request):
        field = request.native_only[0]
        return field, (f"cannot honour '{field}': it has no equivalent in the {_FORMAT[wire_of(model)]} format "
                       f"{model.litellm_model} speaks; only {_FORMAT[caller_wire(request)]}-format models honour it")
    if request.response_format and structured_mode(model, request.response_format, _own_tools(request)) is None:
        kind = request.response_format.get("type")
        why = "it has neither the json_schema nor the tools capability" if not _own_tools(request) else \
            "it cannot take a schema natively (json_schema capability) and the request's own tools rule out a forced tool"
        if kind == "json_object" and wire_of(model) != "anthropic":
            why = why.replace("json_schema nor", "json nor").replace("(json_schema capability)", "(json capability)")
        return "response_format", f"cannot honour response_format {kind}: {why}"
    return None


def needs_check(request: ChatRequest) -> bool:
    """Whether ``unable`` can say anything about this request (most requests: no, at two attribute reads)."""
    return bool(request.native_only or request.response_format)


def _own_tools(request: ChatRequest) -> bool:
    return bool(request.tools) and request.tool_choice != "none"


_FORMAT = {"anthropic": "Anthropic", "openai": "OpenAI", "litellm": "LiteLLM-translated"}


# -- the forced tool ----------------------------------------------------------------------------------


def schema_of(response_format: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a response format asks for (any object, for JSON mode)."""
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict) and schema:
            return schema
    return {"type": "object"}


def forced_tool_openai(response_format: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tool, tool_choice) in OpenAI's form."""
    tool = {"type": "function", "function": {"name": FORCED_TOOL, "description": _FORCED_DESCRIPTION,
                                             "parameters": schema_of(response_format)}}
    return tool, {"type": "function", "function": {"name": FORCED_TOOL}}


def forced_tool_anthropic(response_format: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tool, tool_choice) in Anthropic's form."""
    tool = {"name": FORCED_TOOL, "description": _FORCED_DESCRIPTION, "input_schema": schema_of(response_format)}
    return tool, {"type": "tool", "name": FORCED_TOOL}


def anthropic_format(response_format: dict[str, Any]) -> dict[str, Any]:
    """A json_schema response format as Anthropic's ``output_config.format``."""
    return {"type": "json_schema", "schema": schema_of(response_format)}


def answer_as_text(events: list[Event]) -> list[Event]:
    """A forced tool's call as the answer text it stands for (its arguments), and its finish as a stop."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, ToolCallDelta):
            if event.arguments:
                out.append(TextDelta(event.arguments))
        elif isinstance(event, Finish) and event.reason == "tool_calls":
            out.append(Finish("stop", event.usage))
        else:
            out.append(event)
    return out
