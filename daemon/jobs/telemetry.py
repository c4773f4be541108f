"""What the outside world sees of each finished request, and trace housekeeping.

- every committed trace becomes a ``trace`` event on the event bus (``GET /api/events``);
- when ``[traces] otlp_endpoint`` is set, a span per request and one per attempt go to an
  OpenTelemetry collector over OTLP/HTTP (JSON encoding), batched in the background so requests
  never wait for the collector; when it is empty nothing here opens a connection;
- retention: traces past ``retention_days`` or beyond ``max_traces``, and learned outcomes beyond
  ``[learning] max_outcomes``, are pruned at start and hourly.

``observing(services)`` is the lifespan of all three; ``of(services)`` finds the running instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

from daemon import __version__
from daemon.core.services import Services
from daemon.errors import NotFoundError
from daemon.store.records import TraceRecord, micros_to_usd
from daemon.wire import TraceSummary

log = logging.getLogger("switchboard.telemetry")

RETENTION_INTERVAL = 3600.0
"""Seconds between retention passes (one runs at start)."""
EXPORT_BATCH = 512
"""Most spans in one OTLP request."""
EXPORT_INTERVAL = 1.0
"""Seconds a batch may wait for more spans before it is sent."""
EXPORT_QUEUE = 10_000
"""Traces waiting for export past which new ones are dropped (a dead collector must not eat memory)."""
WARN_EVERY = 60.0
"""Seconds between two warnings about a failing collector (a dead one must not flood the log)."""

_SPAN_KIND_SERVER = 2
_SPAN_KIND_CLIENT = 3
_STATUS_OK = 1
_STATUS_ERROR = 2

_running: weakref.WeakKeyDictionary[Any, Telemetry] = weakref.WeakKeyDictionary()


def trace_event_data(trace: TraceRecord, developer: str) -> dict[str, Any]:
    """The ``data`` of a ``trace`` event: the trace's ``TraceSummary``."""
    return TraceSummary(
        id=trace.id, created_at=trace.created_at, developer=developer, surface=trace.surface,
        outcome=trace.outcome, requested_model=trace.requested_model, model=trace.answered_model,
        task_type=trace.task_type, complexity=trace.complexity, latency_ms=trace.latency_ms,
        ttft_ms=trace.ttft_ms, input_tokens=trace.input_tokens, output_tokens=trace.output_tokens,
        cost_usd=micros_to_usd(trace.cost_micros), reason=trace.reason, error_code=trace.error_code,
        fallback_used=trace.fallback_used, escalated=trace.escalated, policy=trace.policy,
    ).model_dump(mode="json")


# -- OTLP/HTTP JSON encoding -----------------------------------------------------------------------


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}  # OTLP JSON carries 64-bit integers as strings
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in values.items() if v is not None]


def _nanos(seconds: float) -> str:
    return str(int(seconds * 1e9))


def trace_spans(trace: TraceRecord, developer: str, providers: dict[str, str]) -> list[dict[str, Any]]:
    """The OTLP spans of one request: the request itself, then one child per attempt.

    Attributes follow the OpenTelemetry GenAI semantic conventions (``gen_ai.*``) plus
    ``switchboard.*`` for the routing decision. The span trace id is the request's trace id.
    """
    root_id = secrets.token_hex(8)
    ok = trace.outcome == "ok"
    root = {
        "traceId": trace.id,
        "spanId": root_id,
        "name": f"chat {trace.requested_model or 'auto'}",
        "kind": _SPAN_KIND_SERVER,
        "startTimeUnixNano": _nanos(trace.created_at),
        "endTimeUnixNano": _nanos(trace.created_at + trace.latency_ms / 1000),
        "attributes": _attributes({
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": trace.requested_model or "auto",
            "gen_ai.response.model": trace.answered_model,
            "gen_ai.provider.name": providers.get(trace.answered_model or ""),
            "gen_ai.usage.input_tokens": trace.input_tokens,
            "gen_ai.usage.output_tokens": trace.output_tokens,
            "gen_ai.usage.cached_input_tokens": trace.cached_tokens or None,
            "gen_ai.usage.reasoning_tokens": trace.reasoning_tokens or None,
            "error.type": trace.error_code,
            "switchboard.developer": developer,
            "switchboard.surface": trace.surface,
            "switchboard.outcome": trace.outcome,
            "switchboard.task_type": trace.task_type,
            "switchboard.complexity": trace.complexity,
            "switchboard.policy": trace.policy,
            "switchboard.chosen_model": trace.chosen_model,
            "switchboard.matrix_version": trace.matrix_version,
            "switchboard.reason": trace.reason,
            "switchboard.fallback_used": trace.fallback_used,
            "switchboard.escalated": trace.escalated,
            "switchboard.cost_usd": micros_to_usd(trace.cost_micros),
            "switchboard.ttft_ms": trace.ttft_ms,
        }),
        "status": {"code": _STATUS_OK} if ok else {"code": _STATUS_ERROR, "message": trace.error_message or ""},
    }
    spans = [root]
    for a in trace.attempts:
        attempt_ok = a.status == "ok"
        spans.append({
            "traceId": trace.id,
            "spanId": secrets.token_hex(8),
            "parentSpanId": root_id,
            "name": f"chat {a.model}",
            "kind": _SPAN_KIND_CLIENT,
            "startTimeUnixNano": _nanos(a.started_at),
            "endTimeUnixNano": _nanos(a.started_at + a.latency_ms / 1000),
            "attributes": _attributes({
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": a.model,
                "gen_ai.response.model": a.model if attempt_ok else None,
                "gen_ai.provider.name": providers.get(a.model),
                "gen_ai.usage.input_tokens": a.input_tokens,
                "gen_ai.usage.output_tokens": a.output_tokens,
                "error.type": a.error_code,
                "http.response.status_code": a.http_status,
                "switchboard.attempt": a.seq,
                "switchboard.ttft_ms": a.ttft_ms,
                "switchboard.cost_usd": micros_to_usd(a.cost_micros),
            }),
            "status": {"code": _STATUS_OK} if attempt_ok else {"code": _STATUS_ERROR, "message": a.error_message or ""},
        })
    return spans


def otlp_body(spans: list[dict[str, Any]]) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in the OTLP JSON encoding."""
    return {
        "resourceSpans": [{
            "resource": {"attributes": _attributes({"service.name": "switchboard", "service.version": __version__})},
            "scopeSpans": [{"scope": {"name": "switchboard", "version": __version__}, "spans": spans}],
        }]
    }


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of an endpoint (``/v1/traces`` is added unless already there)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


# -- the running observer --------------------------------------------------------------------------


class Telemetry:
    """Turns committed traces into events and spans; prunes old traces. Built by ``observing``."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._committed: asyncio.Queue[TraceRecord] = asyncio.Queue()
        self._spans: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._names: dict[int, str] = {}
        self._http: Any = None
        self._batch: list[dict[str, Any]] = []
        self._warned_at = -WARN_EVERY
        self.failed_spans = 0
        """Spans the collector could not take (dropped, not retried)."""
        self.exported_spans = 0
        """Spans the collector accepted (for status and tests)."""
        self.pruned_total = 0
        """Traces deleted by retention since start."""
        self.pruned_outcomes_total = 0
        """Learned outcomes deleted by retention since start (beyond ``[learning] max_outcomes``)."""
        self.retention_passes = 0
        self.retention_done = asyncio.Event()
        """Set after each retention pass."""

    def trace_committed(self, trace: TraceRecord) -> None:
        """The trace writer's callback: hand the trace to the observer task (never blocks).

        A trace nobody listens to and nothing exports is not queued at all: waking the observer for
        every request was ~2% of the daemon's CPU under load, for nothing."""
        if self._services.events.has_subscribers or self._services.settings.traces.otlp_endpoint:
            self._committed.put_nowait(trace)

    async def _developer_name(self, developer_id: int) -> str:
        name = self._names.get(developer_id)
        if name is None:
            try:
                name = (await self._services.store.get_developer(developer_id)).name
            except NotFoundError:
                name = str(developer_id)
            self._names[developer_id] = name
        return name

    async def run_events(self) -> None:
        """Publish every committed trace; queue its spans when OTLP export is on."""
        while True:
            trace = await self._committed.get()
            try:
                await self._observe(trace)
            except Exception:
                # One odd trace must not stop the events of all the ones after it.
                log.exception("could not publish or export trace %s", trace.id)

    async def _observe(self, trace: TraceRecord) -> None:
        listening = self._services.events.has_subscribers
        exporting = bool(self._services.settings.traces.otlp_endpoint)
        if not (listening or exporting):
            return  # nobody watches and nothing exports: the summary would be built for no one
        developer = await self._developer_name(trace.developer_id)
        if listening:
            self._services.events.publish("trace", trace_event_data(trace, developer))
        if not exporting:
            return
        if self._spans.qsize() >= EXPORT_QUEUE:
            self._export_failed(len(trace.attempts) + 1, "the export queue is full")
            return
        providers = {n: m.provider for n, m in self._services.settings.models.items()}
        for span in trace_spans(trace, developer, providers):
            self._spans.put_nowait(span)

    async def run_export(self) -> None:
        """Send queued spans in batches; a failing collector is logged, never retried into a pile-up."""
        while True:
            # Kept on self until sent, so a batch interrupted by shutdown is flushed by ``close``.
            self._batch = batch = [await self._spans.get()]
            deadline = time.monotonic() + EXPORT_INTERVAL
            while len(batch) < EXPORT_BATCH:
                try:
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        batch.append(await self._spans.get())
                except TimeoutError:
                    break
            try:
                await self._send(batch)
            except Exception:
                log.exception("OTLP export of %d spans failed unexpectedly; they are dropped", len(batch))
            self._batch = []

    async def _send(self, batch: list[dict[str, Any]]) -> None:
        endpoint = self._services.settings.traces.otlp_endpoint
        if not endpoint:
            return
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
        try:
            response = await self._http.post(
                traces_url(endpoint), json=otlp_body(batch), headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            self._export_failed(len(batch), f"cannot reach {endpoint}: {type(exc).__name__} {exc}")
            return
        if response.status_code >= 300:
            self._export_failed(len(batch), f"{endpoint} answered HTTP {response.status_code}")
            return
        self.exported_spans += len(batch)

    def _export_failed(self, count: int, why: str) -> None:
        self.failed_spans += count
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "OTLP export failed (%s); %d spans dropped so far. Check [traces] otlp_endpoint or the collector",
                why, self.failed_spans,
            )

    async def flush(self, within: float = 5.0) -> None:
        """Send whatever spans are queued or were in flight (at shutdown), within ``within`` seconds."""
        batch, self._batch = self._batch, []
        while not self._spans.empty():
            batch.append(self._spans.get_nowait())
        if batch:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    for i in range(0, len(batch), EXPORT_BATCH):
                        await self._send(batch[i : i + EXPORT_BATCH])

    async def prune_once(self) -> int:
        """Delete traces past the retention age or count, and learned outcomes beyond their count, now;
        returns how many traces went."""
        settings = self._services.settings.traces
        deleted = await self._services.store.prune_traces(time.time() - settings.retention_days * 86_400, settings.max_traces)
        keep = self._services.settings.learning.max_outcomes
        forgotten = await self._services.store.prune_outcomes(keep)
        if forgotten:
            log.info("retention: deleted %d old learned outcomes (the newest %d are kept)", forgotten, keep)
        self.pruned_outcomes_total += forgotten
        self.pruned_total += deleted
        # Every pass, not only one that deleted: a database made before incremental vacuum may hold
        # the free pages of earlier passes (94% of a 383 MB file in the adversarial pass).
        freed = await self._services.store.reclaim_space()
        if freed:
            log.info("retention: the database gave %.1f MB back to the disk", freed / 1e6)
        self.retention_passes += 1
        self.retention_done.set()
        if deleted:
            log.info("retention: deleted %d old traces", deleted)
        return deleted

    async def run_retention(self) -> None:
        """A pass at start, then one every ``RETENTION_INTERVAL`` seconds."""
        while True:
            try:
                await self.prune_once()
            except Exception:
                log.exception("trace retention pass failed; will retry in %.0f s", RETENTION_INTERVAL)
            await asyncio.sleep(RETENTION_INTERVAL)

    async def close(self) -> None:
        """Publish what is still queued, flush spans, close the HTTP client."""
        while not self._committed.empty():
            trace = self._committed.get_nowait()
            self._services.events.publish("trace", trace_event_data(trace, await self._developer_name(trace.developer_id)))
        await self.flush()
        if self._http is not None:
            await self._http.aclose()


def of(services: Services) -> Telemetry:
    """The running ``Telemetry`` of a daemon's services."""
    return _running[services.store]


@contextlib.asynccontextmanager
async def observing(services: Services) -> AsyncIterator[Telemetry]:
    """Subscribe to committed traces and run the event, export and retention tasks for the block."""
    telemetry = Telemetry(services)
    services.traces.subscribe(telemetry.trace_committed)
    _running[services.store] = telemetry
    tasks = [
        asyncio.create_task(telemetry.run_events(), name="trace-events"),
        asyncio.create_task(telemetry.run_export(), name="otlp-export"),
        asyncio.create_task(telemetry.run_retention(), name="trace-retention"),
    ]
    try:
        yield telemetry
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await telemetry.close()
