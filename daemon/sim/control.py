"""The `/_sim/*` control endpoints: drive a sim running in another process over HTTP.

==========================  =========================================================
GET    /_sim/health         {"status": "ok", "models": [...]}
GET    /_sim/faults         pending faults per model (optional ?model=)
POST   /_sim/faults         {"model": M, "fault": {...}} or {"model": M, "faults": [...]}
DELETE /_sim/faults         clear faults (optional ?model=)
GET    /_sim/requests       the request log as JSON records (optional ?model=)
DELETE /_sim/requests       clear the request log
GET    /_sim/profiles       every model profile
POST   /_sim/profiles       add or replace one profile (a ModelProfile JSON object)
==========================  =========================================================

Errors come back as `{"error": {"code", "message"}}` with status 400 or 404.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from pydantic import ValidationError

from daemon.sim.faults import Fault, FaultScript
from daemon.sim.log import RequestLog, RequestRecord
from daemon.sim.profiles import ModelProfile


class Controlled(Protocol):
    """What the control endpoints drive: a ``SimServer`` (which builds them, so this module never imports it)."""

    faults: FaultScript
    log: RequestLog

    @property
    def profiles(self) -> dict[str, ModelProfile]: ...

    @property
    def requests(self) -> list[RequestRecord]: ...

    def requests_for(self, model: str) -> list[RequestRecord]: ...

    def script(self, model: str, *faults: Fault) -> None: ...

    def set_profile(self, profile: ModelProfile) -> None: ...


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _json(request: web.Request) -> Any:
    """The JSON body, or None when it is not JSON (the handlers then answer 400)."""
    try:
        return await request.json()
    except ValueError:
        return None


def control_routes(sim: Controlled) -> list[web.RouteDef]:
    """The control routes bound to `sim`."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "models": sorted(sim.profiles)})

    async def list_faults(request: web.Request) -> web.Response:
        return web.json_response(sim.faults.pending(request.query.get("model")))

    async def add_faults(request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return _error(400, "bad_request", 'expected {"model": NAME, "fault": {...}} or "faults": [...]')
        raw = body.get("faults") if "faults" in body else [body.get("fault")]
        try:
            faults = [Fault.model_validate(f) for f in raw or []]
        except ValidationError as exc:
            return _error(400, "bad_fault", str(exc))
        try:
            sim.script(body["model"], *faults)
        except KeyError as exc:
            return _error(404, "unknown_model", str(exc.args[0]))
        return web.json_response({"scripted": len(faults), "pending": sim.faults.pending(body["model"])})

    async def clear_faults(request: web.Request) -> web.Response:
        sim.faults.clear(request.query.get("model"))
        return web.json_response({"cleared": True})

    async def list_requests(request: web.Request) -> web.Response:
        model = request.query.get("model")
        records = sim.requests if model is None else sim.requests_for(model)
        return web.json_response([r.model_dump(mode="json") for r in records])

    async def clear_requests(request: web.Request) -> web.Response:
        sim.log.clear()
        return web.json_response({"cleared": True})

    async def list_profiles(request: web.Request) -> web.Response:
        return web.json_response([p.model_dump(mode="json") for p in sim.profiles.values()])

    async def put_profile(request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body, dict):
            return _error(400, "bad_request", "expected a ModelProfile JSON object")
        try:
            profile = ModelProfile.model_validate(body)
        except ValidationError as exc:
            return _error(400, "bad_profile", str(exc))
        sim.set_profile(profile)
        return web.json_response(profile.model_dump(mode="json"))

    return [
        web.get("/_sim/health", health),
        web.get("/_sim/faults", list_faults),
        web.post("/_sim/faults", add_faults),
        web.delete("/_sim/faults", clear_faults),
        web.get("/_sim/requests", list_requests),
        web.delete("/_sim/requests", clear_requests),
        web.get("/_sim/profiles", list_profiles),
        web.post("/_sim/profiles", put_profile),
    ]
