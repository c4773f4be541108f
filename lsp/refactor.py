"""Refactor code actions: which ones to offer (instantly, no model call) and how to turn a model's
answer into an edit once one is chosen.

Pure functions over the document text; ``lsp.server`` does the LSP and daemon plumbing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lsp.cleanup import strip_fences

if TYPE_CHECKING:
    from daemon.wire import TaskTypeName

ActionKind = Literal["rewrite", "explain", "docstring", "fix"]


@dataclass(frozen=True)
class ActionSpec:
    """One refactor the bridge offers."""

    kind: ActionKind
    title: str
    task_type: TaskTypeName
    """The classifier hint sent with the request."""


ACTIONS: dict[ActionKind, ActionSpec] = {
    "rewrite": ActionSpec("rewrite", "Rewrite with Switchboard", "code_edit"),
    "explain": ActionSpec("explain", "Explain", "code_explain"),
    "docstring": ActionSpec("docstring", "Add docstring", "code_edit"),
    "fix": ActionSpec("fix", "Fix this diagnostic", "code_edit"),
}

_HASH_COMMENT = {"python", "shellscript", "sh", "bash", "ruby", "perl", "r", "yaml", "toml", "make", "makefile",
                 "dockerfile", "elixir", "julia", "nim", "powershell", "coffeescript", "cmake"}
_DASH_COMMENT = {"lua", "sql", "haskell", "elm", "ada", "vhdl"}

SYSTEM = ("You are a precise coding assistant inside an editor. Answer with code only, no explanations, "
          "no Markdown fences, unless asked to explain.")


def comment_prefix(language: str | None) -> str:
    """The line-comment marker of a language (``//`` when unknown)."""
    if language in _HASH_COMMENT:
        return "# "
    if language in _DASH_COMMENT:
        return "-- "
    return "// "


def target_lines(lines: list[str], start: int, end: int, end_character: int) -> tuple[int, int]:
    """The whole lines an action works on: the selection, or the block under the cursor when empty.

    Returns ``(first, last_exclusive)``. An empty selection on a definition line takes the
    definition's indented block; elsewhere it takes the current line.
    """
    if end > start and end_character == 0:
        end -= 1
    if end > start:
        return start, end + 1
    if start >= len(lines):
        return max(0, len(lines) - 1), len(lines)
    head = lines[start]
    indent = len(head) - len(head.lstrip())
    last = start + 1
    if head.rstrip().endswith((":", "{")):
        while last < len(lines) and (not lines[last].strip() or len(lines[last]) - len(lines[last].lstrip()) > indent):
            last += 1
        while last > start + 1 and not lines[last - 1].strip():
            last -= 1
        if last < len(lines) and lines[last].strip() in ("}", "};", "end"):
            last += 1
    return start, last


def build_prompt(kind: ActionKind, code: str, language: str | None, diagnostic: str | None) -> str:
    """The prompt of an action over ``code``."""
    lang = language or "code"
    if kind == "explain":
        return f"Explain briefly, in plain sentences, what this {lang} code does and any pitfalls:\n\n{code}"
    if kind == "docstring":
        return (f"Add a concise docstring (or doc comment) to this {lang} code. "
                f"Return the whole code with the docstring added and nothing else changed:\n\n{code}")
    if kind == "fix":
        return (f"Fix this problem reported by the editor: {diagnostic or 'unknown'}\n"
                f"Return the whole corrected {lang} code and nothing else:\n\n{code}")
    return f"Rewrite this {lang} code to be clearer and more idiomatic, keeping its behaviour. Return only the code:\n\n{code}"


def replacement(kind: ActionKind, answer: str, original: str, language: str | None) -> str:
    """The text that replaces ``original`` (whole lines) once the model answered."""
    indent = original[: len(original) - len(original.lstrip(" \t"))]
    if kind == "explain":
        marker = comment_prefix(language)
        body = [line.rstrip() for line in strip_fences(answer).strip().splitlines() if line.strip()]
        comment = "".join(f"{indent}{marker}{line}\n" for line in body)
        return comment + original
    code = strip_fences(answer).strip("\n")
    if not code.strip():
        return original
    return code + ("\n" if original.endswith("\n") else "")
