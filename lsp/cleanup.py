"""Cleaning a model's answer into text an editor can insert at the cursor.

No code fences, no echo of what is already before the cursor, no repetition of what follows it,
one line when the cursor wants one line, and a bounded length.
"""

from __future__ import annotations

import re

MAX_CHARS = 4000
"""Hard bound on a suggestion, whatever the line count."""

_FENCE_OPEN = re.compile(r"^\s*```[\w+#.-]*[ \t]*\n?")
_FENCE_CLOSE = re.compile(r"\n?```\s*$")


def strip_fences(text: str) -> str:
    """The inside of a fenced code block (the whole text when it is not fenced)."""
    if "```" not in text:
        return text
    opened = _FENCE_OPEN.match(text)
    if opened:
        text = text[opened.end():]
        end = text.find("```")
        return text[:end] if end >= 0 else text
    start = text.find("```")
    inner = text[start + 3:]
    newline = inner.find("\n")
    inner = inner[newline + 1:] if newline >= 0 else ""
    end = inner.find("```")
    return inner[:end] if end >= 0 else inner


def strip_prefix_echo(text: str, line_prefix: str, prefix: str) -> str:
    """Drop a repeat of the text before the cursor at the start of the answer."""
    if prefix and len(prefix) >= 8 and text.startswith(prefix):
        return text[len(prefix):]
    core = line_prefix.lstrip()
    if core.strip() and text.lstrip().startswith(core.rstrip()):
        rest = text.lstrip()[len(core.rstrip()):]
        # The cursor already follows the line's whitespace: do not insert it twice.
        return rest.lstrip(" \t") if core != core.rstrip() else rest
    return text


_PAIRS = {")": "(", "]": "[", "}": "{"}


def _overlap_is_real(text: str, overlap: str) -> bool:
    """A long overlap is a repeat; a short one only when it closes more than the answer opened."""
    core = overlap.strip()
    if len(core) >= 3:
        return True
    closers = [c for c in core if c in _PAIRS]
    if not closers or len(closers) != len(core):
        return False
    return all(text.count(c) > text.count(_PAIRS[c]) for c in closers)


def strip_suffix_overlap(text: str, suffix: str) -> str:
    """Drop the end of the answer that repeats the start of the text after the cursor."""
    if not suffix or not text:
        return text
    head = suffix[: min(len(suffix), 400)]
    # The longest end of ``text`` that is a start of ``head``.
    for size in range(min(len(text), len(head)), 0, -1):
        if text.endswith(head[:size]) and _overlap_is_real(text, head[:size]):
            return text[:-size].rstrip(" \t")
    line = suffix.split("\n", 1)[0].strip()
    if len(line) >= 3 and text.rstrip().endswith(line):
        return text.rstrip()[: -len(line)].rstrip(" \t")
    return text


def clean_completion(
    text: str, *, prefix: str, suffix: str, line_prefix: str, multiline: bool, max_lines: int,
    max_chars: int = MAX_CHARS,
) -> str:
    """The answer as insertable text (may be empty when nothing useful is left)."""
    text = strip_fences(text.replace("\r\n", "\n"))
    text = strip_prefix_echo(text, line_prefix, prefix)
    if not line_prefix.strip() and not multiline:
        text = text.lstrip("\n")
    if multiline:
        lines = text.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        text = "\n".join(lines[:max_lines])
    else:
        text = text.lstrip("\n").split("\n", 1)[0]
    text = strip_suffix_overlap(text, suffix)
    return text[:max_chars].rstrip()
