"""Completion context: prefix and suffix within the budget, extra context, single vs multi-line."""

from __future__ import annotations

from lsp.context import CHARS_PER_TOKEN, build_context, document_offset, extra_context, wants_multiline


def test_prefix_and_suffix_split_at_the_cursor() -> None:
    text = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
    ctx = build_context(text, 1, 11, token_budget=1000)
    assert ctx.prefix == "def add(a, b):\n    return "
    assert ctx.suffix.startswith("a + b\n\nprint(")
    assert ctx.line_prefix == "    return "
    assert ctx.line_suffix == "a + b"


def test_the_prefix_keeps_whole_lines_nearest_the_cursor_within_the_budget() -> None:
    lines = [f"line_{i} = {i}\n" for i in range(2000)]
    text = "".join(lines)
    ctx = build_context(text, 1999, 0, token_budget=100)
    assert len(ctx.prefix) + len(ctx.suffix) + len(ctx.extra) <= 100 * CHARS_PER_TOKEN
    assert ctx.prefix.endswith("line_1998 = 1998\n")
    assert ctx.prefix.startswith("line_")


def test_imports_and_the_enclosing_definition_above_the_window_become_extra_context() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(400))
    text = "import os\nfrom pathlib import Path\n\ndef work(path):\n" + body + "    "
    ctx = build_context(text, 404, 4, token_budget=200)
    assert "import os" in ctx.extra
    assert "from pathlib import Path" in ctx.extra
    assert "# enclosing: def work(path):" in ctx.extra
    assert "import os" not in ctx.prefix


def test_recent_edits_are_included_as_extra_context() -> None:
    extra = extra_context(["a = 1\n", "b = 2\n"], 1, 400, visible_from=0, recent=("total = compute()",))
    assert "# recently edited: total = compute()" in extra


def test_extra_context_stops_at_its_deadline() -> None:
    lines = ["import os\n"] * 100_000
    assert extra_context(lines, 99_999, 10**9, visible_from=99_999, deadline_s=0.0) == ""


def test_a_cursor_in_the_middle_of_a_line_wants_one_line() -> None:
    assert not wants_multiline("    x = foo(", "a, b)  # call")


def test_a_block_opener_or_a_blank_line_wants_several_lines() -> None:
    assert wants_multiline("def f(x):", "")
    assert wants_multiline("    ", "")
    assert wants_multiline("if (x) {", "")
    assert not wants_multiline("    x = 1", "")


def test_document_offset_counts_code_points_of_the_previous_lines() -> None:
    text = "ab\ncdé\nf"
    assert document_offset(text, 1, 2) == 5
    assert document_offset(text, 2, 1) == 8
    assert document_offset(text, 9, 0) == len(text)
