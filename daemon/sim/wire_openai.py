"""The OpenAI wire format: chat completions and legacy completions (with fill-in-the-middle).

Parses request bodies into `Turn`s and renders replies and errors the way api.openai.com does,
including the stream chunk sequence, the optional usage chunk and token logprobs.
"""

from __future__ import annotations

import time
from typing import Any

from daemon.sim.answers import count_tokens
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
    token_logprob,
)

_DONE = b"data: [DONE]\n\n"
_MALFORMED = b'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"unterminated\n\n'
_FINISH = {"stop": "stop", "length": "length", "tool": "tool_calls"}

# (type, code, default message) per error kind; messages are the ones OpenAI and Azure send.
_ERRORS: dict[str, tuple[str | None, str | None, str]] = {
    "invalid_request": ("invalid_request_error", None, "Invalid request."),
    "authentication": ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    "not_found": ("invalid_request_error", "model_not_found", "The model does not exist."),
    "rate_limit": ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    "server_error": ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    "unavailable": ("server_error", None, "The engine is currently overloaded, please try again later."),
    "context_length": ("invalid_request_error", "context_length_exceeded", ""),
    "content_filter": (
        "invalid_request_error",
        "content_filter",
        "The response was filtered due to the prompt triggering Azure OpenAI's content "
        "management policy. Please modify your prompt and retry.",
    ),
    "content_policy": ("invalid_request_error", "content_policy_violation", CONTENT_POLICY_MESSAGE),
}


def sse(obj: dict[str, Any]) -> bytes:
    """One `data: {json}` server-sent event."""
    return b"data: " + dumps(obj) + b"\n\n"


def _error_body(error: SimError) -> dict[str, Any]:
    kind, code, message = _ERRORS[error.kind]
    param = error.param
    if error.kind == "not_found" and "model" in error.detail:
        message = f"The model `{error.detail['model']}` does not exist or you do not have access to it."
    elif error.kind == "context_length":
        message = (
            f"This model's maximum context length is {error.detail['limit']} tokens. However, your messages "
            f"resulted in {error.detail['tokens']} tokens. Please reduce the length of the messages."
        )
        param = param or "messages"
    elif error.kind == "content_filter":
        param = param or "prompt"
    return {"error": {"message": error.message or message, "type": kind, "param": param, "code": code}}


def _require(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise SimError("invalid_request", 400, f"Missing required parameter: '{name}'.", param=name)
    return body[name]


def _usage(turn: Turn, reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": turn.input_tokens + reply.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _token_entries(pieces: list[str], start: int, turn: Turn, profile: ModelProfile) -> list[dict[str, Any]]:
    """Chat-format logprobs for `pieces`, the output tokens starting at index `start`."""
    entries = []
    for offset, piece in enumerate(pieces):
        logprob = token_logprob(piece, start + offset, profile.confidence)
        top = [{"token": piece, "logprob": logprob, "bytes": list(piece.encode())}]
        top += [
            {"token": f"{piece}~{n}", "logprob": logprob - 1.5 * n, "bytes": list(f"{piece}~{n}".encode())}
            for n in range(1, turn.top_logprobs)
        ]
        entries.append({**top[0], "top_logprobs": top[: turn.top_logprobs]})
    return entries


def _pick_tool(body: dict[str, Any]) -> ToolSpec | None:
    """The tool to call (``choose_tool``'s rule), when the latest turn is the user's: a tool result answers."""
    choice = body.get("tool_choice", "auto")
    messages = body.get("messages") or []
    if choice == "none" or latest_turn(messages).get("role") != "user":
        return None
    tools = []
    for tool in body.get("tools") or []:
        function = tool.get("function") or {} if isinstance(tool, dict) else {}
        tools.append(ToolSpec(name=function.get("name", "tool"), schema=function.get("parameters") or {}))
    forced: bool | str = choice == "required"
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        forced = str(choice["function"].get("name", ""))
    return choose_tool(tools, last_user_text(messages), forced)


class ChatCodec:
    """`POST /v1/chat/completions`."""

    wire = "openai"
    request_id_header = "x-request-id"
    id_prefix = "chatcmpl-sim"

    @staticmethod
    def parse(body: dict[str, Any]) -> Turn:
        """The `Turn` a chat completions body asks for."""
        messages = _require(body, "messages")
        if not isinstance(messages, list) or not messages:
            raise SimError("invalid_request", 400, "'messages' must contain at least one message.", param="messages")
        last = messages[-1] if isinstance(messages[-1], dict) else {}
        fmt = body.get("response_format") or {}
        schema = None
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return Turn(
            model=body["model"],
            prompt_text=last_user_text(messages),
            stream=bool(body.get("stream")),
            prefill=text_of(last.get("content")) if last.get("role") == "assistant" else None,
            input_tokens=input_tokens(messages, tools=body.get("tools")),
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            tool=_pick_tool(body),
            json_object=fmt.get("type") == "json_object",
            json_schema=schema,
            logprobs=bool(body.get("logprobs")),
            top_logprobs=int(body.get("top_logprobs") or 0),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )

    error_body = staticmethod(_error_body)

    def render(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> dict[str, Any]:
        """The non-streaming chat completion object."""
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        if reply.tool_name is not None:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{reply.tool_id_hash}",
                    "type": "function",
                    "function": {"name": reply.tool_name, "arguments": reply.tool_arguments},
                }
            ]
        logprobs = (
            {"content": _token_entries(reply.pieces, 0, turn, profile), "refusal": None} if turn.logprobs else None
        )
        return {
            "id": rid,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": turn.model,
            "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "message": message, "logprobs": logprobs, "finish_reason": _FINISH[reply.finish]}],
            "usage": _usage(turn, reply),
            "service_tier": "default",
        }

    def stream(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> StreamPlan:
        """Chunks: role, one per content chunk, finish_reason, optional usage, then [DONE]."""
        base = {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": turn.model,
            "system_fingerprint": "fp_sim",
            "service_tier": "default",
        }
        if turn.include_usage:
            base["usage"] = None

        def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> bytes:
            return sse(
                {**base, "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}]}
            )

        # Content chunks differ only in their text: splice it between pre-encoded halves, which
        # keeps the benchmark's instant path cheap (one small string encode per chunk).
        before, after = chunk({"content": "\x00"}).split(b'"\\u0000"')
        if reply.tool_name is not None:
            head = chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": f"call_{reply.tool_id_hash}",
                            "type": "function",
                            "function": {"name": reply.tool_name, "arguments": ""},
                        }
                    ],
                    "refusal": None,
                }
            )
            body = [
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": "".join(p)}}]}) for _, p in reply.chunks()
            ]
        elif turn.logprobs:
            head = chunk({"role": "assistant", "content": "", "refusal": None})
            body = [
                chunk(
                    {"content": "".join(pieces)},
                    logprobs={"content": _token_entries(pieces, start, turn, profile), "refusal": None},
                )
                for start, pieces in reply.chunks()
            ]
        else:
            head = chunk({"role": "assistant", "content": "", "refusal": None})
            body = [before + dumps("".join(pieces)) + after for _, pieces in reply.chunks()]
        tail = [chunk({}, _FINISH[reply.finish])]
        if turn.include_usage:
            tail.append(sse({**base, "choices": [], "usage": _usage(turn, reply)}))
        return StreamPlan(head=[head], body=body, tail=tail, done=_DONE, malformed=_MALFORMED)


class CompletionCodec:
    """`POST /v1/completions` (legacy), with `suffix` for fill-in-the-middle."""

    wire = "openai"
    request_id_header = "x-request-id"
    id_prefix = "cmpl-sim"

    @staticmethod
    def parse(body: dict[str, Any]) -> Turn:
        """The `Turn` a completions body asks for; a list prompt uses its first entry."""
        prompt = _require(body, "prompt")
        if isinstance(prompt, list):
            prompt = prompt[0] if prompt and isinstance(prompt[0], str) else ""
        suffix = body.get("suffix")
        logprobs = body.get("logprobs")
        return Turn(
            model=body["model"],
            prompt_text=str(prompt),
            suffix=suffix if isinstance(suffix, str) else None,
            stream=bool(body.get("stream")),
            input_tokens=count_tokens(str(prompt)) + (count_tokens(suffix) if isinstance(suffix, str) else 0),
            max_tokens=body.get("max_tokens"),
            logprobs=logprobs is not None and logprobs is not False,
            top_logprobs=int(logprobs or 0) if not isinstance(logprobs, bool) else 0,
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )

    error_body = staticmethod(_error_body)

    @staticmethod
    def _logprobs(pieces: list[str], start: int, offset: int, turn: Turn, profile: ModelProfile) -> dict[str, Any]:
        values = [token_logprob(p, start + i, profile.confidence) for i, p in enumerate(pieces)]
        offsets, position = [], offset
        for piece in pieces:
            offsets.append(position)
            position += len(piece)
        top = [{p: v} for p, v in zip(pieces, values, strict=True)] if turn.top_logprobs else None
        return {"tokens": pieces, "token_logprobs": values, "top_logprobs": top, "text_offset": offsets}

    def _choice(self, text: str, finish: str | None, logprobs: Any) -> dict[str, Any]:
        return {"text": text, "index": 0, "logprobs": logprobs, "finish_reason": finish}

    def render(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> dict[str, Any]:
        """The non-streaming text completion object."""
        lp = self._logprobs(reply.pieces, 0, len(turn.prompt_text), turn, profile) if turn.logprobs else None
        usage = {k: v for k, v in _usage(turn, reply).items() if k.endswith("tokens")}
        return {
            "id": rid,
            "object": "text_completion",
            "created": int(time.time()),
            "model": turn.model,
            "system_fingerprint": "fp_sim",
            "choices": [self._choice(reply.text, _FINISH[reply.finish], lp)],
            "usage": usage,
        }

    def stream(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> StreamPlan:
        """One chunk per content chunk, a final one with finish_reason, optional usage, then [DONE]."""
        base = {
            "id": rid,
            "object": "text_completion",
            "created": int(time.time()),
            "model": turn.model,
            "system_fingerprint": "fp_sim",
        }
        body, offset = [], len(turn.prompt_text)
        for start, pieces in reply.chunks():
            content = "".join(pieces)
            lp = self._logprobs(pieces, start, offset, turn, profile) if turn.logprobs else None
            body.append(sse({**base, "choices": [self._choice(content, None, lp)]}))
            offset += len(content)
        tail = [sse({**base, "choices": [self._choice("", _FINISH[reply.finish], None)]})]
        if turn.include_usage:
            usage = {k: v for k, v in _usage(turn, reply).items() if k.endswith("tokens")}
            tail.append(sse({**base, "choices": [], "usage": usage}))
        return StreamPlan(head=[], body=body, tail=tail, done=_DONE, malformed=_MALFORMED)
