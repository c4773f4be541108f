"""The evaluation job: grade a sample of recent traces and feed the grades to the routing matrix.

Automated scorers (the cascade's verifiers) grade every sampled answer; when a judge model is
configured it grades them too, with a rubric per task type. The judge is a developer of its own
("switchboard-eval") with its own monthly budget, so evaluation never spends a person's budget.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time

from daemon import pipeline
from daemon.api.wire import EvalRequest, EvalResult
from daemon.errors import NotFoundError, SwitchboardError
from daemon.gateway import ChatRequest
from daemon.router.confidence import verify
from daemon.router.matrix import QualitySignal
from daemon.router.types import TaskType
from daemon.routing import RoutingInput
from daemon.services import Services
from daemon.store.records import Developer, TraceQuery, TraceRecord, usd_to_micros

log = logging.getLogger("switchboard.eval")

EVAL_DEVELOPER = "switchboard-eval"

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
_GRADE = re.compile(r"\b(10|[0-9])(?:\s*/\s*10)?\b")


async def _eval_developer(services: Services) -> Developer:
    try:
        developer = await services.store.developer_by_name(EVAL_DEVELOPER)
    except NotFoundError:
        developer = await services.store.create_developer(EVAL_DEVELOPER)
    limit = usd_to_micros(services.settings.evaluation.monthly_budget_usd)
    budget = await services.store.budget_for("developer", developer.id)
    if budget is None or budget.limit_micros != limit:
        await services.store.set_budget("developer", developer.id, "month", limit)
    return developer


def _verifier_score(trace: TraceRecord) -> float | None:
    if trace.answer is None:
        return None
    findings = verify(trace.answer, expects_code=trace.task_type in ("code_edit", "code_completion"))
    return 0.2 if findings else 0.8


async def _judge(services: Services, judge: Developer, trace: TraceRecord) -> tuple[float | None, int]:
    """The judge's grade in [0, 1] (None when it could not grade) and what grading cost, in micro-dollars."""
    model = services.settings.evaluation.judge_model
    rubric = RUBRICS.get(trace.task_type or "chat", RUBRICS["chat"])
    prompt = (
        f"Grade the answer below from 0 to 10. {rubric}\nReply with the grade first.\n\n"
        f"REQUEST:\n{(trace.prompt or '')[:6000]}\n\nANSWER:\n{(trace.answer or '')[:6000]}"
    )
    ctx = pipeline.admit(services, judge, surface="cli", requested_model=model)
    ctx.prompt_text = prompt
    request = ChatRequest(messages=({"role": "user", "content": prompt},), max_tokens=20)
    try:
        _, completion = await pipeline.execute(
            services, ctx, request, RoutingInput(messages=request.messages, requested_model=model, surface="cli",
                                                 max_output_tokens=20, task_hint="extraction"),
        )
    except SwitchboardError as exc:
        log.warning("judge could not grade trace %s: %s", trace.id, exc.message)
        return None, 0
    match = _GRADE.search(completion.text)
    return (int(match.group(1)) / 10 if match else None), completion.cost_micros


async def run_evaluation(services: Services, requester: Developer, request: EvalRequest) -> EvalResult:
    """Grade a sample of recent answered traces (the requester's own, or everyone's for an admin)."""
    query = TraceQuery(developer_id=None if requester.is_admin else requester.id,
                       since=time.time() - request.since_hours * 3600, outcome="ok", limit=1000)
    judge_model = services.settings.evaluation.judge_model
    judge = await _eval_developer(services) if judge_model else None
    traces = [
        t for t in await services.store.list_traces(query)
        if t.answered_model and t.task_type and t.answer is not None and (judge is None or t.developer_id != judge.id)
    ]
    sample = random.Random(len(traces)).sample(traces, min(request.sample, len(traces)))
    signals: list[QualitySignal] = []
    judged = 0
    spent = 0
    for trace in sample:
        score = _verifier_score(trace)
        if score is not None:
            await services.store.add_feedback(trace.id, "verifier", score, comment="evaluation job")
            signals.append(_signal(trace, score, "verifier", 0.5))
        if judge is not None:
            grade, cost = await _judge(services, judge, trace)
            spent += cost
            if grade is not None:
                judged += 1
                await services.store.add_feedback(trace.id, "judge", grade, comment=f"judged by {judge_model}")
                signals.append(_signal(trace, grade, "judge", 1.0))
    version = await services.matrix.apply(signals, services.settings.routing, source="evaluation")
    if signals:
        services.events.publish("matrix", {"version": version, "source": "evaluation"})
    return EvalResult(scored=len(sample), judged=judged, cost_usd=spent / 1e6, matrix_version=version)


def _signal(trace: TraceRecord, score: float, source: str, weight: float) -> QualitySignal:
    return QualitySignal(task_type=TaskType(trace.task_type), complexity=trace.complexity or 0.0,
                         model=trace.answered_model or "", score=score, weight=weight, source=source,  # type: ignore[arg-type]
                         at=time.time())


async def run_periodically(services: Services) -> None:
    """The scheduled job (``[evaluation] interval_minutes``); runs until cancelled."""
    while True:
        interval = services.settings.evaluation.interval_minutes
        await asyncio.sleep(max(interval, 1.0) * 60)
        if interval <= 0:
            continue
        try:
            admin = await services.local_developer()
            result = await run_evaluation(services, admin, EvalRequest(sample=services.settings.evaluation.sample))
            log.info("evaluation: %d scored, %d judged, $%.4f", result.scored, result.judged, result.cost_usd)
        except SwitchboardError as exc:
            log.warning("evaluation run failed: %s", exc.message)
