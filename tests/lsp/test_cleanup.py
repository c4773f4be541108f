"""Answer cleaning: fences, echo of the prefix, repeated suffix, one line or a bounded few."""

from __future__ import annotations

from lsp.cleanup import clean_completion, strip_fences, strip_suffix_overlap


def clean(text: str, *, prefix: str = "x = ", suffix: str = "", multiline: bool = False, max_lines: int = 8) -> str:
    line_prefix = prefix.rsplit("\n", 1)[-1]
    return clean_completion(text, prefix=prefix, suffix=suffix, line_prefix=line_prefix, multiline=multiline,
                            max_lines=max_lines)


def test_code_fences_are_removed() -> None:
    assert strip_fences("```python\nreturn a + b\n```") == "return a + b\n"
    assert strip_fences("Here you go:\n```\nfoo()\n```\nDone.") == "foo()\n"
    assert strip_fences("plain") == "plain"


def test_an_echo_of_the_current_line_is_removed() -> None:
    assert clean("    return a + b", prefix="def f(a, b):\n    return ") == "a + b"


def test_the_answer_does_not_repeat_the_text_after_the_cursor() -> None:
    assert clean("compute(a, b))", prefix="x = ", suffix=")\n") == "compute(a, b)"
    assert clean("items[0]  # first item", suffix="  # first item\nnext") == "items[0]"


def test_a_closing_bracket_the_answer_needs_is_kept() -> None:
    assert strip_suffix_overlap("len(x)", ")\n") == "len(x)"


def test_single_line_answers_stop_at_the_first_newline() -> None:
    assert clean("total\nprint(total)") == "total"


def test_multi_line_answers_are_bounded_by_max_lines() -> None:
    text = "\n".join(f"    step_{i}()" for i in range(20))
    assert clean(text, prefix="def f():\n", multiline=True, max_lines=3).count("\n") == 2


def test_length_is_bounded() -> None:
    assert len(clean_completion("a" * 10_000, prefix="", suffix="", line_prefix="", multiline=False, max_lines=1,
                                max_chars=100)) == 100
