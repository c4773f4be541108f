"""The evaluation job: grade a sample of recent traces and feed the grades to what the router learns.

Automated scorers (the cascade's verifiers) grade every sampled answer; when a judge model is
configured (``daemon.jobs.judge``) it grades them too, with a rubric per task type, and for a share of
them (``[evaluation] shadow_rate``) a second model answers the same request (``daemon.jobs.shadow``) and
the judge says which answer is better, so both models learn from one comparison. Every grade updates
the routing matrix and, for traces that kept their ask's vector, the outcome memory. The judge and
the shadow answers are a developer of their own ("switchboard-eval") with its own monthly budget, so
evaluation never spends a person's budget.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field

from daemon.core.learning import outcomes_from
from daemon.core.services import Services
from daemon.errors import NotFoundError, SwitchboardError
from daemon.jobs import judge as judging
from daemon.jobs.shadow import request_messages, shadow_answer, shadow_model
from daemon.router.confidence import verify
from daemon.router.matrix import QualitySignal
from daemon.router.types import TaskType
from daemon.store.records import Developer, OutcomeRecord, TraceQuery, TraceRecord, usd_to_micros
from daemon.wire import EvalRequest, EvalResult

log = logging.getLogger("switchboard.eval")

EVAL_DEVELOPER = "switchboard-eval"
JUDGE_WEIGHT = 1.0
VERIFIER_WEIGHT = 0.5


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


@dataclass
class _Run:
    """What one evaluation run learned and spent."""

    signals: list[QualitySignal] = field(default_factory=list)
    outcomes: list[OutcomeRecord] = field(default_factory=list)
    judged: int = 0
    shadowed: int = 0
    spent: int = 0
    shadow_spent: int = 0

    def learn(self, trace: TraceRecord, signals: list[QualitySignal], source: str) -> None:
        """Signals on one trace: for the matrix, and as outcomes when the trace kept its vector."""
        self.signals += signals
        self.outcomes += outcomes_from(signals, trace_id=trace.id, embedding=trace.embedding,
                                       difficulty=trace.difficulty, source=source)


async def run_evaluation(services: Services, requester: Developer, request: EvalRequest) -> EvalResult:
    """Grade a sample of recent answered traces (the requester's own, or everyone's for an admin)."""
    query = TraceQuery(developer_id=None if requester.is_admin else requester.id,
                       since=time.time() - request.since_hours * 3600, outcome="ok", limit=1000)
    settings = services.settings.evaluation
    judge = await _eval_developer(services) if settings.judge_model else None
    traces = [
        t for t in await services.store.list_traces(query)
        if t.answered_model and t.task_type and t.answer is not None and (judge is None or t.developer_id != judge.id)
    ]
    rng = random.Random(len(traces))
    sample = rng.sample(traces, min(request.sample, len(traces)))
    run = _Run()
    for trace in sample:
        score = _verifier_score(trace)
        if score is not None:
            await services.store.add_feedback(trace.id, "verifier", score, comment="evaluation job")
            run.learn(trace, [_signal(trace, trace.answered_model, score, "verifier", VERIFIER_WEIGHT)], "verifier")
        if judge is None:
            continue
        grade, cost = await judging.grade(services, judge, trace)
        run.spent += cost
        if grade is not None:
            run.judged += 1
            await services.store.add_feedback(trace.id, "judge", grade, comment=f"judged by {settings.judge_model}")
            run.learn(trace, [_signal(trace, trace.answered_model, grade, "judge", JUDGE_WEIGHT)], "judge")
        if settings.shadow_share > 0 and rng.random() < settings.shadow_share:
            await _shadow(services, judge, trace, rng, run)
    version = await services.matrix.apply(run.signals, services.settings.routing, source="evaluation")
    await services.knowledge.learn(run.outcomes)
    if run.signals:
        services.events.publish("matrix", {"version": version, "source": "evaluation"})
    return EvalResult(scored=len(sample), judged=run.judged, cost_usd=run.spent / 1e6, matrix_version=version,
                      shadow_compared=run.shadowed, shadow_cost_usd=run.shadow_spent / 1e6,
                      outcomes_learned=len(run.outcomes))


async def _shadow(services: Services, judge: Developer, trace: TraceRecord, rng: random.Random, run: _Run) -> None:
    """A second model answers the trace's request, the judge compares, and both models learn the verdict."""
    if request_messages(trace.prompt) is None:
        return
    model = shadow_model(services, trace, rng)
    if model is None:
        return
    answer, cost = await shadow_answer(services, judge, trace, model)
    scores = None
    if answer is not None:
        scores, judging_cost = await judging.compare(services, judge, trace, answer, rng)
        cost += judging_cost
    run.spent += cost
    run.shadow_spent += cost
    if scores is None:
        return
    run.shadowed += 1
    first, second = scores
    run.learn(trace, [_signal(trace, trace.answered_model, first, "judge", JUDGE_WEIGHT),
                      _signal(trace, model, second, "judge", JUDGE_WEIGHT)], "shadow")


def _signal(trace: TraceRecord, model: str | None, score: float, source: str, weight: float) -> QualitySignal:
    return QualitySignal(task_type=TaskType(trace.task_type), complexity=trace.complexity or 0.0,
                         model=model or "", score=score, weight=weight, source=source,  # type: ignore[arg-type]
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
            log.info("evaluation: %d scored, %d judged, %d shadow comparisons, $%.4f", result.scored, result.judged,
                     result.shadow_compared, result.cost_usd)
        except SwitchboardError as exc:
            log.warning("evaluation run failed: %s", exc.message)
