"""A request made format-neutral (`Turn`), the reply a model gives to it (`Reply`), and `SimError`.

Both wire formats parse into a `Turn` and render a `Reply`, so answers, continuation, tool calls,
truncation and logprobs behave the same whichever format a client speaks; that is what lets the
gateway fall back from an OpenAI-format model to an Anthropic-format one mid-answer.

Token accounting: a request's input tokens are `count_tokens` of every message text (text
blocks, tool results, tool-call arguments), the system prompt, and the JSON of the tools.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

from daemon.sim.answers import answer_text, continuation, count_tokens, fim_answer, split_tokens
from daemon.sim.profiles import ModelProfile

ErrorKind = Literal[
    "invalid_request",
    "authentication",
    "not_found",
    "rate_limit",
    "server_error",
    "unavailable",
    "context_length",
    "content_filter",
    "content_policy",
]


CONTENT_POLICY_MESSAGE = (
    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not "
    "allowed by our safety system."
)
"""What OpenAI's safety system answers (code ``content_policy_violation``)."""

NO_PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. The conversation must end with a user message."
)
"""What a model without assistant prefill answers to a conversation that ends with an assistant turn."""


class SimError(Exception):
    """An error the sim answers with; each wire module renders it in its provider's shape."""

    def __init__(
        self,
        kind: ErrorKind,
        status: int,
        message: str = "",
        *,
        param: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.status = status
        self.message = message
        self.param = param
        self.detail = detail or {}


@dataclass(slots=True)
class ToolSpec:
    """The tool a model will call: its name and JSON schema (and the arguments the prompt scripted)."""

    name: str
    schema: dict[str, Any]
    arguments: dict[str, Any] | None = None
    """Set when the prompt gave them (``Read {"file_path": "/tmp/notes.txt"}``); else sample values."""


_ARGUMENTS = json.JSONDecoder()


def choose_tool(tools: list[ToolSpec], prompt: str, forced: bool | str | None) -> ToolSpec | None:
    """The tool the model calls, by the sim's rule, or None for a text answer.

    The tool the request forces (``tool_choice`` naming one); else the tool the prompt names (its exact
    name as a word; the first mentioned), with a JSON object right after the name as its arguments;
    else the first tool when the request requires one, or when it offers just one. A request offering
    several tools and naming none gets a text answer: a coding agent sends its whole toolbox with
    every turn, and "say hello" is not a request to use it.
    """
    if not tools:
        return None
    if isinstance(forced, str):
        return next((t for t in tools if t.name == forced), tools[0])
    mentioned: tuple[int, ToolSpec, re.Match[str]] | None = None
    for tool in tools:
        if not tool.name:
            continue
        found = re.search(r"(?<![\w-])" + re.escape(tool.name) + r"(?![\w-])", prompt)
        if found is not None and (mentioned is None or found.start() < mentioned[0]):
            mentioned = (found.start(), tool, found)
    if mentioned is not None:
        _, tool, found = mentioned
        rest = prompt[found.end():].lstrip()
        if rest.startswith("{"):
            try:
                arguments, _ = _ARGUMENTS.raw_decode(rest)
            except ValueError:
                arguments = None
            if isinstance(arguments, dict):
                return ToolSpec(tool.name, tool.schema, arguments)
        return tool
    if forced or len(tools) == 1:
        return tools[0]
    return None


@dataclass(slots=True)
class Turn:
    """What a generation request asks for, independent of wire format."""

    model: str
    prompt_text: str
    stream: bool = False
    prefill: str | None = None
    suffix: str | None = None
    """Fill-in-the-middle suffix (legacy completions only)."""
    input_tokens: int = 0
    max_tokens: int | None = None
    tool: ToolSpec | None = None
    """Set when the model must answer with a call to this tool."""
    json_object: bool = False
    json_schema: dict[str, Any] | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    include_usage: bool = False


@dataclass(slots=True)
class Reply:
    """What the model sends: text or one tool call, already continued and truncated."""

    finish: Literal["stop", "length", "tool"]
    text: str = ""
    full_text: str = ""
    """The complete intended answer, before continuation and truncation."""
    tool_name: str | None = None
    tool_id_hash: str = ""
    tool_arguments: str = ""
    pieces: list[str] = field(default_factory=list)
    """One entry per output token; they join to `text` (or to `tool_arguments`)."""
    chunk_tokens: int = 3

    @property
    def output_tokens(self) -> int:
        """Tokens generated (what `usage` reports)."""
        return len(self.pieces)

    def chunks(self) -> list[tuple[int, list[str]]]:
        """The content deltas a stream sends: (index of the first token, its tokens)."""
        size = self.chunk_tokens
        return [(i, self.pieces[i : i + size]) for i in range(0, len(self.pieces), size)]


def text_of(content: Any) -> str:
    """The plain text of a message `content` (a string, or text blocks of a block list)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") in ("text", "input_text") and isinstance(b.get("text"), str)
        )
    return ""


def all_text(value: Any) -> str:
    """Every string in a message content, tool result or tool call (for token counting)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(all_text(v) for v in value)
    if isinstance(value, dict):
        parts = [all_text(value.get(k)) for k in ("text", "content", "arguments", "thinking")]
        if "input" in value:
            parts.append(json.dumps(value["input"]))
        if isinstance(value.get("function"), dict):
            parts.append(all_text(value["function"]))
        parts.extend(all_text(call) for call in value.get("tool_calls") or ())
        return " ".join(p for p in parts if p)
    return ""


def latest_turn(messages: list[Any]) -> dict[str, Any]:
    """The last message that is not a system note (agents append those after the user's turn)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") not in ("system", "developer"):
            return message
    return {}


def last_user_text(messages: list[Any]) -> str:
    """Text of the last user message that has text (tool-result-only turns are skipped)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = text_of(message.get("content"))
            if text:
                return text
    return ""


def sample_value(schema: Any, root: dict[str, Any], *, every_property: bool = False, depth: int = 0) -> Any:
    """A simple value valid for `schema`: required properties filled, first enum value, etc."""
    if not isinstance(schema, dict) or depth > 8:
        return "example"
    if isinstance(ref := schema.get("$ref"), str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return sample_value(target, root, every_property=every_property, depth=depth + 1)
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return sample_value(schema[key][0], root, every_property=every_property, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        names = list(props) if every_property else list(schema.get("required") or ())
        return {n: sample_value(props.get(n, {}), root, every_property=every_property, depth=depth + 1) for n in names}
    if kind == "array":
        item = sample_value(schema.get("items", {}), root, every_property=every_property, depth=depth + 1)
        return [item] * int(schema.get("minItems", 1))
    simple = {"integer": 1, "number": 1.5, "boolean": True, "null": None}
    return simple.get(kind, "example")  # type: ignore[arg-type]


def build_reply(turn: Turn, profile: ModelProfile, fixed_text: str | None = None) -> Reply:
    """The reply `profile` gives to `turn`; `fixed_text` is a scripted `reply` fault's text."""
    if turn.tool is not None and fixed_text is None:
        scripted = turn.tool.arguments
        arguments = json.dumps(scripted if scripted is not None else sample_value(turn.tool.schema, turn.tool.schema))
        pieces = split_tokens(arguments)
        key = hashlib.sha256(f"{turn.prompt_text}\x00{turn.tool.name}".encode()).hexdigest()[:24]
        return Reply(
            finish="tool",
            tool_name=turn.tool.name,
            tool_id_hash=key,
            tool_arguments=arguments,
            full_text=arguments,
            pieces=pieces,
            chunk_tokens=profile.chunk_tokens,
        )
    if fixed_text is not None:
        full = fixed_text
    elif turn.suffix is not None:
        full = fim_answer(turn.prompt_text, turn.suffix, profile.answer_seed)
    elif turn.json_schema is not None:
        value = sample_value(turn.json_schema, turn.json_schema, every_property=True)
        # A schema-less json_schema request still promises an object.
        full = json.dumps(value if isinstance(value, dict) else {"answer": answer_text(turn.prompt_text)})
    elif turn.json_object:
        full = json.dumps({"answer": answer_text(turn.prompt_text, profile.answer_seed)})
    else:
        full = answer_text(turn.prompt_text, profile.answer_seed)
    pieces = split_tokens(continuation(full, turn.prefill))
    finish: Literal["stop", "length"] = "stop"
    if turn.max_tokens is not None and len(pieces) > turn.max_tokens:
        pieces = pieces[: turn.max_tokens]
        finish = "length"
    return Reply(
        finish=finish,
        text="".join(pieces),
        full_text=full,
        pieces=pieces,
        chunk_tokens=profile.chunk_tokens,
    )


def token_logprob(piece: str, index: int, confidence: float) -> float:
    """Deterministic log-probability of one output token; the mean probability is `confidence`."""
    jitter = (zlib.crc32(f"{index}:{piece}".encode()) % 1000) / 1000  # in [0, 1)
    probability = min(1.0, max(1e-4, confidence * (0.9 + 0.2 * jitter)))
    return math.log(probability)


def input_tokens(messages: list[Any], system: Any = None, tools: Any = None) -> int:
    """Input tokens of a request: its message texts, system prompt and the JSON of its tools."""
    total = sum(count_tokens(all_text(m)) for m in messages)
    if system:
        total += count_tokens(all_text(system))
    if tools:
        total += count_tokens(json.dumps(tools))
    return total
