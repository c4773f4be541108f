"""The Anthropic Messages wire format: `/v1/messages` and `/v1/messages/count_tokens`.

Parses request bodies into `Turn`s and renders replies, errors and the real stream event sequence
(message_start, content_block_start, ping, content_block_delta..., content_block_stop,
message_delta, message_stop).
"""

from __future__ import annotations

import json
from typing import Any

from daemon.sim.profiles import ModelProfile
from daemon.sim.respond import StreamPlan, dumps
from daemon.sim.turns import (
    CONTENT_POLICY_MESSAGE,
    Reply,
    SimError,
    ToolSpec,
    Turn,
    choose_tool,
    input_tokens,
    last_user_text,
    latest_turn,
    text_of,
)

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool": "tool_use"}
_MALFORMED = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n'

# (error type, default message) per error kind, as the Anthropic API words them.
_ERRORS: dict[str, tuple[str, str]] = {
    "invalid_request": ("invalid_request_error", "Invalid request."),
    "authentication": ("authentication_error", "invalid x-api-key"),
    "not_found": ("not_found_error", "Not found."),
    "rate_limit": ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    "server_error": ("api_error", "Internal server error"),
    "unavailable": ("overloaded_error", "Overloaded"),
    "context_length": ("invalid_request_error", ""),
    "content_filter": ("invalid_request_error", "Output blocked by content filtering policy"),
    "content_policy": ("invalid_request_error", CONTENT_POLICY_MESSAGE),
}


def event(name: str, obj: dict[str, Any]) -> bytes:
    """One `event:` + `data:` server-sent event."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(obj) + b"\n\n"


def _error_body(error: SimError) -> dict[str, Any]:
    kind, message = _ERRORS[error.kind]
    if error.kind == "not_found" and "model" in error.detail:
        message = f"model: {error.detail['model']}"
    elif error.kind == "context_length":
        message = f"prompt is too long: {error.detail['tokens']} tokens > {error.detail['limit']} maximum"
    return {"type": "error", "error": {"type": kind, "message": error.message or message}}


def _is_tool_result(message: Any) -> bool:
    content = message.get("content") if isinstance(message, dict) else None
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def _pick_tool(body: dict[str, Any]) -> ToolSpec | None:
    """The tool to call (``choose_tool``'s rule), when the latest turn is the user's and not a tool result."""
    choice = body.get("tool_choice") or {"type": "auto"}
    messages = body.get("messages") or []
    last = latest_turn(messages)
    if choice.get("type") == "none" or last.get("role") != "user" or _is_tool_result(last):
        return None
    tools = [ToolSpec(name=t.get("name", "tool"), schema=t.get("input_schema") or {})
             for t in body.get("tools") or [] if isinstance(t, dict)]
    forced: bool | str = choice.get("type") == "any"
    if choice.get("type") == "tool":
        forced = str(choice.get("name", ""))
    return choose_tool(tools, last_user_text(messages), forced)


def _messages(body: dict[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise SimError("invalid_request", 400, "messages: Field required")
    return messages


def count_input_tokens(body: dict[str, Any]) -> int:
    """Input tokens of a messages (or count_tokens) body."""
    return input_tokens(_messages(body), system=body.get("system"), tools=body.get("tools"))


class MessagesCodec:
    """`POST /v1/messages`."""

    wire = "anthropic"
    request_id_header = "request-id"
    id_prefix = "msg_sim"

    @staticmethod
    def parse(body: dict[str, Any]) -> Turn:
        """The `Turn` a messages body asks for."""
        messages = _messages(body)
        if body.get("max_tokens") is None:
            raise SimError("invalid_request", 400, "max_tokens: Field required")
        last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
        prefill = text_of(last.get("content")) if last.get("role") == "assistant" else None
        if prefill and prefill != prefill.rstrip():
            # The real API refuses this; a gateway resuming a stream must strip the prefill.
            raise SimError(
                "invalid_request", 400, "messages: final assistant content cannot end with trailing whitespace"
            )
        output = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
        return Turn(
            model=body["model"],
            prompt_text=last_user_text(messages),
            stream=bool(body.get("stream")),
            prefill=prefill,
            input_tokens=count_input_tokens(body),
            max_tokens=int(body["max_tokens"]),
            tool=_pick_tool(body),
            json_schema=(output.get("schema") or {}) if output.get("type") == "json_schema" else None,
        )

    error_body = staticmethod(_error_body)

    @staticmethod
    def _usage(turn: Turn, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": turn.input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }

    def _message(self, turn: Turn, rid: str, content: list[Any], stop: str | None, output_tokens: int) -> dict:
        return {
            "id": rid,
            "type": "message",
            "role": "assistant",
            "model": turn.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self._usage(turn, output_tokens),
        }

    def render(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> dict[str, Any]:
        """The non-streaming message object."""
        if reply.tool_name is not None:
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{reply.tool_id_hash}",
                    "name": reply.tool_name,
                    "input": json.loads(reply.tool_arguments),
                }
            ]
        else:
            content = [{"type": "text", "text": reply.text}] if reply.text else []
        return self._message(turn, rid, content, _STOP[reply.finish], reply.output_tokens)

    def stream(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> StreamPlan:
        """The full Anthropic stream event sequence for `reply`."""
        if reply.tool_name is not None:
            block = {"type": "tool_use", "id": f"toolu_{reply.tool_id_hash}", "name": reply.tool_name, "input": {}}
            delta_type, field = "input_json_delta", "partial_json"
        else:
            block, delta_type, field = {"type": "text", "text": ""}, "text_delta", "text"
        head = [
            event("message_start", {"type": "message_start", "message": self._message(turn, rid, [], None, 1)}),
            event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}),
            event("ping", {"type": "ping"}),
        ]
        # Deltas differ only in their text: splice it between pre-encoded halves (cheap instant path).
        before, after = event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": delta_type, field: "\x00"}},
        ).split(b'"\\u0000"')
        body = [before + dumps("".join(pieces)) + after for _, pieces in reply.chunks()]
        tail = [
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _STOP[reply.finish], "stop_sequence": None},
                    "usage": {"output_tokens": reply.output_tokens},
                },
            ),
        ]
        done = event("message_stop", {"type": "message_stop"})
        return StreamPlan(head=head, body=body, tail=tail, done=done, malformed=_MALFORMED)
