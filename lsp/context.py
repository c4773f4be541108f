"""What a completion sends: prefix and suffix around the cursor within a token budget, plus cheap
extra context (imports, the enclosing definition, recently edited lines).

Pure functions of the document text. The extra context is time-boxed: past its deadline the
extraction stops with what it has, so it never delays the request.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

CHARS_PER_TOKEN = 4
"""A rough, tokenizer-free estimate; good enough to stay inside a budget."""

PREFIX_SHARE = 0.7
SUFFIX_SHARE = 0.2
EXTRA_SHARE = 0.1

EXTRA_DEADLINE_S = 0.005
"""Time box of the extra context (seconds)."""

IMPORT_SCAN_LINES = 300
"""Imports live at the top of a file: only these first lines are scanned for them."""

_IMPORT = re.compile(
    r"^\s*(import\s|from\s+\S+\s+import\s|#\s*include\b|using\s|use\s|require\(|const\s+\w+\s*=\s*require\(|package\s)"
)
_DEFINITION = re.compile(
    r"^\s*(?:(?:async\s+def|def|class|fn|pub\s+fn|func|function|interface|struct|impl|trait|module)\b|"
    r"(export\s+)?(async\s+)?function|(?:(?:public|private|protected|static|final)\s+)+[\w<>\[\],]+\s+\w+\s*\()"
)
_OPENS_BLOCK = re.compile(r"[:{(\[]\s*$|=>\s*$|\bthen\s*$|\bdo\s*$")


@dataclass(frozen=True)
class Doc:
    """The document a completion is for."""

    uri: str
    path: str | None
    language: str | None
    text: str


@dataclass(frozen=True)
class CompletionContext:
    """The text around the cursor that a completion request carries."""

    prefix: str
    suffix: str
    extra: str
    multiline: bool
    line_prefix: str
    """The current line up to the cursor."""
    line_suffix: str
    """The current line after the cursor."""


def _offset(lines: list[str], line: int, character: int) -> tuple[int, int]:
    line = max(0, min(line, len(lines) - 1)) if lines else 0
    text = lines[line] if lines else ""
    return line, max(0, min(character, len(text.rstrip("\r\n"))))


def _take_tail(lines: list[str], budget_chars: int) -> str:
    """Whole lines from the end of ``lines`` while they fit ``budget_chars``."""
    taken: list[str] = []
    used = 0
    for text in reversed(lines):
        if used + len(text) > budget_chars:
            break
        taken.append(text)
        used += len(text)
    return "".join(reversed(taken))


def _take_head(lines: list[str], budget_chars: int) -> str:
    """Whole lines from the start of ``lines`` while they fit ``budget_chars``."""
    taken: list[str] = []
    used = 0
    for text in lines:
        if used + len(text) > budget_chars:
            break
        taken.append(text)
        used += len(text)
    return "".join(taken)


def wants_multiline(line_prefix: str, line_suffix: str) -> bool:
    """Multi-line when the rest of the line is empty and the cursor starts a block or a blank line."""
    if line_suffix.strip() and line_suffix.strip() not in (")", "]", "}", "):", "];", "};", ");"):
        return False
    stripped = line_prefix.rstrip()
    return not stripped or bool(_OPENS_BLOCK.search(stripped))


def extra_context(
    lines: list[str], cursor_line: int, budget_chars: int, *, visible_from: int = 0, recent: tuple[str, ...] = (),
    deadline_s: float = EXTRA_DEADLINE_S,
) -> str:
    """Imports above the visible prefix (line ``visible_from``), the enclosing definition's header
    when it is above it too, and recently edited lines.

    Stops at ``deadline_s`` with what it has found so far.
    """
    if budget_chars <= 0:
        return ""
    stop = time.perf_counter() + deadline_s
    parts: list[str] = []
    used = 0

    def add(text: str) -> bool:
        nonlocal used
        if used + len(text) > budget_chars:
            return False
        parts.append(text)
        used += len(text)
        return True

    cursor_indent = _indent(lines[cursor_line]) if cursor_line < len(lines) else 0
    for number in range(cursor_line - 1, -1, -1):  # the enclosing definition, nearest first
        if number % 256 == 0 and time.perf_counter() > stop:
            break
        text = lines[number]
        if text.strip() and _indent(text) < max(cursor_indent, 1) and _DEFINITION.match(text):
            if number < visible_from:
                add("# enclosing: " + text.strip() + "\n")
            break
    for number, text in enumerate(lines[: min(visible_from, IMPORT_SCAN_LINES)]):
        if number % 256 == 0 and time.perf_counter() > stop:
            break
        if _IMPORT.match(text) and not add(text if text.endswith("\n") else text + "\n"):
            break
    for text in recent:
        if time.perf_counter() > stop or not add("# recently edited: " + text.strip() + "\n"):
            break
    return "".join(parts)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def build_context(
    text: str, line: int, character: int, *, token_budget: int, recent: tuple[str, ...] = (),
) -> CompletionContext:
    """The completion context at ``(line, character)`` of ``text`` within ``token_budget`` tokens."""
    lines = text.splitlines(keepends=True) or [""]
    if text.endswith("\n"):
        lines.append("")
    line, character = _offset(lines, line, character)
    current = lines[line]
    line_prefix = current[:character]
    line_suffix_full = current[character:]
    line_suffix = line_suffix_full.rstrip("\r\n")
    budget = token_budget * CHARS_PER_TOKEN
    prefix_budget = int(budget * PREFIX_SHARE) - len(line_prefix)
    suffix_budget = int(budget * SUFFIX_SHARE) - len(line_suffix_full)
    prefix = _take_tail(lines[:line], max(prefix_budget, 0)) + line_prefix
    suffix = line_suffix_full + _take_head(lines[line + 1 :], max(suffix_budget, 0))
    visible_from = line - prefix.count("\n")
    extra = extra_context(lines, line, int(budget * EXTRA_SHARE), visible_from=visible_from, recent=recent)
    return CompletionContext(
        prefix=prefix, suffix=suffix, extra=extra, multiline=wants_multiline(line_prefix, line_suffix),
        line_prefix=line_prefix, line_suffix=line_suffix,
    )


def document_offset(text: str, line: int, character: int) -> int:
    """The string offset of ``(line, character)`` in ``text`` (clamped to the text)."""
    offset = 0
    for number, current in enumerate(text.splitlines(keepends=True)):
        if number == line:
            return offset + min(character, len(current.rstrip("\r\n")))
        offset += len(current)
    return len(text)
