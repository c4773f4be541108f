"""``/api/demo``: the demo scenario drives the simulated providers of a demo-mode daemon.

``make run``'s demo workload scripts provider faults (so fallbacks, an open circuit and errors show)
and gives some simulated models a mind of their own (so consensus can disagree and a cascade can
escalate). Only a daemon on the simulated providers takes these, and only from an admin: real
providers are never touched.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.api.http import developer_of, json_response, parse_body, services_of
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from daemon.wire import DemoFaults, DemoProfile


def _sim(request: Request) -> object:
    services: Services = services_of(request)
    if not developer_of(request).is_admin:
        raise PermissionDeniedError("only an admin may drive the demo's simulated providers")
    if services.sim is None:
        raise InvalidRequestError("this daemon runs on real providers: only a demo-mode daemon (simulated providers) "
                                  "takes scripted faults")
    return services.sim


async def script_faults(request: Request) -> Response:
    """Queue faults on one simulated model's next requests."""
    from daemon.sim import Fault

    sim = _sim(request)
    body = await parse_body(request, DemoFaults)
    try:
        faults = [Fault.model_validate(f) for f in body.faults]
    except ValidationError as exc:
        raise InvalidRequestError(f"not a valid fault: {exc}") from None
    try:
        sim.script(body.model, *faults)  # type: ignore[attr-defined]
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    return json_response({"model": body.model, "pending": sim.faults.pending(body.model)})  # type: ignore[attr-defined]


async def clear_faults(request: Request) -> Response:
    """Forget the faults still queued for one simulated model (``?model=``) or for all of them."""
    sim = _sim(request)
    sim.faults.clear(request.query_params.get("model"))  # type: ignore[attr-defined]
    return json_response({"cleared": request.query_params.get("model") or "all"})


async def change_profile(request: Request) -> Response:
    """Change how one simulated model behaves (dissent, confidence, latency, ...)."""
    from daemon.sim import ModelProfile

    sim = _sim(request)
    body = await parse_body(request, DemoProfile)
    current = sim.profiles.get(body.model)  # type: ignore[attr-defined]
    if current is None:
        raise NotFoundError(f"no simulated model {body.model!r}")
    try:
        profile = ModelProfile.model_validate({**current.model_dump(), **body.changes, "name": body.model})
    except ValidationError as exc:
        raise InvalidRequestError(f"not a valid change of {body.model}: {exc}") from None
    sim.set_profile(profile)  # type: ignore[attr-defined]
    return json_response(profile.model_dump(mode="json"))


routes = [
    Route("/api/demo/faults", script_faults, methods=["POST"]),
    Route("/api/demo/faults", clear_faults, methods=["DELETE"]),
    Route("/api/demo/profiles", change_profile, methods=["POST"]),
]
