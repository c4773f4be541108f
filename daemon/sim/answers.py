"""Deterministic answers and the sim's tokenizer.

Everything here is a pure function of its arguments, so a test (or a parent process) can compute
the exact text a simulated model will send without asking the server.

Tokenizer: a token is a run of word characters (``\\w+``) or one punctuation character; the
whitespace in front of a token belongs to it. ``split_tokens`` returns pieces that join back to the
exact input, which is what streaming sends; ``count_tokens`` counts the same tokens.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

END_MARKER = " [end]"
"""Every chat answer ends with this, so a truncated answer is always detectable."""

FIM_END_MARKER = "  # [end]"
"""Every fill-in-the-middle answer ends with this (a code comment, to stay code-like)."""

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")

_WORDS = (
    "the router picks a model that fits the task at a fair cost while the budget holds "
    "steady and every trace records why each answer came from where it did so the team can "
    "learn which path works best for code prose data math chat and simple questions alike "
    "latency stays low when the cache is warm and a fallback waits in case the first call fails"
).split()

_IDENTS = ("value", "result", "count", "items", "total", "node", "buffer", "index", "name", "data")
_CALLS = ("compute", "parse", "merge", "load", "render", "build", "check", "update")


def count_tokens(text: str) -> int:
    """Number of sim tokens in ``text`` (word runs and single punctuation characters)."""
    return len(_TOKEN.findall(text))


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into one piece per token; ``"".join(pieces) == text`` always holds."""
    pieces = _PIECE.findall(text)
    if not pieces:
        return [text] if text else []
    consumed = sum(len(p) for p in pieces)
    if consumed < len(text):
        # Trailing whitespace has no token to attach to: keep it on the last piece.
        pieces[-1] += text[consumed:]
    return pieces


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode()).digest()


@lru_cache(maxsize=4096)
def answer_text(prompt_text: str, seed: str = "") -> str:
    """The answer every model with ``answer_seed == seed`` gives to ``prompt_text``.

    Two to four sentences of plain lowercase words chosen by a SHAKE-256 stream of the prompt,
    ending with ``END_MARKER``. Cached because the gateway benchmark asks the same prompt repeatedly.
    """
    stream = hashlib.shake_256("\x00".join(("answer", seed, prompt_text)).encode()).digest(64)
    sentences, cursor = [], 1
    for _ in range(2 + stream[0] % 3):
        length = 5 + stream[cursor] % 6
        words = [_WORDS[b % len(_WORDS)] for b in stream[cursor + 1 : cursor + 1 + length]]
        cursor += length + 1
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences) + END_MARKER


@lru_cache(maxsize=1024)
def fim_answer(prompt: str, suffix: str, seed: str = "") -> str:
    """A short code-like middle for a fill-in-the-middle request, determined by prompt and suffix."""
    digest = _digest("fim", seed, prompt, suffix)
    target = f"{_IDENTS[digest[0] % len(_IDENTS)]}_{digest[1] % 100}"
    call = _CALLS[digest[2] % len(_CALLS)]
    args = ", ".join(_IDENTS[b % len(_IDENTS)] for b in digest[3 : 3 + 1 + digest[4] % 3])
    return f"{target} = {call}({args})\n    return {target}{FIM_END_MARKER}"


def continuation(answer: str, prefill: str | None) -> str:
    """The part of ``answer`` still to send after an assistant prefill.

    A prefill that is a prefix of the answer (a resumed stream) gets only the rest; any other
    prefill is ignored and the full answer is sent, like a model that starts over.
    """
    if prefill and answer.startswith(prefill):
        return answer[len(prefill) :]
    return answer
