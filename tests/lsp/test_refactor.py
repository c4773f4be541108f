"""Refactor actions: the lines they work on and the edit an answer becomes."""

from __future__ import annotations

from lsp.refactor import build_prompt, replacement, target_lines

SOURCE = ["def area(w, h):\n", "    return w * h\n", "\n", "x = area(2, 3)\n"]


def test_an_empty_selection_on_a_definition_takes_its_block() -> None:
    assert target_lines(SOURCE, 0, 0, 0) == (0, 2)


def test_an_empty_selection_elsewhere_takes_the_line() -> None:
    assert target_lines(SOURCE, 3, 3, 2) == (3, 4)


def test_a_selection_ending_at_column_zero_excludes_that_line() -> None:
    assert target_lines(SOURCE, 0, 2, 0) == (0, 2)


def test_explain_inserts_a_comment_above_the_code_in_the_language_syntax() -> None:
    out = replacement("explain", "It multiplies.\nSimple.", "    return w * h\n", "python")
    assert out == "    # It multiplies.\n    # Simple.\n    return w * h\n"
    assert replacement("explain", "Adds.", "a + b;\n", "typescript").startswith("// Adds.")


def test_a_rewrite_replaces_the_lines_with_the_fenced_answer_inside() -> None:
    out = replacement("rewrite", "```python\ndef area(w, h):\n    return h * w\n```", "".join(SOURCE[:2]), "python")
    assert out == "def area(w, h):\n    return h * w\n"


def test_an_empty_answer_keeps_the_original() -> None:
    assert replacement("docstring", "```\n```", "x = 1\n", "python") == "x = 1\n"


def test_the_fix_prompt_names_the_diagnostic() -> None:
    assert "undefined name 'y'" in build_prompt("fix", "x = y\n", "python", "undefined name 'y'")
