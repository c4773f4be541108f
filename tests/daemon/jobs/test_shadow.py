"""What a shadow comparison can replay, and how a judge's pairwise reply is read."""

from __future__ import annotations

import pytest

from daemon.jobs.judge import parse_choice
from daemon.jobs.shadow import request_messages


def test_a_kept_chat_prompt_becomes_its_messages_again() -> None:
    prompt = "system: Be brief.\nuser: Fix this:\nuser: not a role line\nassistant: Which file?\nuser: app.py"
    assert request_messages(prompt) == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Fix this:"},
        {"role": "user", "content": "not a role line"},
        {"role": "assistant", "content": "Which file?"},
        {"role": "user", "content": "app.py"},
    )
    assert request_messages("user: two\nlines") == ({"role": "user", "content": "two\nlines"},)


@pytest.mark.parametrize("prompt", [
    None, "", "def f(x):\n    <CURSOR>\n", "user: run it\ntool: exit 0\nuser: and now?", "user: hi\nassistant: hello",
    "user: " + "x" * 300 + "\n[... cut: the trace keeps 256 of 9000 characters]",
])
def test_prompts_that_are_not_the_request_that_was_answered_are_not_replayed(prompt: str | None) -> None:
    assert request_messages(prompt) is None


@pytest.mark.parametrize(("reply", "choice"), [
    ("A", "a"), ("b. It handles time zones.", "b"), ("**Answer B** is better", "b"), ("TIE", "tie"),
    ("tie: both fine", "tie"), ("Neither", None), ("", None),
    ("Both answers are wrong", None),
])
def test_the_judges_choice_is_read_from_the_start_of_its_reply(reply: str, choice: str | None) -> None:
    assert parse_choice(reply) == choice
