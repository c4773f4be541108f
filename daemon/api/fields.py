"""The fields of an OpenAI or Anthropic body, checked where the request comes in.

Everything past the edge (translation between formats, the guard, the classifier, the gateway) reads
these bodies as the formats define them. A field of the wrong type or out of range is refused here,
before any of that runs, as a 400 whose message starts with the field's path
(``messages.2.content: ...``) and whose ``details.param`` names it, so the caller sees what to fix
instead of a 500. Fields the daemon neither reads nor knows are left to a provider of the
caller's format (``daemon.api.features`` keeps them from the other format's).

Each check is a function ``(value, path) -> None`` that raises ``InvalidRequestError``; a body's
rules are a dict of field name to check, applied to the fields the body has (a handful per request).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from daemon.errors import InvalidRequestError

Check = Callable[[Any, str], None]


def refuse(path: str, what: str) -> InvalidRequestError:
    """The error for the field at ``path``: its message starts with the path, ``details.param`` names it."""
    return InvalidRequestError(f"{path}: {what}", details={"param": path})


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def string(value: Any, path: str) -> None:
    """A string."""
    if not isinstance(value, str):
        raise refuse(path, f"must be a string, not {_kind(value)}")


def boolean(value: Any, path: str) -> None:
    """true or false."""
    if not isinstance(value, bool):
        raise refuse(path, f"must be true or false, not {_kind(value)}")


def obj(value: Any, path: str) -> None:
    """A JSON object."""
    if not isinstance(value, dict):
        raise refuse(path, f"must be an object, not {_kind(value)}")


def integer(low: int, high: int) -> Check:
    """A whole number in [low, high]."""
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(path, f"must be a whole number, not {_kind(value)}")
        if not low <= value <= high:
            raise refuse(path, f"must be between {low} and {high}, not {value}")
    return check


def number(low: float, high: float) -> Check:
    """A number in [low, high]."""
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse(path, f"must be a number, not {_kind(value)}")
        if not low <= value <= high:
            raise refuse(path, f"must be between {low:g} and {high:g}, not {value:g}")
    return check


def nullable(check: Check) -> Check:
    """``check``, or null (OpenAI accepts null for every optional parameter)."""
    def nullable_check(value: Any, path: str) -> None:
        if value is not None:
            check(value, path)
    return nullable_check


def array(item: Check, *, min_items: int = 0) -> Check:
    """An array of at least ``min_items`` items, each passing ``item``."""
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise refuse(path, f"must be an array, not {_kind(value)}")
        if len(value) < min_items:
            raise refuse(path, f"must have at least {min_items} item{'s' if min_items > 1 else ''}")
        for index, element in enumerate(value):
            item(element, f"{path}.{index}")
    return check


def either(first: Check, second: Check, what: str) -> Check:
    """``first`` or ``second`` (told as ``what`` when neither fits)."""
    def check(value: Any, path: str) -> None:
        try:
            first(value, path)
        except InvalidRequestError:
            try:
                second(value, path)
            except InvalidRequestError:
                raise refuse(path, f"must be {what}, not {_kind(value)}") from None
    return check


def shape(rules: Mapping[str, Check], *, required: tuple[str, ...] = ()) -> Check:
    """An object whose named fields pass their checks (others are left alone)."""
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, f"must be an object, not {_kind(value)}")
        for name in required:
            if name not in value:
                raise refuse(f"{path}.{name}", "is required")
        fields(value, rules, prefix=f"{path}.")
    return check


def tagged(blocks: Mapping[str, Check]) -> Check:
    """An object with a string ``type``; the kinds named in ``blocks`` are checked further."""
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, f"must be an object, not {_kind(value)}")
        kind = value.get("type")
        if not isinstance(kind, str):
            raise refuse(f"{path}.type", "is required and must be a string")
        block = blocks.get(kind)
        if block is not None:
            block(value, path)
    return check


def fields(body: dict[str, Any], rules: Mapping[str, Check], *, prefix: str = "") -> None:
    """Apply ``rules`` to the fields ``body`` has."""
    for name, value in body.items():
        check = rules.get(name)
        if check is not None:
            check(value, prefix + name)


def check_body(body: dict[str, Any], rules: Mapping[str, Check], required: tuple[str, ...] = ()) -> None:
    """A request body: the ``required`` fields are there and every field it has passes its rule."""
    for name in required:
        if name not in body:
            raise refuse(name, "is required")
    fields(body, rules)


def _only_one(value: Any, path: str) -> None:
    if isinstance(value, bool) or value != 1:
        raise refuse(path, "only 1 is supported; send several requests for several answers")


# -- the shared vocabulary -----------------------------------------------------------------------------

MAX_TOKENS = integer(1, 2**31 - 1)
STRINGS = array(string)
STOP = either(string, STRINGS, "a string or an array of strings")
TEMPERATURE = number(0, 2)
UNIT = number(0, 1)
PENALTY = number(-2, 2)

# -- OpenAI --------------------------------------------------------------------------------------------

_OPENAI_PART = tagged({
    "text": shape({"text": string}, required=("text",)),
    "image_url": shape({"image_url": shape({"url": string}, required=("url",))}, required=("image_url",)),
})
_OPENAI_TOOL_CALL = shape({
    "id": string, "type": string,
    "function": shape({"name": string, "arguments": string}, required=("name",)),
}, required=("function",))
OPENAI_MESSAGE = shape({
    "role": string,
    "content": nullable(either(string, array(_OPENAI_PART), "a string, null or an array of content parts")),
    "name": string,
    "tool_calls": nullable(array(_OPENAI_TOOL_CALL)),
    "tool_call_id": string,
}, required=("role",))
_OPENAI_TOOL = shape({
    "type": string,
    "function": shape({"name": string, "description": nullable(string), "parameters": nullable(obj)},
                      required=("name",)),
})
_COMMON_OPENAI: dict[str, Check] = {
    "model": string,
    "max_tokens": nullable(MAX_TOKENS),
    "temperature": nullable(TEMPERATURE),
    "top_p": nullable(UNIT),
    "n": nullable(_only_one),
    "stream": nullable(boolean),
    "stream_options": nullable(shape({"include_usage": nullable(boolean)})),
    "stop": nullable(STOP),
    "seed": nullable(integer(-(2**63), 2**63 - 1)),
    "user": nullable(string),
    "presence_penalty": nullable(PENALTY),
    "frequency_penalty": nullable(PENALTY),
    "logit_bias": nullable(obj),
    "metadata": nullable(obj),
    "service_tier": nullable(string),
}
OPENAI_CHAT: dict[str, Check] = {
    **_COMMON_OPENAI,
    "messages": array(OPENAI_MESSAGE, min_items=1),
    "max_completion_tokens": nullable(MAX_TOKENS),
    "logprobs": nullable(boolean),
    "top_logprobs": nullable(integer(0, 20)),
    "response_format": nullable(shape({"type": string}, required=("type",))),
    "tools": nullable(array(_OPENAI_TOOL)),
    "tool_choice": nullable(either(string, shape({"type": string, "function": shape({"name": string})}),
                                   "a string or an object")),
    "parallel_tool_calls": nullable(boolean),
    "reasoning_effort": nullable(string),
}
OPENAI_TEXT: dict[str, Check] = {
    **_COMMON_OPENAI,
    "prompt": either(string, array(string, min_items=1), "a string or an array of one string"),
    "suffix": nullable(string),
    "logprobs": nullable(either(boolean, integer(0, 5), "a whole number from 0 to 5")),
    "echo": nullable(boolean),
    "best_of": nullable(_only_one),
}

# -- Anthropic -----------------------------------------------------------------------------------------

_TEXT_BLOCK = shape({"text": string}, required=("text",))
_ANTHROPIC_LEAF_BLOCK = tagged({
    "text": _TEXT_BLOCK,
    "image": shape({"source": obj}, required=("source",)),
})
_ANTHROPIC_BLOCK = tagged({
    "text": _TEXT_BLOCK,
    "image": shape({"source": obj}, required=("source",)),
    "tool_use": shape({"id": string, "name": string, "input": obj}, required=("name",)),
    "tool_result": shape({
        "tool_use_id": string,
        "content": either(string, array(_ANTHROPIC_LEAF_BLOCK), "a string or an array of content blocks"),
        "is_error": boolean,
    }, required=("tool_use_id",)),
    "thinking": shape({"thinking": string, "signature": string}),
})


ANTHROPIC_MESSAGE = shape({
    "role": string,  # "user" or "assistant" in the API's documentation; Claude Code also sends "system"
    "content": either(string, array(_ANTHROPIC_BLOCK), "a string or an array of content blocks"),
}, required=("role", "content"))
_ANTHROPIC_TOOL = shape({"name": string, "description": string, "input_schema": obj}, required=("name",))
_ANTHROPIC_COMMON: dict[str, Check] = {
    "model": string,
    "messages": array(ANTHROPIC_MESSAGE, min_items=1),
    "system": either(string, array(_TEXT_BLOCK), "a string or an array of text blocks"),
    "tools": array(_ANTHROPIC_TOOL),
    "tool_choice": tagged({"tool": shape({"name": string}, required=("name",))}),
    "thinking": tagged({"enabled": shape({"budget_tokens": integer(1, 2**31 - 1)})}),
}
ANTHROPIC_MESSAGES: dict[str, Check] = {
    **_ANTHROPIC_COMMON,
    "max_tokens": MAX_TOKENS,
    "temperature": number(0, 1),
    "top_p": UNIT,
    "top_k": integer(0, 2**31 - 1),
    "stop_sequences": STRINGS,
    "stream": boolean,
    "metadata": shape({"user_id": nullable(string)}),
}
ANTHROPIC_COUNT_TOKENS: dict[str, Check] = dict(_ANTHROPIC_COMMON)

# -- embeddings ----------------------------------------------------------------------------------------


def _embedding_input(value: Any, path: str) -> None:
    """A string, or a non-empty array of strings, of token ids, or of arrays of token ids."""
    if isinstance(value, str):
        if not value:
            raise refuse(path, "must not be empty")
        return
    if not isinstance(value, list) or not value:
        raise refuse(path, f"must be a string or a non-empty array, not {_kind(value) if value != [] else 'empty'}")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return
    for index, item in enumerate(value):
        if isinstance(item, str):
            if not item:
                raise refuse(f"{path}.{index}", "must not be empty")
        elif not (isinstance(item, list) and item and all(isinstance(v, int) and not isinstance(v, bool)
                                                          for v in item)):
            raise refuse(f"{path}.{index}", "must be a string or a non-empty array of token ids")


def _encoding(value: Any, path: str) -> None:
    if value not in ("float", "base64"):
        raise refuse(path, f"must be 'float' or 'base64', not {value!r}")


OPENAI_EMBEDDINGS: dict[str, Check] = {
    "model": string,
    "input": _embedding_input,
    "encoding_format": nullable(_encoding),
    "dimensions": nullable(integer(1, 65_536)),
    "user": nullable(string),
}
"""Every field an embeddings body may carry: any other is refused (nothing here would honour it)."""
