"""Switchboard's one exception tree.

Every error that crosses a process boundary travels as ``{"error": {"code", "message"}}`` and
comes back as the same class in ``daemon.client`` (``error_from_payload``), so the MCP server, the
LSP bridge and the TUI catch typed errors. ``code`` is stable; the message is for people and says
what happened, why, and what to do next.

    SwitchboardError
    ├── ConfigError                 config_invalid        (refused at start or on reload)
    ├── InvalidRequestError         invalid_request       400
    │   ├── PayloadTooLargeError    payload_too_large     413
    │   └── ModelUnavailableError   model_unavailable     400 (a named model that cannot serve for a lasting reason)
    ├── AuthenticationError         unauthorized          401
    ├── PermissionDeniedError       forbidden             403
    ├── NotFoundError               not_found             404
    ├── MethodNotAllowedError       method_not_allowed    405
    ├── BudgetExceededError         budget_exceeded       402
    ├── NoRouteError                no_route              503
    ├── DaemonUnavailableError      daemon_unavailable    (client side: no daemon answered)
    ├── UnsafePathError             unsafe_path           (a socket or data path another user controls)
    ├── StoreUnavailableError       store_unavailable     503 (the shared team store cannot be reached)
    └── ProviderError               provider_error        502
        ├── ProviderTimeoutError    provider_timeout      504
        ├── ProviderRateLimitError  provider_rate_limited 429
        ├── ProviderUnavailableError provider_unavailable 503
        ├── ContextLengthError      context_length_exceeded 400
        ├── ContentFilterError      content_filtered      400
        └── StreamBrokenError       stream_broken         502
"""

from __future__ import annotations

from typing import Any, ClassVar


class SwitchboardError(Exception):
    """Base of every error Switchboard raises on purpose."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_payload(self) -> dict[str, Any]:
        """The wire form: ``{"error": {"code", "message"[, "details"]}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ConfigError(SwitchboardError):
    """The configuration file is invalid; the message names the key path and the reason."""

    code = "config_invalid"
    status = 500


class InvalidRequestError(SwitchboardError):
    """The request is malformed or asks for something that cannot exist."""

    code = "invalid_request"
    status = 400


class PayloadTooLargeError(InvalidRequestError):
    """The request body is over the daemon's size limit (``daemon.max_body_bytes``)."""

    code = "payload_too_large"
    status = 413


class ModelUnavailableError(InvalidRequestError):
    """The named model (directly or through an alias) cannot serve for a lasting reason (disabled in the
    config, its API key variable unset): retrying cannot help, so it is a 4xx, never a retryable 503."""

    code = "model_unavailable"
    status = 400


class AuthenticationError(SwitchboardError):
    """No developer key, or a key Switchboard does not know."""

    code = "unauthorized"
    status = 401


class PermissionDeniedError(SwitchboardError):
    """The developer is known but may not do this (another developer's data, an admin verb)."""

    code = "forbidden"
    status = 403


class NotFoundError(SwitchboardError):
    """The named trace, developer, model or route does not exist."""

    code = "not_found"
    status = 404


class MethodNotAllowedError(SwitchboardError):
    """The path exists but does not take this HTTP method (``details.allow`` lists the ones it takes)."""

    code = "method_not_allowed"
    status = 405


class BudgetExceededError(SwitchboardError):
    """A hard budget limit refuses the request; the message says whose, how much, and when it resets."""

    code = "budget_exceeded"
    status = 402


class NoRouteError(SwitchboardError):
    """No configured model can serve the request; the message says why each one was excluded."""

    code = "no_route"
    status = 503


class DaemonUnavailableError(SwitchboardError):
    """The client could not reach (or start) the daemon."""

    code = "daemon_unavailable"
    status = 503


class UnsafePathError(SwitchboardError):
    """The socket, its directory or the data directory is not the user's own (another local user
    created it, or made it writable): nothing is sent through it and no daemon starts on it."""

    code = "unsafe_path"
    status = 500


class StoreUnavailableError(SwitchboardError):
    """The store (a team's PostgreSQL server) cannot be reached; the message names it and what to check."""

    code = "store_unavailable"
    status = 503


class ProviderError(SwitchboardError):
    """A provider failed and no fallback could answer."""

    code = "provider_error"
    status = 502


class ProviderTimeoutError(ProviderError):
    """A provider did not connect, start or keep streaming within its timeout."""

    code = "provider_timeout"
    status = 504


class ProviderRateLimitError(ProviderError):
    """A provider (or a local RPM/TPM limit) refused for rate; retry later."""

    code = "provider_rate_limited"
    status = 429


class ProviderUnavailableError(ProviderError):
    """A provider is down (5xx, connection refused or reset, circuit open)."""

    code = "provider_unavailable"
    status = 503


class ContextLengthError(ProviderError):
    """The prompt does not fit the model's context window and no larger fallback exists."""

    code = "context_length_exceeded"
    status = 400


class ContentFilterError(ProviderError):
    """The provider's content filter refused the request; the message carries its reason."""

    code = "content_filtered"
    status = 400


class StreamBrokenError(ProviderError):
    """A stream broke after part of the answer was sent and could not be completed."""

    code = "stream_broken"
    status = 502


def _all_subclasses(cls: type[SwitchboardError]) -> list[type[SwitchboardError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


ERRORS_BY_CODE: dict[str, type[SwitchboardError]] = {c.code: c for c in _all_subclasses(SwitchboardError)}


def error_from_payload(payload: Any, *, status: int | None = None) -> SwitchboardError:
    """Turn a wire error body back into its exception class (unknown codes become the base class)."""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return SwitchboardError(f"unexpected error response (HTTP {status}): {str(payload)[:200]}")
    cls = ERRORS_BY_CODE.get(str(body.get("code")), SwitchboardError)
    details = body.get("details") if isinstance(body.get("details"), dict) else None
    return cls(str(body.get("message", "")), details=details)
