"""Developer prompts that name code without pasting it are still code tasks."""

from __future__ import annotations

import pytest

from daemon.router.classify import classify
from daemon.router.types import RouteRequest, TaskType


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Refactor this function to use async/await and add type hints", TaskType.CODE_EDIT),
        ("Rename the variable x to count in the parse function", TaskType.CODE_EDIT),
        ("Explain how the retry logic in this class works", TaskType.CODE_EXPLAIN),
        ("Prove that the square root of 2 is irrational.", TaskType.MATH),
        ("Write a blog post about the history of Rome", TaskType.PROSE),
    ],
)
def test_imperatives_about_named_code_and_proofs_get_their_task_type(prompt: str, expected: TaskType) -> None:
    assert classify(RouteRequest.from_prompt(prompt)).task_type == expected
