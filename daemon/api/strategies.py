"""Multi-call endpoints: ``POST /api/consensus`` and ``POST /api/eval``."""

from __future__ import annotations

import dataclasses
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from daemon.api.http import TRACE_HEADER, developer_of, json_response, parse_body, services_of
from daemon.api.routing import SIGNAL_WEIGHTS, routing_input
from daemon.config.candidates import hide_key_names
from daemon.core import accounting, pipeline
from daemon.core.routing import RoutePlan, decide_for
from daemon.core.strategies import run_consensus
from daemon.errors import InvalidRequestError, NoRouteError, PermissionDeniedError, SwitchboardError
from daemon.gateway import ChatRequest, Completion
from daemon.jobs.evaluation import run_evaluation
from daemon.router.matrix import QualitySignal
from daemon.router.types import TaskType
from daemon.wire import ConsensusAnswer, ConsensusRequest, ConsensusResponse, EvalRequest, RouteRequest


async def consensus(request: Request) -> Response:
    """Several models answer; agreement serves the majority, disagreement asks the tiebreaker and
    queues the request for a person."""
    services = services_of(request)
    me = developer_of(request)
    body = await parse_body(request, ConsensusRequest)
    ctx = pipeline.admit(services, me, surface=body.surface, requested_model="auto:consensus", priority=body.priority,
                         traceparent=request.headers.get("traceparent"))
    route_body = RouteRequest(prompt=body.prompt, system=body.system, max_tokens=body.max_tokens,
                              priority=body.priority, surface=body.surface, model="auto:consensus")
    routing = routing_input(route_body)
    plan: RoutePlan | None = None
    completion = Completion()
    try:
        budget = await accounting.budget_state(services, me)
        decision = decide_for(services, routing, budget, request_id=ctx.trace_id)
        models = list(body.models) or list(decision.consensus_models)[: body.n]
        unknown = [m for m in models if m not in services.settings.models]
        if unknown:
            raise InvalidRequestError(f"unknown model(s) {', '.join(unknown)}; `switchboard status` lists the configured ones")
        if len(models) < 2:
            raise NoRouteError("consensus needs at least two usable models; configure more or name them explicitly")
        tiebreaker = decision.tiebreaker
        if tiebreaker is None or tiebreaker in models:
            # Named models: the tiebreaker is the strongest eligible model not already asked.
            others = sorted((c for c in decision.candidates if c.eligible and c.model not in models),
                            key=lambda c: (-c.predicted_quality, c.predicted_cost_usd, c.model))
            tiebreaker = others[0].model if others else None
        cls = decision.classification
        plan = RoutePlan(
            chosen=models[0], fallbacks=(), policy="consensus", policy_kind="consensus",
            reason=f"consensus of {', '.join(models)}" + (f"; tiebreaker {tiebreaker}" if tiebreaker else ""),
            matrix_version=decision.matrix_version, task_type=str(cls.task_type), complexity=cls.complexity,
            decision={**decision.to_dict(), "consensus_models": models, "tiebreaker": tiebreaker},
            embedding=cls.embedding, difficulty=cls.difficulty,
        )
        chat = ChatRequest(messages=routing.messages, max_tokens=body.max_tokens)
        ctx.prompt_text = pipeline.prompt_text_of(chat)
        chat = await pipeline.guard(services, ctx, chat)
        outcome = await run_consensus(services, ctx, chat, models, tiebreaker=tiebreaker, stances=body.stances)
    except SwitchboardError as exc:
        if not me.is_admin:
            hide_key_names(exc)  # why models are unusable, without naming the owner's key variables
        exc.details.setdefault("trace_id", ctx.trace_id)
        pipeline.record(services, ctx, plan, completion, exc)
        raise
    group_of = {index: g for g, members in enumerate(outcome.groups) for index in members}
    answers = [
        ConsensusAnswer(
            model=model, answer=c.text if c is not None and e is None else None, error=e.message if e else None,
            cost_usd=(c.cost_micros if c else 0) / 1e6, latency_ms=sum(a.latency_ms for a in (c.attempts if c else [])),
            group=group_of.get(i),
        )
        for i, (model, c, e) in enumerate(outcome.answers)
    ]
    completion.text = outcome.answer or ""
    completion.model = outcome.tiebreaker or next((a.model for a in answers if a.group == 0), None)
    # Each member's attempts were numbered from 0; the trace numbers them in one sequence.
    completion.attempts = [dataclasses.replace(a, seq=i) for i, a in enumerate(outcome.attempts)]
    completion.cost_micros = outcome.cost_micros
    for _, c, _ in outcome.answers:
        if c is not None:
            completion.usage.input_tokens += c.usage.input_tokens
            completion.usage.output_tokens += c.usage.output_tokens
    pipeline.record(services, ctx, plan, completion, None, outcome="ok")
    review_id = None
    if outcome.verdict == "disagree":
        await services.traces.written(ctx.trace_id)
        item = await services.store.add_review(ctx.trace_id, me.id, [a.model_dump() for a in answers])
        review_id = item.id
        services.events.publish("review", {"id": item.id, "trace_id": ctx.trace_id, "status": "open"})
    elif plan.task_type:
        signals = [
            QualitySignal(task_type=TaskType(plan.task_type), complexity=plan.complexity or 0.0, model=a.model,
                          score=1.0 if a.group == 0 else 0.0, weight=SIGNAL_WEIGHTS["consensus"], source="consensus",
                          at=time.time())
            for a in answers if a.answer is not None
        ]
        version = await services.learn(signals, source="consensus", trace_id=ctx.trace_id, embedding=plan.embedding,
                                       difficulty=plan.difficulty)
        services.events.publish("matrix", {"version": version})
    response = ConsensusResponse(
        trace_id=ctx.trace_id, answers=answers, agreement=outcome.agreement, verdict=outcome.verdict,  # type: ignore[arg-type]
        answer=outcome.answer, tiebreaker=outcome.tiebreaker, review_id=review_id, cost_usd=outcome.cost_micros / 1e6,
    )
    return json_response(response, headers={TRACE_HEADER: ctx.trace_id})


async def evaluate(request: Request) -> Response:
    """Run the evaluation job now over a sample of recent traces."""
    services = services_of(request)
    me = developer_of(request)
    if not me.is_admin:  # its grades change the routing matrix every developer is routed by
        raise PermissionDeniedError("only an admin may run the evaluation job: its grades change the routing "
                                    "matrix everyone shares; ask the daemon's owner to run `switchboard eval`")
    body = await parse_body(request, EvalRequest)
    result = await run_evaluation(services, me, body)
    return json_response(result)


routes: list[BaseRoute] = [
    Route("/api/consensus", consensus, methods=["POST"]),
    Route("/api/eval", evaluate, methods=["POST"]),
]
