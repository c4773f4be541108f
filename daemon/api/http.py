"""Shared plumbing of the HTTP API: JSON responses, error mapping, body parsing, identity."""

from __future__ import annotations

import json
import logging
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from daemon.core.services import Services
from daemon.errors import AuthenticationError, InvalidRequestError, SwitchboardError
from daemon.store.records import Developer

log = logging.getLogger("switchboard.api")

M = TypeVar("M", bound=BaseModel)

TRACE_HEADER = "x-switchboard-trace-id"


def json_response(model: BaseModel | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise a wire model (or a plain dict) as JSON."""
    body = model.model_dump_json() if isinstance(model, BaseModel) else json.dumps(model)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class EncodedJson(Response):
    """An already-encoded JSON body, its headers put straight into ASGI's raw form (Starlette's
    ``Response`` encodes and checks each header again on every request; these are ours and plain)."""

    media_type = "application/json"

    def __init__(self, body: bytes, headers: dict[str, str], status_code: int = 200) -> None:
        self.body = body
        self.status_code = status_code
        self.background = None
        self.raw_headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        self.raw_headers += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


def error_headers(exc: SwitchboardError, trace_id: str | None) -> dict[str, str]:
    """The headers of an error answer: the trace id, and ``Retry-After`` on a refusal that passes (429,
    503) when how long is known (an open circuit, a rate limit), which clients honour before retrying."""
    headers = {TRACE_HEADER: trace_id} if trace_id else {}
    if exc.status in (429, 503):
        retry_after = exc.details.get("retry_after")
        if isinstance(retry_after, int | float):
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
    return headers


def error_response(exc: SwitchboardError) -> Response:
    """``{"error": {"code", "message"}}`` with the error's HTTP status (and trace id header)."""
    trace_id = exc.details.get("trace_id") if exc.details else None
    headers = error_headers(exc, str(trace_id) if trace_id else None)
    return Response(json.dumps(exc.to_payload()), status_code=exc.status, media_type="application/json", headers=headers)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """Last resort: log the bug, answer a clean 500 instead of a traceback."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(SwitchboardError(f"internal error ({type(exc).__name__}); see the daemon log"))


async def parse_body(request: Request, model: type[M]) -> M:
    """Parse and validate a JSON body, or raise ``InvalidRequestError`` saying which field is wrong."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidRequestError(f"invalid request body: {problems}") from None


def header(request: Request, name: bytes) -> str | None:
    """One request header by its lower-case name, read off the ASGI scope (Starlette's ``Headers``
    object, built per request just to look up a header or two, costs more than the lookup)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def body_of(request: Request) -> bytes:
    """The whole request body (``Request.body`` without its stream generator; the result is kept
    where Starlette looks for it, so the request's other readers still work)."""
    body = getattr(request, "_body", None)
    if body is not None:
        return body
    chunks = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = request._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return body


SERVICES_KEY = "switchboard.services"


def services_of(request: Request) -> Services:
    """The daemon's services: put on the request by the auth middleware (a dict lookup, where the
    app's ``state`` goes through Starlette's attribute machinery), else attached to the app at build time."""
    services = request.scope.get(SERVICES_KEY)
    return services if services is not None else request.app.state.services


def developer_of(request: Request) -> Developer:
    """The developer the auth middleware identified for this request."""
    developer = request.scope.get("switchboard.developer")
    if developer is None:
        raise AuthenticationError("this request carries no developer identity")
    return developer
