"""The evaluation's judge: a configured model that grades one answer, or compares two, with a rubric
per task type. It asks as the evaluation's own developer, so what it costs comes out of the
evaluation budget, never a person's.
"""

from __future__ import annotations

import logging
import random
import re
from typing import Literal

from daemon.core import lifecycle, pipeline
from daemon.core.routing import RoutingInput
from daemon.core.services import Services
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest
from daemon.store.records import Developer, TraceRecord

log = logging.getLogger("switchboard.eval")

RUBRICS = {
    "code_completion": "Is the completion syntactically valid, consistent with the surrounding code, and minimal?",
    "code_edit": "Does the edit do what was asked, keep behaviour otherwise, and is the code correct and idiomatic?",
    "code_explain": "Is the explanation accurate, complete for the question, and easy to follow?",
    "prose": "Is the text clear, correct, well organised and in the requested tone and length?",
    "data": "Are the analysis and numbers correct, and are conclusions supported by the data?",
    "math": "Is the final answer correct, and is the reasoning valid?",
    "chat": "Is the reply helpful, correct and appropriately concise?",
    "extraction": "Are exactly the requested items extracted, correctly, in the requested format?",
}
EXCERPT_CHARS = 6000
"""Most characters of a request or an answer shown to the judge."""
_GRADE = re.compile(r"\b(10|[0-9])(?:\s*/\s*10)?\b")
_CHOICE = re.compile(r"^\W*(?:answer\s+)?(tie|a|b)\b", re.IGNORECASE)

Choice = Literal["a", "b", "tie"]


def rubric(task_type: str | None) -> str:
    """The question the judge answers for a task type."""
    return RUBRICS.get(task_type or "chat", RUBRICS["chat"])


async def ask(services: Services, judge: Developer, prompt: str, *, max_tokens: int) -> tuple[str | None, int]:
    """The judge model's reply to ``prompt`` (None when it could not answer) and its cost in micro-dollars."""
    model = services.settings.evaluation.judge_model
    ctx = pipeline.admit(services, judge, surface="cli", requested_model=model)
    ctx.prompt_text = prompt
    request = ChatRequest(messages=({"role": "user", "content": prompt},), max_tokens=max_tokens)
    try:
        _, completion = await lifecycle.execute(
            services, ctx, request, RoutingInput(messages=request.messages, requested_model=model, surface="cli",
                                                 max_output_tokens=max_tokens, task_hint="extraction"),
        )
    except SwitchboardError as exc:
        log.warning("the judge %s could not answer: %s", model, exc.message)
        return None, 0
    return completion.text, completion.cost_micros


async def grade(services: Services, judge: Developer, trace: TraceRecord) -> tuple[float | None, int]:
    """The judge's grade of a trace's answer in [0, 1] (None when it gave none) and what grading cost."""
    prompt = (
        f"Grade the answer below from 0 to 10. {rubric(trace.task_type)}\nReply with the grade first.\n\n"
        f"REQUEST:\n{(trace.prompt or '')[:EXCERPT_CHARS]}\n\nANSWER:\n{(trace.answer or '')[:EXCERPT_CHARS]}"
    )
    text, cost = await ask(services, judge, prompt, max_tokens=20)
    match = _GRADE.search(text or "")
    return (int(match.group(1)) / 10 if match else None), cost


def parse_choice(text: str) -> Choice | None:
    """"A", "B" or "TIE" at the start of the judge's reply ("Answer B ...", "**A**" too), else None."""
    match = _CHOICE.match(text)
    return match.group(1).lower() if match else None  # type: ignore[return-value]


async def compare(services: Services, judge: Developer, trace: TraceRecord, other: str,
                  rng: random.Random) -> tuple[tuple[float, float] | None, int]:
    """The judge's scores for the trace's answer and ``other`` (winner 1, loser 0, a tie 0.5 each; None
    when it named no winner) and what asking cost. The two are shown in a random order, so a judge's
    taste for a position does not pick the winner."""
    swapped = rng.random() < 0.5
    shown = (other, trace.answer or "") if swapped else (trace.answer or "", other)
    prompt = (
        f"Two answers to the same request follow. Which one is better? {rubric(trace.task_type)}\n"
        "Reply with A, B or TIE first, then one sentence of reasons.\n\n"
        f"REQUEST:\n{(trace.prompt or '')[:EXCERPT_CHARS]}\n\n"
        f"ANSWER A:\n{shown[0][:EXCERPT_CHARS]}\n\nANSWER B:\n{shown[1][:EXCERPT_CHARS]}"
    )
    text, cost = await ask(services, judge, prompt, max_tokens=60)
    choice = parse_choice(text or "")
    if choice is None:
        if text is not None:
            log.warning("the judge's comparison for trace %s named no winner: %r", trace.id, text[:80])
        return None, cost
    if choice == "tie":
        return (0.5, 0.5), cost
    first_won = (choice == "a") != swapped
    return ((1.0, 0.0) if first_won else (0.0, 1.0)), cost
