"""Deterministic answers, the tokenizer and continuation: pure functions, no server."""

from daemon.sim.answers import (
    END_MARKER,
    FIM_END_MARKER,
    answer_text,
    continuation,
    count_tokens,
    fim_answer,
    split_tokens,
)


def test_answer_is_a_pure_function_of_prompt_and_seed():
    assert answer_text("How do I sort a list?") == answer_text("How do I sort a list?")
    assert answer_text("How do I sort a list?") != answer_text("How do I sort a dict?")
    assert answer_text("How do I sort a list?", seed="other") != answer_text("How do I sort a list?")


def test_answer_is_a_few_plain_sentences_ending_with_the_marker():
    text = answer_text("Explain caching")
    assert text.endswith(END_MARKER)
    sentences = text.removesuffix(END_MARKER).split(". ")
    assert 2 <= len(sentences) <= 4
    assert all(word.isalpha() for word in text.removesuffix(END_MARKER).replace(".", "").split())


def test_count_tokens_counts_word_runs_and_single_punctuation():
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("  ") == 0
    assert count_tokens("a+b=c") == 5


def test_split_tokens_joins_back_to_the_exact_text_one_token_per_piece():
    for text in ("  Hi there, you!  ", answer_text("x"), "x = f(a)\n    return x", ""):
        pieces = split_tokens(text)
        assert "".join(pieces) == text
        assert len(pieces) == count_tokens(text) or (not text.strip() and len(pieces) <= 1)


def test_fim_answer_is_code_like_and_depends_on_prompt_and_suffix():
    middle = fim_answer("def f(a):\n    ", "\nprint(f(1))")
    assert middle.endswith(FIM_END_MARKER)
    assert "return" in middle and "=" in middle
    assert middle != fim_answer("def f(a):\n    ", "\nprint(f(2))")
    assert middle == fim_answer("def f(a):\n    ", "\nprint(f(1))")


def test_continuation_sends_only_the_rest_of_a_prefix_and_ignores_anything_else():
    answer = answer_text("resume me")
    head = answer[:17]
    assert head + continuation(answer, head) == answer
    assert continuation(answer, "not a prefix") == answer
    assert continuation(answer, None) == answer
    assert continuation(answer, answer) == ""
