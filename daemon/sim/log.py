"""The request log: what the simulated provider saw and what it sent back.

Records are updated in place while a response is being written, and every change wakes the
waiters, so tests wait for an event (a request arriving, a client going away) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field

# Never stored in clear: a fake that logged keys would make "no secret reached the provider"
# tests pass for the wrong reason and leak keys into test output.
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"})


def key_fingerprint(key: str) -> str:
    """First 12 hex digits of the SHA-256 of an API key; what the log keeps instead of the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class RequestRecord(BaseModel):
    """One request received by the sim and what happened to it."""

    id: int
    received_at: float
    """`time.monotonic()` when the request arrived (compare records for attempt spacing)."""
    received_wall: float
    """`time.time()` when the request arrived."""
    method: str
    path: str
    wire: str
    """"openai" or "anthropic"."""
    model: str | None = None
    stream: bool = False
    traceparent: str | None = None
    has_authorization: bool = False
    has_api_key: bool = False
    """True when an `x-api-key` header was sent."""
    key_fingerprint: str | None = None
    """`key_fingerprint()` of the bearer token or x-api-key that was sent."""
    headers: dict[str, str] = Field(default_factory=dict)
    """All request headers, lower-cased, with credentials replaced by "<redacted>"."""
    body: Any = None
    """The parsed JSON body (the raw text when it was not JSON)."""
    status: int | None = None
    fault: str | None = None
    """Kind of the scripted fault applied to this request, if any."""
    reply_text: str | None = None
    """The full text the model meant to send (before any cut), when it answered with text."""
    connection: str | None = None
    """Generation requests: the client's address and port (requests on one kept-alive connection share it)."""
    bytes_sent: int = 0
    chunks_sent: int = 0
    """Content chunks written (SSE text/argument deltas, not the framing events)."""
    completed: bool = False
    """The whole response was written."""
    client_disconnected: bool = False
    """The client went away before the response was finished."""
    finished_at: float | None = None
    """`time.monotonic()` when handling ended (response done, aborted or client gone)."""

    @property
    def open(self) -> bool:
        """The request is still being handled."""
        return self.finished_at is None


class RequestLog:
    """Bounded, ordered log of `RequestRecord`s with event-driven waits."""

    def __init__(self, max_records: int = 10_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._next_id = 1
        self._waiters: set[asyncio.Event] = set()

    def open_record(self, method: str, path: str, wire: str, headers: Mapping[str, str]) -> RequestRecord:
        """Start a record for a request that just arrived."""
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.get("authorization")
        api_key = lowered.get("x-api-key")
        key = api_key or (auth.removeprefix("Bearer ").strip() if auth else None)
        record = RequestRecord(
            id=self._next_id,
            received_at=time.monotonic(),
            received_wall=time.time(),
            method=method,
            path=path,
            wire=wire,
            traceparent=lowered.get("traceparent"),
            has_authorization=auth is not None,
            has_api_key=api_key is not None,
            key_fingerprint=key_fingerprint(key) if key else None,
            headers={k: "<redacted>" if k in _SECRET_HEADERS else v for k, v in lowered.items()},
        )
        self._next_id += 1
        self._records.append(record)
        self.changed()
        return record

    def finish(self, record: RequestRecord, *, completed: bool = False, disconnected: bool = False) -> None:
        """Close a record: the response was written, aborted, or the client left."""
        if record.finished_at is not None:
            return
        record.completed = completed
        record.client_disconnected = disconnected
        record.finished_at = time.monotonic()
        self.changed()

    def changed(self) -> None:
        """Wake every waiter; call after mutating a record."""
        for event in self._waiters:
            event.set()

    @property
    def records(self) -> list[RequestRecord]:
        """A snapshot of the log, oldest first."""
        return list(self._records)

    def for_model(self, model: str) -> list[RequestRecord]:
        """The records of requests naming `model`."""
        return [r for r in self._records if r.model == model]

    def clear(self) -> None:
        """Drop every record (ids keep increasing)."""
        self._records.clear()
        self.changed()

    async def wait_for(self, predicate: Callable[[RequestRecord], bool], timeout: float = 5.0) -> RequestRecord:  # noqa: ASYNC109
        """The first record matching `predicate`, waiting up to `timeout` seconds for one.

        Raises TimeoutError when none matches in time.
        """
        event = asyncio.Event()
        self._waiters.add(event)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event.clear()
                    for record in self._records:
                        if predicate(record):
                            return record
                    await event.wait()
        finally:
            self._waiters.discard(event)
