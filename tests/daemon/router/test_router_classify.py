"""Classifier sanity: representative prompts land in their task type; complexity follows the work asked."""

from __future__ import annotations

import pytest

from daemon.router.classify import classify
from daemon.router.types import Message, RouteRequest, TaskType

CASES = [
    (TaskType.CODE_COMPLETION, RouteRequest.from_prompt('def parse_header(line: str) -> dict:\n    """Split a header line."""\n')),
    (TaskType.CODE_COMPLETION, RouteRequest.from_prompt("x = compute(", is_fim=True, surface="lsp")),
    (TaskType.CODE_COMPLETION, RouteRequest.from_prompt("Write a Python function that reverses a linked list.")),
    (TaskType.CODE_EDIT, RouteRequest.from_prompt("Refactor this to use a dict comprehension and add type hints:\n```python\ndef f(xs):\n    out = {}\n    for x in xs:\n        out[x] = x * 2\n    return out\n```")),
    (TaskType.CODE_EDIT, RouteRequest.from_prompt("Fix the bug in this function:\ndef mean(xs):\n    return sum(xs) / len(xs) + 1\n")),
    (TaskType.CODE_EXPLAIN, RouteRequest.from_prompt("```python\ndef f(xs):\n    return sorted(set(xs))[::-1]\n```\nExplain what this does.")),
    (TaskType.PROSE, RouteRequest.from_prompt("Write a short blog post announcing our new command-line tool for developers.")),
    (TaskType.PROSE, RouteRequest.from_prompt("Draft a polite email to a customer explaining that their order will arrive two days late.")),
    (TaskType.DATA, RouteRequest.from_prompt("Here is a CSV of sales by region. Which column has the highest average? Plot the monthly totals as a chart.\nregion,jan,feb\nnorth,10,12")),
    (TaskType.MATH, RouteRequest.from_prompt("Solve for x: 3x^2 - 12x + 9 = 0. What is the sum of the real solutions?")),
    (TaskType.MATH, RouteRequest.from_prompt("Prove that there are infinitely many primes of the form 4k+3. Justify each step carefully.")),
    (TaskType.CHAT, RouteRequest.from_prompt("who wrote the novel one hundred years of solitude")),
    (TaskType.CHAT, RouteRequest.from_prompt("hi, how are you?")),
    (TaskType.EXTRACTION, RouteRequest.from_prompt("Extract the names and emails as JSON: Jane Roe <jane@x.io>", wants_json=True)),
    (TaskType.EXTRACTION, RouteRequest.from_prompt("Classify the sentiment of this review as positive, negative or neutral: the battery died.")),
    (TaskType.EXTRACTION, RouteRequest.from_prompt("Which of the following is a renewable energy source?\n(A) coal\n(B) wind\n(C) oil")),
]


@pytest.mark.parametrize(("expected", "request_"), CASES, ids=[f"{t.value}-{i}" for i, (t, _) in enumerate(CASES)])
def test_representative_prompt_gets_its_task_type(expected: TaskType, request_: RouteRequest) -> None:
    assert classify(request_).task_type == expected


def test_task_hint_overrides_the_classifier() -> None:
    request = RouteRequest.from_prompt("hi, how are you?", task_hint=TaskType.CODE_EXPLAIN)
    assert classify(request).task_type == TaskType.CODE_EXPLAIN


def test_complexity_rises_with_the_work_asked() -> None:
    greeting = classify(RouteRequest.from_prompt("hi, how are you?")).complexity
    proof = classify(
        RouteRequest.from_prompt(
            "Prove that the halting problem is undecidable, then derive why Rice's theorem follows. "
            "Analyze each step carefully and justify the reduction you use."
        )
    ).complexity
    assert 0.0 <= greeting < proof <= 1.0


def test_files_in_context_and_conversation_depth_raise_complexity() -> None:
    one_shot = RouteRequest.from_prompt("fix the failing test")
    history = tuple(Message("user" if i % 2 == 0 else "assistant", f"look at src/mod_{i}.py") for i in range(10))
    agent = RouteRequest(messages=(*history, Message("user", "fix the failing test")), has_tools=True)
    assert classify(agent).complexity > classify(one_shot).complexity + 0.1
    assert classify(agent).features["files"] > 0


def test_features_that_drove_the_classification_are_reported() -> None:
    c = classify(RouteRequest.from_prompt("Refactor this:\n```python\ndef f(): pass\n```", max_output_tokens=800))
    assert c.features["code_blocks"] > 0 and c.features["log_max_output"] > 0
    assert "bias" not in c.features


def test_classifier_works_without_the_embedding_files() -> None:
    c = classify(RouteRequest.from_prompt("Solve 2x + 3 = 7 for x."), embedder=None, centroids=None)
    assert c.task_type == TaskType.MATH
    assert c.embedding is None


def test_long_prompt_is_classified_from_its_head_and_tail() -> None:
    pasted = "\n".join(f"def handler_{i}(request):\n    return process(request)\n" for i in range(3000))
    c = classify(RouteRequest.from_prompt(pasted + "\nExplain what this module does."))
    assert c.task_type == TaskType.CODE_EXPLAIN
