"""Consensus comparators: text, code (AST), numbers, prose, and agreement grouping."""

from __future__ import annotations

from daemon.router.compare import (
    agreement,
    code_equal,
    final_number,
    normalize_text,
    numbers_equal,
    prose_similar,
    same_answer,
)


def test_normalized_text_ignores_case_punctuation_articles_and_accents() -> None:
    assert normalize_text("The  Café, Paris!") == normalize_text("cafe paris")


def test_python_code_is_equal_when_asts_match_despite_formatting_and_comments() -> None:
    a = "```python\ndef add(a, b):\n    # sum\n    return a + b\n```"
    b = "def add(a,b): return (a+b)"
    c = "def add(a, b):\n    return a - b"
    assert code_equal(a, b)
    assert not code_equal(a, c)


def test_non_python_code_compares_with_normalized_whitespace() -> None:
    assert code_equal("```js\nconst x  =  1;\n\n```", "```js\nconst x = 1;\n```")
    assert not code_equal("```js\nconst x = 1;\n```", "```js\nconst x = 2;\n```")


def test_numeric_answers_compare_the_final_number_with_tolerance() -> None:
    assert final_number("So the total is \\boxed{1,250}.") == 1250.0
    assert numbers_equal("The answer is 3.0000001", "after some work we get 3", rel_tol=1e-6)
    assert not numbers_equal("The answer is 4", "The answer is 5")


def test_close_prose_is_similar_and_different_prose_is_not() -> None:
    a = "The function retries failed requests with exponential backoff and jitter."
    b = "The function retries failed requests using exponential backoff and jitter."
    c = "It caches the response body in memory for five minutes."
    assert prose_similar(a, b)
    assert not prose_similar(a, c)


def test_short_answers_that_differ_are_not_the_same() -> None:
    assert same_answer("Paris", "paris.")
    assert not same_answer("Paris", "Lyon")


def test_agreement_groups_answers_and_names_the_majority() -> None:
    score, majority, groups = agreement(["The answer is 12.", "12", "I think it is 13"])
    assert majority == 0 and groups == [[0, 1], [2]]
    assert score == 2 / 3


def test_agreement_of_all_different_answers_has_no_majority_above_one_answer() -> None:
    score, majority, groups = agreement(["red", "green", "blue"])
    assert score == 1 / 3 and majority == 0 and len(groups) == 3
    assert agreement([]) == (0.0, -1, [])
