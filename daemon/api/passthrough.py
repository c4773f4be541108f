"""What a gateway is expected to answer besides completions: one model by name (``GET /v1/models/{id}``,
OpenAI's shape or Anthropic's), and a JSON error in the caller's own format for every path that does
not exist (404) and every method a path does not take (405) — never Starlette's ``text/plain``.

The caller's format: Anthropic's (``{"type": "error", "error": {...}}``) under ``/v1/messages`` or when
the request carries ``anthropic-version`` (the Anthropic SDK sends it on every call); Switchboard's own
under ``/api/`` and ``/mcp``; OpenAI's (``{"error": {...}}``) everywhere else.
"""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from daemon import jsonwire
from daemon.api.anthropic_compat import anthropic_error
from daemon.api.http import error_response, services_of
from daemon.api.openai_compat import model_object, openai_error, speaks_anthropic
from daemon.config import Settings
from daemon.config.aliases import resolve
from daemon.errors import (
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    SwitchboardError,
)

SERVED = ("POST /v1/chat/completions, POST /v1/completions, POST /v1/responses, POST /v1/embeddings, "
          "GET /v1/models, GET /v1/models/{id}, POST /v1/messages, POST /v1/messages/count_tokens")


def caller_error(scope: Scope, exc: SwitchboardError) -> Response:
    """``exc`` in the wire format of the client that sent the request."""
    path = scope["path"]
    if path.startswith("/v1/messages") or any(name == b"anthropic-version" for name, _ in scope["headers"]):
        return anthropic_error(exc, None)
    if path in ("/api", "/mcp") or path.startswith(("/api/", "/mcp/")):
        return error_response(exc)
    return openai_error(exc, None)


def accepted_model(settings: Settings, name: str) -> bool:
    """Whether a request may name ``name``: ``auto``, a policy, an enabled model, or a name an alias takes."""
    try:
        resolved = resolve(settings, name)
    except InvalidRequestError:
        return False
    return resolved.pinned is None or settings.models[resolved.pinned].enabled


async def model(request: Request) -> Response:
    """``GET /v1/models/{id}``: one name a request may send, alias names and ``auto`` included."""
    settings = services_of(request).settings
    name = request.path_params["model_id"]
    if not accepted_model(settings, name):
        enabled = [n for n, m in settings.models.items() if m.enabled]
        raise NotFoundError(f"no model {name!r}: a request may name auto, auto:<policy>, an enabled model "
                            f"({', '.join(enabled) or 'none'}) or a name an alias takes (`switchboard status`)",
                            details={"param": "model"})
    body = model_object(name, speaks_anthropic(request), int(time.time()))
    return Response(jsonwire.dumps(body), media_type="application/json")


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, a method the path does not take) in the caller's format."""
    assert isinstance(exc, HTTPException)
    path, method = request.url.path, request.method
    allow = (exc.headers or {}).get("Allow")
    error: SwitchboardError
    if exc.status_code == 405:
        error = MethodNotAllowedError(f"{path} does not take {method}; send {allow or 'another method'}",
                                      details={"allow": allow})
    elif exc.status_code == 404:
        error = NotFoundError(f"no endpoint {method} {path}; Switchboard serves {SERVED}, and its own API under /api/")
    else:
        error = InvalidRequestError(f"{method} {path}: {exc.detail}")
    response = caller_error(request.scope, error)
    if allow:
        response.headers["allow"] = allow
    return response


async def handle_switchboard_error(request: Request, exc: Exception) -> Response:
    """Our errors raised by an endpoint, in the caller's format."""
    assert isinstance(exc, SwitchboardError)
    path = request.url.path
    if path.startswith("/v1/"):
        return caller_error(request.scope, exc)
    return error_response(exc)


routes = [Route("/v1/models/{model_id:path}", model, methods=["GET"])]
