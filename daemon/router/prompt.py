"""What of a request the router reads: the ask, and the context around it.

A coding agent's request is mostly context: a system prompt of 10-25k tokens, tool schemas, the
conversation so far, tool results. None of that says how hard *this* request is — an agent that
says "hello" sends the same system prompt as one refactoring fourteen files. So the router
classifies the **ask**: the latest turn a person wrote (agents wrap it in reminder blocks, which
are removed), followed by the tool results that answer it (a traceback there is part of the
task). The system prompt, the tools and the conversation's size are context features, weighed
lightly, not text to classify.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from daemon.router.types import Message, RouteRequest

HISTORY_CHARS = 3000
"""How much of the conversation before the ask is read (for the files and code in play)."""
TOOL_RESULT_CHARS = 1500
"""How much of the tool results after the ask is read (their head: errors and file heads sit there)."""

_WRAPPER_TAGS = (
    "system-reminder", "system_reminder", "command-message", "command-name", "local-command-stdout",
    "environment_details", "context",
)
"""Blocks that agents put inside a user turn for the model, not written by the person (Claude Code's
``<system-reminder>``, Cline's ``<environment_details>``...)."""


def strip_wrappers(text: str) -> str:
    """``text`` without agent-inserted reminder blocks.

    A plain scan with ``str.find`` rather than a regex: linear in the text however many unclosed
    tags it holds (a lazy ``.*?`` to a closing tag is quadratic on adversarial input).
    """
    if "<" not in text:
        return text
    for tag in _WRAPPER_TAGS:
        opener, closer = f"<{tag}", f"</{tag}>"
        if opener not in text:
            continue
        kept: list[str] = []
        at = 0
        while True:
            start = text.find(opener, at)
            if start < 0:
                break
            end = text.find(closer, start)
            if end < 0:
                break  # unclosed: keep the rest as written
            kept.append(text[at:start])
            at = end + len(closer)
        kept.append(text[at:])
        text = "".join(kept)
    return text.strip()


@dataclass(frozen=True, slots=True)
class PromptView:
    """The ask and its context, as the classifier and the difficulty model read them."""

    ask: str
    """The latest text a person wrote (reminder blocks removed)."""
    tool_results: str
    """Head of the tool results that came after the ask ("" when none)."""
    system_chars: int
    """Characters of system prompt(s)."""
    turns: int
    """Earlier user turns in the conversation."""
    context_tokens: int
    """The whole request's estimated tokens (system, tools, history)."""
    history: str = ""
    """Head and tail of the conversation before the ask (no system prompt): which files are in play."""

    @classmethod
    def of(cls, request: RouteRequest) -> PromptView:
        """Split ``request`` into its ask and context."""
        msgs = request.messages
        if len(msgs) == 1:  # the common case of a bare prompt
            only = msgs[0]
            ask = strip_wrappers(only.text) if only.role != "system" else ""
            return cls(ask or only.text, "", len(only.text) if only.role == "system" else 0, 0, request.prompt_tokens)
        system_chars = 0
        ask_at = -1
        ask = ""
        for i in range(len(msgs) - 1, -1, -1):
            message = msgs[i]
            if message.role == "user":
                text = strip_wrappers(message.text)
                if text:
                    ask, ask_at = text, i
                    break
        user_turns = 0
        for message in msgs:
            if message.role == "system":
                system_chars += len(message.text)
            elif message.role == "user":
                user_turns += 1
        results: list[str] = []
        size = 0
        for message in msgs[ask_at + 1 :] if ask_at >= 0 else msgs:
            if message.role == "tool" and size < TOOL_RESULT_CHARS:
                results.append(message.text[: TOOL_RESULT_CHARS - size])
                size += len(results[-1])
        if ask_at < 0:  # no user text at all (a system prompt and tool results): read what there is
            ask = next((m.text for m in reversed(msgs) if m.role != "system" and m.text), "")
        earlier = [m.text for m in msgs[:max(ask_at, 0)] if m.role != "system"]
        history = "\n".join(earlier)
        if len(history) > HISTORY_CHARS:
            history = history[: HISTORY_CHARS // 2] + "\n" + history[-HISTORY_CHARS // 2 :]
        return cls(ask, "\n".join(results), system_chars, max(0, user_turns - 1), request.prompt_tokens, history)


def messages_from_wire(messages: Iterable[Mapping[str, Any]], system: object = None) -> tuple[Message, ...]:
    """Router messages from chat messages in the OpenAI or the Anthropic shape.

    Content may be a string or a list of blocks. Tool results become ``tool`` messages (OpenAI's
    ``role: tool``, or Anthropic ``tool_result`` blocks inside a user turn), so the ask is the text
    a person wrote; an Anthropic top-level ``system`` becomes a system message.
    """
    out: list[Message] = []
    if system:
        out.append(Message("system", block_text(system)))
    for message in messages:
        role = str(message.get("role", "user"))
        content = message.get("content")
        if isinstance(content, list) and role == "user":
            results = [b for b in content if isinstance(b, Mapping) and b.get("type") == "tool_result"]
            if results:
                out.append(Message("tool", "\n".join(block_text(b.get("content")) for b in results)))
                content = [b for b in content if b not in results]
                if not content:
                    continue
        out.append(Message("system" if role == "developer" else role, block_text(content)))
    return tuple(out)


def block_text(content: object) -> str:
    """The text of a message's content: a string, or the text of its blocks (text, tool results)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, Mapping):
                if "text" in block:
                    parts.append(str(block["text"]))
                elif block.get("type") == "tool_result":
                    parts.append(block_text(block.get("content")))
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(parts)
    return "" if content is None else str(content)
