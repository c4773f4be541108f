"""The local control API under ``/api/``: health, status, developers, ask, traces."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import __version__
from daemon.api.http import developer_of, json_response, parse_body, services_of
from daemon.config.candidates import availability, without_key_names
from daemon.core.services import STORE_PROBLEM_FOR_OTHERS, Services
from daemon.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from daemon.keys import new_key
from daemon.store.records import Developer, TraceQuery, TraceRecord, micros_to_usd
from daemon.wire import (
    AttemptInfo,
    DeveloperCreate,
    DeveloperCreated,
    DeveloperInfo,
    Health,
    KeysRevoked,
    ModelInfo,
    Status,
    TraceDetail,
    TraceList,
    TraceSummary,
)


async def health(request: Request) -> Response:
    """Liveness on both listeners, no identity needed."""
    return json_response(Health(version=__version__, simulated=services_of(request).simulated))


async def status(request: Request) -> Response:
    """What this daemon is, who is asking, and which models it can route to. A developer who is not an
    admin sees no pid, paths, config error text or API key variable names."""
    services = services_of(request)
    developer = developer_of(request)
    owner = developer.is_admin
    settings = services.settings
    reasons = availability(settings)
    models = [
        ModelInfo(
            name=name, litellm_model=m.litellm_model, tier=m.tier, available=reasons[name] is None,
            excluded_reason=reasons[name] if owner or reasons[name] is None else without_key_names(reasons[name]),
            simulated=m.simulated, input_usd_per_mtok=m.input_usd_per_mtok, output_usd_per_mtok=m.output_usd_per_mtok,
        )
        for name, m in settings.models.items()
    ]
    config_error = services.config.error
    if config_error and not owner:
        config_error = "the last config reload was refused; the daemon's owner can see why (`switchboard status`)"
    store_error = services.store_problem
    if store_error and not owner:  # the message names the data dir
        store_error = STORE_PROBLEM_FOR_OTHERS
    return json_response(
        Status(
            version=__version__, pid=os.getpid() if owner else None, started_at=services.started_at,
            socket=str(services.options.socket) if owner else None, http=services.http_address,
            data_dir=str(services.options.data_dir) if owner else None,
            config_path=str(services.config.path) if owner and services.config.path else None,
            config_loaded_at=services.config.loaded_at, config_error=config_error, store_error=store_error,
            simulated=services.simulated, developer=developer.name, is_admin=developer.is_admin, models=models,
        )
    )


def _without_key_names(decision: dict | None) -> dict | None:
    """A stored decision as a developer who is not an admin sees it (no API key variable names)."""
    if not decision or not decision.get("candidates"):
        return decision
    candidates = [{**c, "excluded_reason": without_key_names(c["excluded_reason"])}
                  if isinstance(c, dict) and isinstance(c.get("excluded_reason"), str) else c
                  for c in decision["candidates"]]
    return {**decision, "candidates": candidates}


def _require_admin(developer: Developer) -> None:
    if not developer.is_admin:
        raise PermissionDeniedError("only an admin may do this; ask the owner of the daemon")


def _developer_info(d: Developer) -> DeveloperInfo:
    return DeveloperInfo(id=d.id, name=d.name, is_admin=d.is_admin, created_at=d.created_at)


async def create_developer(request: Request) -> Response:
    """Add a developer and return its key, once (only its hash is stored)."""
    services = services_of(request)
    _require_admin(developer_of(request))
    body = await parse_body(request, DeveloperCreate)
    developer = await services.store.create_developer(body.name, is_admin=body.admin)
    return await _issue_key(services, developer)


async def new_developer_key(request: Request) -> Response:
    """Give an existing developer another key (admin), shown once: after a revoke, or a second machine."""
    services = services_of(request)
    _require_admin(developer_of(request))
    return await _issue_key(services, await services.store.developer_by_name(request.path_params["name"]))


async def _issue_key(services: Services, developer: Developer) -> Response:
    """A new key for ``developer``: only its hash is stored, the key itself is in this answer alone."""
    key, digest, prefix = new_key()
    await services.store.add_key(developer.id, digest, prefix)
    return json_response(DeveloperCreated(developer=_developer_info(developer), key=key), status=201)


async def revoke_keys(request: Request) -> Response:
    """Revoke every key of a developer (admin): their TCP requests are refused from now on."""
    services = services_of(request)
    _require_admin(developer_of(request))
    developer = await services.store.developer_by_name(request.path_params["name"])
    revoked = await services.store.revoke_keys(developer.id)
    services.forget_keys()
    return json_response(KeysRevoked(developer=developer.name, revoked=revoked))


async def list_developers(request: Request) -> Response:
    """Every developer (admins) or just me."""
    services = services_of(request)
    me = developer_of(request)
    developers = await services.store.list_developers() if me.is_admin else [me]
    return json_response({"developers": [_developer_info(d).model_dump() for d in developers]})


def _summary_fields(t: TraceRecord, names: dict[int, str]) -> dict:
    return dict(
        id=t.id, created_at=t.created_at, developer=names.get(t.developer_id, str(t.developer_id)),
        surface=t.surface, outcome=t.outcome, requested_model=t.requested_model, model=t.answered_model,
        task_type=t.task_type, complexity=t.complexity, latency_ms=t.latency_ms, ttft_ms=t.ttft_ms,
        input_tokens=t.input_tokens, output_tokens=t.output_tokens, cost_usd=micros_to_usd(t.cost_micros),
        reason=t.reason, error_code=t.error_code, fallback_used=t.fallback_used, escalated=t.escalated,
        policy=t.policy,
    )


async def _developer_names(request: Request) -> dict[int, str]:
    return {d.id: d.name for d in await services_of(request).store.list_developers()}


def _float_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidRequestError(f"query parameter {name!r} must be a number (Unix seconds), got {raw!r}") from None


async def list_traces(request: Request) -> Response:
    """Recent traces: mine, or everyone's for an admin asking with ``all=1``."""
    services = services_of(request)
    me = developer_of(request)
    params = request.query_params
    developer_id: int | None = me.id
    if params.get("developer"):
        _require_admin(me)
        developer_id = (await services.store.developer_by_name(params["developer"])).id
    elif params.get("all") in ("1", "true") and me.is_admin:
        developer_id = None
    try:
        limit = max(1, min(int(params.get("limit", "50")), 1000))
    except ValueError:
        raise InvalidRequestError("query parameter 'limit' must be a whole number") from None
    query = TraceQuery(
        developer_id=developer_id, model=params.get("model"), surface=params.get("surface"),
        outcome=params.get("outcome"), since=_float_param(request, "since"), limit=limit,
    )
    await services.traces.caught_up()  # requests answered a moment ago belong in the list
    traces = await services.store.list_traces(query)
    names = await _developer_names(request)
    return json_response(TraceList(traces=[TraceSummary(**_summary_fields(t, names)) for t in traces]))


async def get_trace(request: Request) -> Response:
    """One trace in full; another developer's trace is not found unless you are an admin."""
    services = services_of(request)
    me = developer_of(request)
    await services.traces.written(request.path_params["trace_id"])  # answered a moment ago: may still be queued
    trace = await services.store.get_trace(request.path_params["trace_id"])
    if trace.developer_id != me.id and not me.is_admin:
        raise NotFoundError(f"no trace {trace.id!r}")
    names = await _developer_names(request)
    feedback = await services.store.list_feedback(trace.id)
    detail = TraceDetail(
        **_summary_fields(trace, names),
        matrix_version=trace.matrix_version,
        decision=trace.decision if me.is_admin else _without_key_names(trace.decision),
        attempts=[
            AttemptInfo(
                seq=a.seq, model=a.model, status=a.status, latency_ms=a.latency_ms, ttft_ms=a.ttft_ms,
                error_code=a.error_code, error_message=a.error_message, input_tokens=a.input_tokens,
                output_tokens=a.output_tokens, cost_usd=micros_to_usd(a.cost_micros),
            )
            for a in trace.attempts
        ],
        prompt=trace.prompt, prompt_hash=trace.prompt_hash, prompt_chars=trace.prompt_chars,
        answer=trace.answer, answer_hash=trace.answer_hash, answer_chars=trace.answer_chars,
        guard=trace.guard, error_message=trace.error_message, cached_tokens=trace.cached_tokens,
        reasoning_tokens=trace.reasoning_tokens,
        feedback=[{"source": f.source, "score": f.score, "comment": f.comment, "at": f.created_at} for f in feedback],
    )
    return json_response(detail)


routes = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/status", status, methods=["GET"]),
    Route("/api/developers", create_developer, methods=["POST"]),
    Route("/api/developers", list_developers, methods=["GET"]),
    Route("/api/developers/{name}/keys", revoke_keys, methods=["DELETE"]),
    Route("/api/developers/{name}/keys", new_developer_key, methods=["POST"]),
    Route("/api/traces", list_traces, methods=["GET"]),
    Route("/api/traces/{trace_id}", get_trace, methods=["GET"]),
]
