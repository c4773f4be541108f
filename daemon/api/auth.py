"""Who is asking, and what the request may bring: the edge every request passes.

The socket's owner on the Unix socket, a developer key on TCP. A request that carries two different
keys (``Authorization`` and ``x-api-key``, or either twice) is refused rather than resolved by header
order: whatever reads the key later (``/mcp`` acts with it) reads the one checked here
(``CREDENTIAL_KEY``). A body over ``daemon.max_body_bytes`` is refused with 413 before it is read
(by its ``Content-Length``, or as it streams in when chunked). Refusals use the caller's wire format
(``passthrough.caller_error``): Anthropic's under ``/v1/messages`` or with ``anthropic-version``,
Switchboard's under ``/api/`` and ``/mcp``, OpenAI's elsewhere.

A pure ASGI middleware so it guards every path the same way (local API, gateway endpoints, /mcp).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.api.http import SERVICES_KEY
from daemon.api.listener import CONNECTION_KEY
from daemon.api.passthrough import caller_error
from daemon.core.services import Services
from daemon.errors import AuthenticationError, InvalidRequestError, PayloadTooLargeError, SwitchboardError

LISTENER_KEY = "switchboard.listener"
DEVELOPER_KEY = "switchboard.developer"
CREDENTIAL_KEY = "switchboard.credential"
"""The developer key a TCP request was identified by (the only one it carries)."""
_OPEN_PATHS = frozenset({"/api/health"})


class _Edge:
    """What the request's headers say about identity and body size (read in one pass)."""

    __slots__ = ("chunked", "conflict", "key", "length")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.key: str | None = None
        self.conflict = False
        self.length: int | None = None
        self.chunked = False
        for name, value in headers:
            if name == b"authorization":
                text = value.decode("latin-1")
                if text[:7].lower() != "bearer ":
                    continue
                candidate = text[7:].strip()
            elif name == b"x-api-key":
                candidate = value.decode("latin-1").strip()
            elif name == b"content-length":
                self.length = int(value) if value.isdigit() else None  # the HTTP parser refused bad framing
                continue
            elif name == b"transfer-encoding":
                self.chunked = True
                continue
            else:
                continue
            if self.key is None:
                self.key = candidate
            elif candidate != self.key:
                self.conflict = True


def error_for(scope: Scope, exc: SwitchboardError) -> Response:
    """``exc`` in the wire format of the client that sent the request (``passthrough.caller_error``)."""
    return caller_error(scope, exc)


def too_large(limit: int, size: int | None = None) -> PayloadTooLargeError:
    """The 413 for a body over ``limit`` bytes."""
    what = f"the request body ({size} bytes)" if size is not None else "the request body"
    return PayloadTooLargeError(
        f"{what} is over the daemon's limit of {limit} bytes (daemon.max_body_bytes); "
        "send less (shorter context, fewer or smaller files and images), or raise the limit in the config",
        details={"limit_bytes": limit},
    )


def bounded(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``PayloadTooLargeError`` once more than ``limit`` body bytes came in."""
    seen = 0

    async def receive_bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return receive_bounded


class IdentifyDeveloper:
    """Attach the developer to the scope, or answer 401 on TCP without a valid key; refuse bodies over the limit."""

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
        edge = _Edge(scope["headers"])
        limit = self.services.settings.daemon.max_body_bytes
        if edge.length is not None and edge.length > limit:
            await self._refuse(scope, receive, send, too_large(limit, edge.length), close=True)
            return
        if edge.chunked:
            receive = bounded(receive, limit)
        if scope["path"] not in _OPEN_PATHS:
            if self.listener == "unix":
                scope[DEVELOPER_KEY] = await self.services.local_developer()
            else:
                if edge.conflict:
                    await self._refuse(scope, receive, send, InvalidRequestError(
                        "the request carries two different developer keys (Authorization and x-api-key, or one "
                        "of them twice); send exactly one"))
                    return
                key = edge.key
                developer = await self.services.developer_for_key(key) if key else None
                if developer is None:
                    why = "no developer key was sent" if not key else "the developer key is not valid"
                    await self._refuse(scope, receive, send, AuthenticationError(
                        f"{why}; send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY' "
                        "(`switchboard dev add NAME` creates one)"))
                    return
                scope[DEVELOPER_KEY] = developer
                scope[CREDENTIAL_KEY] = key
                connection = scope.get(CONNECTION_KEY)
                if connection is not None:
                    connection.proven()
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: SwitchboardError, *, close: bool = False) -> None:
        response = error_for(scope, exc)
        if close:  # the unread body would otherwise still be streamed in, only to be thrown away
            response.headers["connection"] = "close"
        await response(scope, receive, send)
