"""``POST /v1/embeddings``: text into vectors, on a configured embedding model (``kind = "embedding"``).

The model is the one named when it is an embedding model; ``auto``, a policy, or a name an alias sends
to one (``text-embedding-3-small``...) get the first usable embedding model in config order, with the
others after it as fallbacks (vectors of different models do not mix, so the choice is stable). The
request is metered like a completion: its worst case (every input character a token, at the dearest
model on the route) reserved against the developer's budgets, the provider's token count settled;
and traced (surface ``api``, ``decision.endpoint`` names the endpoint). Input for an external model is
redacted first, as prompts are.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import jsonwire
from daemon.api.fields import OPENAI_EMBEDDINGS, check_body, refuse
from daemon.api.http import TRACE_HEADER, EncodedJson, services_of
from daemon.api.openai_compat import MODEL_HEADER, admit, openai_error, read_json
from daemon.budgets.afford import budget_refusal
from daemon.config import Settings
from daemon.config.aliases import resolve
from daemon.config.candidates import availability, hide_key_names
from daemon.core import accounting, pipeline
from daemon.core.routing import RoutePlan
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, ModelUnavailableError, SwitchboardError
from daemon.gateway import Completion, prices_of
from daemon.guard import redact_values
from daemon.store.records import micros_to_usd, usd_to_micros

ENDPOINT = "/v1/embeddings"


def embedding_route(settings: Settings, requested: str) -> tuple[str, ...]:
    """The embedding models to try for a request naming ``requested``, first choice first."""
    models = settings.models
    resolved = resolve(settings, requested)
    pinned = resolved.pinned
    embedders = [name for name, model in models.items() if model.kind == "embedding" and model.enabled]
    if pinned is not None:
        if models[pinned].kind != "embedding":
            raise InvalidRequestError(
                f"model: {pinned} is a chat model; /v1/embeddings takes an embedding model "
                f"({', '.join(embedders) or 'none is configured'}) or 'auto'", details={"param": "model"})
        candidates = [pinned]
    else:
        candidates = embedders
    if not candidates:
        raise InvalidRequestError(
            "no embedding model is configured; add one to the config ([models.NAME] with kind = \"embedding\")",
            details={"param": "model"})
    reasons = availability(settings)
    usable = [name for name in candidates if reasons.get(name) is None]
    if not usable:
        raise ModelUnavailableError(
            "no embedding model can be used: " + "; ".join(f"{name}: {reasons[name]}" for name in candidates),
            details={"model": candidates[0], "excluded": {name: reasons[name] for name in candidates}})
    return tuple(usable)


def _texts(raw: Any) -> list[str]:
    """The inputs as the trace may keep them (token ids are counted, not kept)."""
    if isinstance(raw, str):
        return [raw]
    if raw and all(isinstance(v, int) for v in raw):
        return [f"[{len(raw)} token ids]"]
    return [v if isinstance(v, str) else f"[{len(v)} token ids]" for v in raw]


def _worst_tokens(raw: Any) -> int:
    """At most one token per character (and one per token id): what is reserved before the call."""
    if isinstance(raw, str):
        return len(raw) + 1
    if raw and all(isinstance(v, int) for v in raw):
        return len(raw)
    return sum(len(v) + 1 for v in raw)


async def _outgoing(services: Services, body: dict[str, Any], route: tuple[str, ...],
                    ctx: pipeline.RequestContext) -> dict[str, Any]:
    """``body`` as the route's models may see it: the input redacted when one of them is external."""
    settings = services.settings.guard
    models = services.settings.models
    if not (settings.redact_secrets or settings.redact_pii) or not any(
            models[name].is_external for name in services.gateway.expand(route) if name in models):
        return body
    [(redacted, counts)] = await redact_values(services.scans, [body["input"]], secrets=settings.redact_secrets,
                                               pii=settings.redact_pii, timeout=settings.scan_timeout)
    for kind, count in counts.items():
        ctx.guard.redacted[kind] = max(ctx.guard.redacted[kind], count)
    return {**body, "input": redacted}


async def _run(services: Services, ctx: pipeline.RequestContext, body: dict[str, Any], plan: RoutePlan,
               completion: Completion) -> dict[str, Any]:
    """Budget check, reservation, the call, settlement."""
    for figures in await accounting.current_figures(services, ctx.developer):
        if figures.used_up:
            raise budget_refusal(figures)
    models = services.settings.models
    tokens = _worst_tokens(body["input"])
    worst = max(usd_to_micros(tokens * prices_of(models[name]).input)
                for name in services.gateway.expand(plan.route) if name in models)
    outgoing = await _outgoing(services, body, plan.route, ctx)
    await pipeline.claim(services, ctx, worst)
    try:
        payload = await services.gateway.embed(outgoing, plan.route, completion)
    except BaseException:
        await pipeline.close(services, ctx, completion.cost_micros)
        raise
    await pipeline.settle(services, ctx, completion.cost_micros)
    return payload


async def embeddings(request: Request) -> Response:
    """``POST /v1/embeddings``."""
    services = services_of(request)
    ctx: pipeline.RequestContext | None = None
    plan: RoutePlan | None = None
    completion = Completion()
    try:
        body = await read_json(request)
        check_body(body, OPENAI_EMBEDDINGS, required=("input",))
        for name in body:
            if name not in OPENAI_EMBEDDINGS:
                raise refuse(name, "is not an embeddings parameter Switchboard can honour; send model, input, "
                                   "encoding_format, dimensions and user only")
        ctx = admit(request, body)
        texts = _texts(body["input"])
        ctx.prompt_text = "\n".join(texts)
        try:
            route = embedding_route(services.settings, ctx.requested_model)
        except SwitchboardError as exc:
            if not ctx.developer.is_admin:
                hide_key_names(exc)
            raise
        via = "named by the request" if route[0] == ctx.requested_model else "the first usable embedding model"
        reason = f"embeddings → {route[0]} ({via})"
        plan = RoutePlan(chosen=route[0], fallbacks=route[1:], reason=reason, policy="embeddings",
                         policy_kind="embeddings",
                         decision={"model": route[0], "fallbacks": list(route[1:]), "policy": "embeddings",
                                   "policy_kind": "embeddings", "reason": reason, "endpoint": ENDPOINT,
                                   "inputs": len(texts)})
        payload = await _run(services, ctx, body, plan, completion)
    except SwitchboardError as exc:
        if ctx is not None:
            exc.details.setdefault("trace_id", ctx.trace_id)
            pipeline.record(services, ctx, plan, completion, exc)
        return openai_error(exc, ctx.trace_id if ctx else None)
    data = payload.get("data") or []
    first = data[0].get("embedding") if data and isinstance(data[0], dict) else None
    size = f" of {len(first)} dimensions" if isinstance(first, list) else ""
    pipeline.record(services, ctx, plan, completion, None, answer_text=f"{len(data)} embedding(s){size}")
    payload["model"] = completion.model
    payload["usage"] = {**(payload.get("usage") or {}), "model": completion.model,
                        "cost_usd": micros_to_usd(completion.cost_micros)}
    return EncodedJson(jsonwire.dumps(payload), {TRACE_HEADER: ctx.trace_id, MODEL_HEADER: completion.model or ""})


routes = [Route(ENDPOINT, embeddings, methods=["POST"])]
