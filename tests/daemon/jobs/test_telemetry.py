"""Telemetry: OTLP/HTTP spans reach a real (in-test) collector with GenAI attributes; with no
endpoint nothing opens a connection; retention prunes traces by age and count in the background."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from daemon.jobs import telemetry
from daemon.store import SqliteStore
from daemon.store.records import OutcomeRecord, TraceQuery, TraceRecord
from tests.support import in_process_daemon, sim_config, write_config


class Receiver:
    """An OTLP/HTTP JSON trace collector: decodes every export it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arrived = asyncio.Condition()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/json"
        body = await request.json()
        async with self.arrived:
            self.requests.append(body)
            self.arrived.notify_all()
        return web.json_response({})

    def spans(self) -> list[dict[str, Any]]:
        return [s for r in self.requests for rs in r["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]

    async def wait_for_trace(self, trace_id: str, n: int) -> list[dict[str, Any]]:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len([s for s in self.spans() if s["traceId"] == trace_id]) >= n)
        return [s for s in self.spans() if s["traceId"] == trace_id]


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", r.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    r.url = f"http://127.0.0.1:{port}"
    try:
        yield r
    finally:
        await runner.cleanup()


def _attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in span["attributes"]}


async def test_otlp_collector_receives_a_request_span_and_an_attempt_span_with_genai_attributes(sim, tmp_path: Path):
    async with receiver() as collector:
        config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"traces": {"otlp_endpoint": collector.url}}))
        async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
            answer = (await client.post("/api/ask", json={"prompt": "hello spans", "model": "sim-mini",
                                                          "max_tokens": 50})).json()
            spans = await collector.wait_for_trace(answer["trace_id"], 2)
    root = next(s for s in spans if "parentSpanId" not in s)
    attempt = next(s for s in spans if s.get("parentSpanId") == root["spanId"])
    ra, aa = _attrs(root), _attrs(attempt)
    assert ra["gen_ai.operation.name"] == "chat"
    assert ra["gen_ai.request.model"] == "sim-mini" and ra["gen_ai.response.model"] == answer["model"]
    assert int(ra["gen_ai.usage.input_tokens"]) == answer["input_tokens"]
    assert int(ra["gen_ai.usage.output_tokens"]) == answer["output_tokens"]
    assert ra["switchboard.outcome"] == "ok" and ra["switchboard.surface"] == "cli"
    assert abs(ra["switchboard.cost_usd"] - answer["cost_usd"]) < 1e-12
    assert root["status"]["code"] == 1 and root["kind"] == 2
    assert aa["gen_ai.request.model"] == "sim-mini" and aa["gen_ai.provider.name"] == "openai"
    assert attempt["kind"] == 3 and int(attempt["endTimeUnixNano"]) >= int(attempt["startTimeUnixNano"])
    assert len(root["spanId"]) == 16 and len(root["traceId"]) == 32


async def test_with_otlp_off_nothing_opens_a_connection(sim, tmp_path: Path):
    async with receiver() as collector:
        config = write_config(tmp_path / "c.toml", sim_config(sim.url))
        async with in_process_daemon(config, data_dir=tmp_path / "d") as (services, client):
            events = services.events.subscribe()
            waiting = asyncio.ensure_future(anext(events))
            await asyncio.sleep(0)  # one loop turn: the subscription is registered
            answer = (await client.post("/api/ask", json={"prompt": "no spans please"})).json()
            async with asyncio.timeout(10):
                event = await waiting
            observer = telemetry.of(services)
            await events.aclose()
            assert services.settings.traces.otlp_endpoint == ""
            assert event.type == "trace" and event.data["id"] == answer["trace_id"]
            assert observer._http is None and observer._spans.empty()  # no HTTP client was ever made
    assert collector.requests == []


async def test_retention_prunes_traces_by_age_and_count_at_start(sim, tmp_path: Path):
    data = tmp_path / "d"
    store = SqliteStore(data / "switchboard.db")
    await store.open()
    dev = await store.create_developer("old-timer")
    now = time.time()
    old = [TraceRecord(id=f"old{i}", developer_id=dev.id, surface="api", created_at=now - 3 * 86_400 - i,
                       outcome="ok", latency_ms=1.0) for i in range(5)]
    recent = [TraceRecord(id=f"new{i}", developer_id=dev.id, surface="api", created_at=now - i, outcome="ok",
                          latency_ms=1.0) for i in range(120)]
    await store.record_traces(old + recent)
    await store.add_outcomes([OutcomeRecord("m", 1.0, 1.0, "judge", "chat", 0.0, bytes(128), float(i), f"old{i}")
                              for i in range(130)])
    await store.close()
    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={
        "traces": {"retention_days": 2, "max_traces": 100}, "learning": {"max_outcomes": 100}}))
    async with in_process_daemon(config, data_dir=data) as (services, _):
        observer = telemetry.of(services)
        async with asyncio.timeout(10):
            await observer.retention_done.wait()
        kept = await services.store.list_traces(TraceQuery(limit=1000))
        learned = await services.store.load_outcomes()
        assert len(services.knowledge.current.memory) == 100  # the newest, loaded at start
    assert observer.pruned_total == 25
    assert len(kept) == 100 and {t.id for t in kept} == {f"new{i}" for i in range(100)}
    # Outcomes outlive their traces, but not their count.
    assert observer.pruned_outcomes_total == 30 and [o.trace_id for o in learned] == [f"old{i}" for i in range(30, 130)]
