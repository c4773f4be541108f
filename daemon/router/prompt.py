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

from dataclasses import dataclass

from daemon.router.types import RouteRequest

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
