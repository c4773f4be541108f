"""Scripted faults: what a model does wrong, how often, in what order.

Faults are queued per model and taken one per generation request (chat completions, completions,
messages; never `/v1/models` or count_tokens). The head fault applies to the next request and
is used up after `times` requests; `times=None` makes it persistent, so anything queued behind it
never runs until the script is cleared. With an empty queue the model behaves normally.

Kinds and their parameters:

=================  ==================================================================
rate_limit         429; ``retry_after`` seconds → ``Retry-After`` header (optional)
server_error       500 (``status`` overrides)
unavailable        503 (``status`` overrides, e.g. 529 for Anthropic's overload)
reset              TCP reset before any response byte
hang               accept the request, never answer, until the client goes away
slow_first_token   wait ``delay_ms`` before the first byte, then answer normally
cut                close the connection after ``after_chunks`` content chunks
                   (non-streaming: after half the body); no [DONE] / message_stop
stall              stop sending after ``after_chunks`` content chunks, keep the socket open
malformed_chunk    one non-JSON SSE data line after ``after_chunks`` content chunks
                   (non-streaming: a 200 whose body is not JSON)
no_done            a complete stream without ``data: [DONE]`` / message_stop
                   (non-streaming: no effect)
late_end           a complete stream whose HTTP body ends ``delay_ms`` after its
                   [DONE] / message_stop (non-streaming: no effect)
context_length     400 context-length-exceeded in the format's real shape
content_filter     400 content-filter in the format's real shape
content_policy     400 ``content_policy_violation`` (OpenAI's safety system) in the format's shape
reply              answer with ``text`` instead of the deterministic answer (``text`` also
                   gives cut, stall and malformed_chunk the answer they break off)
slow               use ``latency_ms`` and/or ``tokens_per_second`` instead of the profile's
=================  ==================================================================
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "unavailable",
    "reset",
    "hang",
    "slow_first_token",
    "cut",
    "stall",
    "malformed_chunk",
    "no_done",
    "late_end",
    "context_length",
    "content_filter",
    "content_policy",
    "reply",
    "slow",
]

ERROR_STATUS: dict[str, int] = {
    "rate_limit": 429,
    "server_error": 500,
    "unavailable": 503,
    "context_length": 400,
    "content_filter": 400,
    "content_policy": 400,
}
"""Kinds answered with an error response, and their default status."""


class Fault(BaseModel):
    """One scripted misbehaviour; see the module docstring for the kinds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    times: int | None = Field(default=1, ge=1)
    """Requests this fault applies to; None = every request from now on."""
    retry_after: float | None = Field(default=None, ge=0)
    """rate_limit: seconds sent in `Retry-After` (also `retry-after-ms`)."""
    status: int | None = Field(default=None, ge=400, le=599)
    """Error kinds: override the HTTP status."""
    delay_ms: float = Field(default=0.0, ge=0)
    """slow_first_token: extra wait before the first byte; late_end: wait before the body's end."""
    after_chunks: int = Field(default=2, ge=0)
    """cut / stall / malformed_chunk: content chunks sent before the fault."""
    text: str | None = None
    """reply: the fixed answer text (may be empty); cut / stall / malformed_chunk: the answer they
    break off (default: the deterministic one)."""
    latency_ms: float | None = Field(default=None, ge=0)
    """slow: time to first token to use instead of the profile's."""
    tokens_per_second: float | None = Field(default=None, ge=0)
    """slow: output pacing to use instead of the profile's."""

    @model_validator(mode="after")
    def _check_params(self) -> Fault:
        if self.kind == "reply" and self.text is None:
            raise ValueError("a reply fault needs `text`")
        if self.kind in ("slow_first_token", "late_end") and not self.delay_ms:
            raise ValueError(f"a {self.kind} fault needs `delay_ms` > 0")
        if self.kind == "slow" and self.latency_ms is None and self.tokens_per_second is None:
            raise ValueError("a slow fault needs `latency_ms` and/or `tokens_per_second`")
        return self

    @property
    def error_status(self) -> int | None:
        """HTTP status if this fault is answered with an error body, else None."""
        default = ERROR_STATUS.get(self.kind)
        return None if default is None else (self.status or default)


class _Entry:
    __slots__ = ("fault", "remaining")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining = fault.times


class FaultScript:
    """Per-model queues of faults, consumed in order."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[_Entry]] = {}

    def add(self, model: str, *faults: Fault) -> None:
        """Queue faults for `model`, after any already queued."""
        self._queues.setdefault(model, deque()).extend(_Entry(f) for f in faults)

    def take(self, model: str) -> Fault | None:
        """The fault for the next request to `model` (used up by this call), or None."""
        queue = self._queues.get(model)
        if not queue:
            return None
        entry = queue[0]
        if entry.remaining is not None:
            entry.remaining -= 1
            if entry.remaining == 0:
                queue.popleft()
        return entry.fault

    def pending(self, model: str | None = None) -> dict[str, list[dict]]:
        """What is still queued, per model, with the remaining count (for inspection)."""
        return {
            name: [
                {**e.fault.model_dump(exclude_defaults=True), "kind": e.fault.kind, "remaining": e.remaining}
                for e in queue
            ]
            for name, queue in self._queues.items()
            if queue and (model is None or name == model)
        }

    def clear(self, model: str | None = None) -> None:
        """Forget the faults of `model`, or of every model."""
        if model is None:
            self._queues.clear()
        else:
            self._queues.pop(model, None)
