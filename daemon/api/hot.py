"""Straight to the handler for the endpoints every completion goes through.

Starlette's router tries each of the daemon's ~25 routes in turn and wraps the call in two
exception middlewares: about a tenth of the daemon's CPU per gateway request (measured with
py-spy on ``bench/gateway_overhead.py``). The hot endpoints are plain ``POST`` handlers with fixed
paths, so this ASGI app finds them in a dict and calls them itself, with the same error mapping as
the app's exception handlers; every other request goes on to Starlette unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from daemon.api.http import error_response, handle_unexpected_error
from daemon.errors import SwitchboardError

Endpoint = Callable[[Request], Awaitable[Response]]


class HotPaths:
    """Dispatch ``POST`` requests for ``endpoints``' paths directly; everything else goes to ``app``."""

    def __init__(self, app: Starlette, endpoints: dict[str, Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # what Starlette would set: handlers find the services through it
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except SwitchboardError as exc:
            response = error_response(exc)
        except Exception as exc:
            response = await handle_unexpected_error(request, exc)
        await response(scope, receive, send)
