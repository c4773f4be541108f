"""Who is asking: the socket's owner on the Unix socket, a developer key on TCP.

A pure ASGI middleware so it guards every path the same way (local API, gateway endpoints, /mcp).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from daemon.api.http import SERVICES_KEY, error_response
from daemon.errors import AuthenticationError
from daemon.services import Services

LISTENER_KEY = "switchboard.listener"
DEVELOPER_KEY = "switchboard.developer"
_OPEN_PATHS = frozenset({"/api/health"})


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
        elif name == b"x-api-key":
            return value.decode("latin-1").strip()
    return None


class IdentifyDeveloper:
    """Attach the developer to the scope, or answer 401 on TCP without a valid key."""

    def __init__(self, app: ASGIApp, services: Services, listener: str) -> None:
        self.app = app
        self.services = services
        self.listener = listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[LISTENER_KEY] = self.listener
        scope[SERVICES_KEY] = self.services
        if scope["path"] not in _OPEN_PATHS:
            if self.listener == "unix":
                scope[DEVELOPER_KEY] = await self.services.local_developer()
            else:
                key = _bearer(scope)
                developer = await self.services.developer_for_key(key) if key else None
                if developer is None:
                    why = "no developer key was sent" if not key else "the developer key is not valid"
                    response = error_response(
                        AuthenticationError(
                            f"{why}; send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY' "
                            "(`switchboard dev add NAME` creates one)"
                        )
                    )
                    await response(scope, receive, send)
                    return
                scope[DEVELOPER_KEY] = developer
        await self.app(scope, receive, send)
