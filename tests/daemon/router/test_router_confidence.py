"""Cascade confidence: logprobs and verifiers (syntax, JSON, refusal, empty, truncated)."""

from __future__ import annotations

import math

from daemon.router.confidence import estimate_confidence, logprob_confidence, verify


def _kinds(text: str, **kw: object) -> set[str]:
    return {f.kind for f in verify(text, **kw)}  # type: ignore[arg-type]


def test_clean_answer_without_logprobs_gets_neutral_confidence() -> None:
    c = estimate_confidence("Paris is the capital of France.")
    assert c.score == 0.8 and c.findings == ()


def test_python_that_does_not_parse_is_found_and_lowers_confidence() -> None:
    bad = "Here you go:\n```python\ndef f(x)\n    return x\n```"
    good = "Here you go:\n```python\ndef f(x):\n    return x\n```"
    assert "code_syntax_error" in _kinds(bad)
    assert _kinds(good) == set()
    assert estimate_confidence(bad).below(0.6) and not estimate_confidence(good).below(0.6)


def test_bare_python_answer_is_checked_when_code_was_expected() -> None:
    assert "code_syntax_error" in _kinds("def f(:\n  pass", expects_code=True)


def test_non_python_code_block_is_not_parsed_as_python() -> None:
    assert _kinds("```js\nconst x = {a: 1};\n```") == set()


def test_invalid_json_is_found_only_when_json_was_asked() -> None:
    assert "invalid_json" in _kinds('{"a": 1,}', wants_json=True)
    assert _kinds('{"a": 1}', wants_json=True) == set()
    assert _kinds('```json\n{"a": [1, 2]}\n```', wants_json=True) == set()
    assert "invalid_json" not in _kinds('{"a": 1,}')


def test_refusal_empty_and_truncated_answers_are_found() -> None:
    assert "refusal" in _kinds("I'm sorry, but I can't help with that.")
    assert _kinds("   ") == {"empty"}
    assert estimate_confidence("").score == 0.0
    assert "truncated" in _kinds("The answer is", finish_reason="length")
    assert "truncated" in _kinds("```python\ndef f():\n    return 1\n")


def test_logprobs_drive_confidence_and_a_very_unlikely_token_is_flagged() -> None:
    sure = estimate_confidence("42", logprobs=[math.log(0.99)] * 5)
    unsure = estimate_confidence("42", logprobs=[math.log(0.9), math.log(0.01), math.log(0.9)])
    assert sure.score > 0.9
    assert unsure.score < 0.5
    assert "low_token_probability" in {f.kind for f in unsure.findings}
    mean_p, min_p = logprob_confidence([math.log(0.5), math.log(0.25)]) or (0, 0)
    assert (round(mean_p, 3), round(min_p, 3)) == (0.375, 0.25)
