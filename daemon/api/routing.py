"""The router's API: explain a decision, show and edit the matrix, take quality signals, review
consensus disagreements. Consensus and evaluation runs live in ``daemon.api.strategies``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from daemon import matrix_file
from daemon.api.http import developer_of, json_response, parse_body, services_of
from daemon.budgets import router_state
from daemon.budgets.afford import headroom
from daemon.config.candidates import hide_key_names, without_key_names
from daemon.core import accounting
from daemon.core.routing import RoutingInput, candidates_for, decide_for
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, NotFoundError, PermissionDeniedError, SwitchboardError
from daemon.router.engine import prior_quality
from daemon.router.matrix import N_BANDS, QualitySignal, RoutingMatrix
from daemon.router.settings import RoutingSettings
from daemon.router.types import NO_BUDGET, Candidate, TaskType
from daemon.store.records import Developer, ReviewItem
from daemon.wire import (
    DecisionInfo,
    FeedbackRequest,
    FeedbackResponse,
    MatrixCellInfo,
    MatrixInfo,
    MatrixQuality,
    ReviewInfo,
    ReviewResolve,
    RouteRequest,
)

# How much one signal counts, by where it came from: a person's explicit verdict counts most.
SIGNAL_WEIGHTS = {"user": 2.0, "agent": 1.0, "editor": 1.0, "judge": 1.0, "verifier": 0.5, "consensus": 0.5}


def routing_input(body: RouteRequest) -> RoutingInput:
    """The routing view of an ask/route body (files are context ahead of the prompt)."""
    messages: list[dict[str, str]] = []
    if body.system:
        messages.append({"role": "system", "content": body.system})
    context = "".join(f"File {f.path}:\n```\n{f.content}\n```\n\n" for f in body.files)
    messages.append({"role": "user", "content": context + body.prompt})
    return RoutingInput(
        messages=tuple(messages), requested_model=body.model, surface=body.surface,
        max_output_tokens=body.max_tokens, priority=body.priority, task_hint=body.task_type,
    )


def decision_info(decision: dict) -> DecisionInfo:
    """A stored/returned decision dict as the wire model."""
    escalation = decision.get("escalation") or {}
    fields = {k: v for k, v in decision.items() if k in DecisionInfo.model_fields and k != "candidates"}
    fields["features"] = {k: v for k, v in (decision.get("features") or {}).items()}
    return DecisionInfo(
        **fields,
        candidates=[
            {k: v for k, v in c.items() if k in ("model", "tier", "eligible", "excluded_reason", "predicted_quality",
                                                  "predicted_latency_ms", "predicted_cost_usd", "score", "evidence")}
            for c in decision.get("candidates", [])
        ],
        escalation_model=escalation.get("model"),
        confidence_threshold=escalation.get("confidence_threshold"),
    )


async def route(request: Request) -> Response:
    """Which model would serve this prompt, and why — no model is called."""
    services = services_of(request)
    me = developer_of(request)
    body = await parse_body(request, RouteRequest)
    found = await accounting.current_figures(services, me)
    budget = router_state(found) if found else NO_BUDGET
    try:
        decision = decide_for(services, routing_input(body), budget, room=headroom(found))  # as a real request would
    except SwitchboardError as exc:
        if not me.is_admin:
            hide_key_names(exc)
        raise
    info = decision_info(decision.to_dict())
    if not me.is_admin:
        for candidate in info.candidates:
            candidate.excluded_reason = candidate.excluded_reason and without_key_names(candidate.excluded_reason)
    return json_response(info)


async def feedback(request: Request) -> Response:
    """A quality score for a trace: stored, and folded into the routing matrix."""
    services = services_of(request)
    me = developer_of(request)
    body = await parse_body(request, FeedbackRequest)
    version = await record_feedback(services, me, body)
    return json_response(FeedbackResponse(trace_id=body.trace_id, matrix_version=version))


async def record_feedback(services: Services, me: Developer, body: FeedbackRequest) -> int:
    """Store a signal and update the matrix; returns the matrix version in force afterwards."""
    try:
        await services.traces.written(body.trace_id)  # a trace answered a moment ago may still be queued
    except TimeoutError:
        raise NotFoundError(f"trace {body.trace_id!r} is still being recorded (its answer is still streaming); "
                            "send the feedback again in a moment") from None
    trace = await services.store.get_trace(body.trace_id)
    if trace.developer_id != me.id and not me.is_admin:
        raise NotFoundError(f"no trace {body.trace_id!r} to rate")
    await services.store.add_feedback(trace.id, body.source, body.score, developer_id=me.id, comment=body.comment)
    if not trace.answered_model or not trace.task_type:
        return services.matrix.matrix.version
    signal = QualitySignal(
        task_type=TaskType(trace.task_type), complexity=trace.complexity or 0.0, model=trace.answered_model,
        score=body.score, weight=SIGNAL_WEIGHTS.get(body.source, 1.0), source=_signal_source(body.source),
        at=time.time(), latency_ms=trace.ttft_ms or trace.latency_ms, cost_usd=trace.cost_micros / 1e6,
    )
    version = await services.learn([signal], source=f"feedback:{body.source}", trace_id=trace.id,
                                   embedding=trace.embedding, difficulty=trace.difficulty, outcome_source=body.source)
    services.events.publish("matrix", {"version": version, "model": trace.answered_model, "task_type": trace.task_type})
    return version


def _signal_source(source: str) -> str:
    return {"user": "agent"}.get(source, source)


def matrix_info(services: Services, *, task_type: str | None = None, model: str | None = None) -> MatrixInfo:
    """The matrix (optionally filtered) as the wire model: the raw cells, and for every usable model
    the quality the router's own lookup gives at each band (``RoutingMatrix.qualities`` with the
    engine's ``prior_quality``), so what people read is what a decision reads."""
    matrix = services.matrix.matrix
    cells = [
        MatrixCellInfo(**row)
        for row in matrix.to_rows()
        if (task_type is None or row["task_type"] == task_type) and (model is None or row["model"] == model)
    ]
    candidates = [c for c in candidates_for(services) if c.excluded_reason is None and model in (None, c.name)]
    return MatrixInfo(version=matrix.version, bands=[(i + 1) / N_BANDS for i in range(N_BANDS)], cells=cells,
                      models=[c.name for c in candidates],
                      grid=quality_grid(matrix, candidates, services.settings.routing, task_type=task_type))


def quality_grid(matrix: RoutingMatrix, candidates: list[Candidate], settings: RoutingSettings, *,
                 task_type: str | None = None) -> list[MatrixQuality]:
    """Every (task type, band, candidate) as the router would look it up at the band's middle complexity."""
    evidence_at: dict[tuple[str, str], float] = {}  # (task type, model) and ("", model): where backing off lands
    for (task, _band, name), cell in matrix.cells.items():
        for key in ((task.value, name), ("", name)):
            evidence_at[key] = evidence_at.get(key, 0.0) + cell.evidence
    grid = []
    for task in TaskType:
        if task_type is not None and task.value != task_type:
            continue
        for band in range(N_BANDS):
            complexity = (band + 0.5) / N_BANDS
            priors = [(c.name, prior_quality(c, complexity, settings)) for c in candidates]
            looked_up = matrix.qualities(task, complexity, priors, prior_strength=settings.prior_strength)
            for (name, prior), (quality, evidence, _cell) in zip(priors, looked_up, strict=True):
                source = ("cell" if evidence > 0 else "task type" if evidence_at.get((task.value, name))
                          else "model" if evidence_at.get(("", name)) else "prior")
                grid.append(MatrixQuality(task_type=task.value, band=band, model=name, quality=round(quality, 4),
                                          evidence=round(evidence, 2), prior=round(prior, 4), source=source))
    return grid


async def get_matrix(request: Request) -> Response:
    """The routing matrix, filterable by ``task_type`` and ``model``."""
    services = services_of(request)
    params = request.query_params
    if params.get("task_type") and params["task_type"] not in {t.value for t in TaskType}:
        raise InvalidRequestError(f"task_type: unknown task type {params['task_type']!r}; one of: "
                                  f"{', '.join(t.value for t in TaskType)}", details={"param": "task_type"})
    return json_response(matrix_info(services, task_type=params.get("task_type"), model=params.get("model")))


async def export_matrix(request: Request) -> Response:
    """The whole matrix as TOML, for ``switchboard matrix export``."""
    return Response(matrix_file.dumps(services_of(request).matrix.matrix), media_type="application/toml")


async def import_matrix(request: Request) -> Response:
    """Replace cells from a TOML document (admin); a new matrix version."""
    services = services_of(request)
    if not developer_of(request).is_admin:
        raise PermissionDeniedError("only an admin may import a routing matrix")
    try:
        matrix = matrix_file.loads((await request.body()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError(f"not a valid matrix file ([[cells]] with task_type, band, model, quality): {exc}. "
                                  "Nothing was changed; `switchboard matrix export FILE` writes a valid one") from None
    version = await services.matrix.replace(matrix, source="import")
    services.events.publish("matrix", {"version": version, "imported_cells": len(matrix.cells)})
    return json_response(matrix_info(services))


async def _review_info(services: Services, item: ReviewItem, names: dict[int, str]) -> ReviewInfo:
    try:
        prompt = (await services.store.get_trace(item.trace_id)).prompt
    except NotFoundError:
        prompt = None
    return ReviewInfo(
        id=item.id, trace_id=item.trace_id, developer=names.get(item.developer_id, str(item.developer_id)),
        status=item.status, prompt=prompt, answers=list(item.answers), chosen_index=item.chosen_index,
        created_at=item.created_at,
    )


async def list_reviews(request: Request) -> Response:
    """Review items: mine, or everyone's for an admin."""
    services = services_of(request)
    me = developer_of(request)
    status = request.query_params.get("status", "open")
    if status not in ("open", "resolved", "dismissed", "all"):
        raise InvalidRequestError("status must be open, resolved, dismissed or all")
    items = await services.store.list_reviews(
        status=None if status == "all" else status, developer_id=None if me.is_admin else me.id
    )
    names = {d.id: d.name for d in await services.store.list_developers()}
    return json_response({"reviews": [(await _review_info(services, i, names)).model_dump() for i in items]})


async def resolve_review(request: Request) -> Response:
    """Pick an answer (its model gets credit, the others lose it) or dismiss the item."""
    services = services_of(request)
    me = developer_of(request)
    try:
        review_id = int(request.path_params["review_id"])
    except ValueError:
        raise InvalidRequestError("review id must be a whole number") from None
    body = await parse_body(request, ReviewResolve)
    open_items = {i.id: i for i in await services.store.list_reviews(status="open")}
    item = open_items.get(review_id)
    if item is None or (item.developer_id != me.id and not me.is_admin):
        raise NotFoundError(f"no open review item {review_id}")
    if body.chosen_index is not None and not 0 <= body.chosen_index < len(item.answers):
        raise InvalidRequestError(f"chosen_index must be between 0 and {len(item.answers) - 1}")
    resolved = await services.store.resolve_review(review_id, body.chosen_index)
    if body.chosen_index is not None:
        await _credit_review(services, item, body.chosen_index)
    services.events.publish("review", {"id": review_id, "status": resolved.status})
    names = {d.id: d.name for d in await services.store.list_developers()}
    return json_response(await _review_info(services, resolved, names))


async def _credit_review(services: Services, item: ReviewItem, chosen: int) -> None:
    trace = await services.store.get_trace(item.trace_id)
    if not trace.task_type:
        return
    chosen_group = item.answers[chosen].get("group")
    signals = []
    for index, answer in enumerate(item.answers):
        if not answer.get("model") or answer.get("answer") is None:
            continue
        agrees = index == chosen or (chosen_group is not None and answer.get("group") == chosen_group)
        signals.append(QualitySignal(
            task_type=TaskType(trace.task_type), complexity=trace.complexity or 0.0, model=answer["model"],
            score=1.0 if agrees else 0.0, weight=SIGNAL_WEIGHTS["user"], source="agent", at=time.time(),
        ))
    await services.store.add_feedback(trace.id, "user", 1.0, comment=f"review: chose answer {chosen}")
    version = await services.learn(signals, source="review", trace_id=trace.id, embedding=trace.embedding,
                                   difficulty=trace.difficulty, outcome_source="review")
    services.events.publish("matrix", {"version": version})


routes: list[BaseRoute] = [
    Route("/api/route", route, methods=["POST"]),
    Route("/api/feedback", feedback, methods=["POST"]),
    Route("/api/matrix", get_matrix, methods=["GET"]),
    Route("/api/matrix/export", export_matrix, methods=["GET"]),
    Route("/api/matrix/import", import_matrix, methods=["POST"]),
    Route("/api/reviews", list_reviews, methods=["GET"]),
    Route("/api/reviews/{review_id}", resolve_review, methods=["POST"]),
]
