"""GET /api/metrics against a known set of traces inserted through the store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from daemon.api.metrics import percentile
from daemon.store.records import AttemptRecord, TraceRecord
from daemon.wire import Metrics
from tests.support import in_process_daemon


def _trace(id_: str, dev: int, at: float, **kw) -> TraceRecord:
    return TraceRecord(id=id_, developer_id=dev, created_at=at, **{"surface": "api", "outcome": "ok", "latency_ms": 100.0, **kw})


def _attempt(seq: int, model: str, status: str = "ok") -> AttemptRecord:
    return AttemptRecord(seq=seq, model=model, status=status, started_at=time.time(), latency_ms=10.0)


async def _seed(services) -> tuple[int, int]:
    store = services.store
    me = await services.local_developer()
    team = await store.create_team("platform")
    bob = await store.create_developer("bob", team_id=team.id)
    now = time.time()
    await store.record_traces([
        _trace("t1", me.id, now - 60, answered_model="sim-nano", task_type="code_edit", latency_ms=100.0, ttft_ms=10.0,
               cost_micros=1000, attempts=(_attempt(0, "sim-nano"),)),
        _trace("t2", me.id, now - 50, answered_model="sim-nano", surface="mcp", task_type="code_edit", latency_ms=300.0,
               ttft_ms=30.0, cost_micros=3000, fallback_used=True,
               attempts=(_attempt(0, "sim-ultra", "error"), _attempt(1, "sim-nano"))),
        _trace("t3", bob.id, now - 40, answered_model="sim-ultra", surface="lsp", task_type="chat", latency_ms=200.0,
               ttft_ms=20.0, cost_micros=10_000, escalated=True, attempts=(_attempt(0, "sim-ultra"),)),
        _trace("t4", bob.id, now - 30, outcome="error", surface="lsp", task_type="chat", latency_ms=50.0,
               error_code="provider_error", attempts=(_attempt(0, "sim-ultra", "error"),)),
        _trace("old", bob.id, now - 2 * 86_400, answered_model="sim-pro", cost_micros=99_000),
    ])
    await store.add_feedback("t1", "agent", 0.5)
    await store.add_feedback("t3", "agent", 1.0)
    await store.add_feedback("t3", "editor", 0.5)
    return me.id, bob.id


async def test_metrics_match_hand_computed_figures_for_a_known_set_of_traces(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "data") as (services, client):
        await _seed(services)
        response = await client.get("/api/metrics", params={"window": "24h", "all": "1"})
        assert response.status_code == 200, response.text
        m = Metrics.model_validate(response.json())
    assert m.window == "24h" and m.requests == 4
    assert m.spend_usd == pytest.approx(0.014)
    assert m.spend_by_developer["bob"] == pytest.approx(0.010)
    assert m.spend_by_team == {"platform": pytest.approx(0.010)}
    assert m.by_surface == {"api": 1, "mcp": 1, "lsp": 2}
    assert m.by_task_type == {"chat": 2, "code_edit": 2}
    assert m.by_tier == {"frontier": 1, "small": 2}
    assert m.fallback_rate == pytest.approx(0.25)
    assert m.escalation_rate == pytest.approx(0.25)
    assert m.error_rate == pytest.approx(0.25)
    # sim-ultra: 3 attempts, 2 failed; sim-nano: 2 attempts, none failed.
    assert m.error_rate_by_model == {"sim-nano": 0.0, "sim-ultra": pytest.approx(2 / 3)}
    nano = next(x for x in m.by_model if x.model == "sim-nano")
    assert (nano.requests, nano.tier, nano.share) == (2, "small", 0.5)
    assert nano.spend_usd == pytest.approx(0.004)
    assert (nano.latency_p50_ms, nano.latency_p95_ms, nano.ttft_p50_ms, nano.ttft_p95_ms) == (100.0, 300.0, 10.0, 30.0)
    # rated: t1 (0.5, $0.001) and t3 (mean 0.75, $0.010) → $0.011 / 1.25
    assert m.cost_per_quality_point == pytest.approx(0.011 / 1.25)
    assert sum(m.series["requests"]) == 4
    assert sum(m.series["spend"]) == pytest.approx(0.014)


async def test_metrics_window_excludes_older_traces_and_includes_them_when_wider(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "data") as (services, client):
        await _seed(services)
        week = Metrics.model_validate((await client.get("/api/metrics", params={"window": "7d", "all": "1"})).json())
        hour = Metrics.model_validate((await client.get("/api/metrics", params={"window": "1h", "all": "1"})).json())
        bad = await client.get("/api/metrics", params={"window": "2h"})
    assert week.requests == 5 and week.spend_by_developer["bob"] == pytest.approx(0.109)
    assert hour.requests == 4
    assert bad.status_code == 400 and "window must be one of" in bad.json()["error"]["message"]


async def test_metrics_without_all_show_only_my_own_traces(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "data") as (services, client):
        await _seed(services)
        mine = Metrics.model_validate((await client.get("/api/metrics", params={"window": "24h"})).json())
    assert mine.requests == 2
    assert list(mine.spend_by_developer) == [next(iter(mine.spend_by_developer))]
    assert "bob" not in mine.spend_by_developer
    assert mine.spend_usd == pytest.approx(0.004)


def test_percentile_is_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0


async def _longest_stall_during(request) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds ``request`` took, the longest the event loop went without waking a 1 ms sleeper meanwhile)."""
    loop = asyncio.get_running_loop()
    done, gaps = asyncio.Event(), [0.0]

    async def tick() -> None:
        last = loop.time()
        while not done.is_set():
            await asyncio.sleep(0.001)
            gaps[0], last = max(gaps[0], loop.time() - last), loop.time()

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.005)
    started = loop.time()
    response = await request()
    took = loop.time() - started
    done.set()
    await ticker
    assert response.status_code == 200, response.text
    return took, gaps[0]


async def test_metrics_over_a_large_store_leave_the_event_loop_free(sim_config_file: Path, tmp_path: Path):
    # 285 ms of one request on the loop over 61k traces before: a health check, every other developer's
    # request waited that long. Now the rows are built in the store's thread and the figures in a worker
    # thread: the loop's longest pause is a small share of the request (it was a quarter or more).
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "data") as (services, client):
        me = await services.local_developer()
        now = time.time()
        for start in range(0, 30_000, 3000):
            await services.store.record_traces([
                _trace(f"t{i}", me.id, now - 80_000 + i, answered_model="sim-nano", task_type="chat", cost_micros=i,
                       ttft_ms=float(i % 97), attempts=(_attempt(0, "sim-nano"),))
                for i in range(start, start + 3000)
            ])
        for path in ("/api/metrics?window=24h", "/api/savings?window=7d"):
            await client.get(path)  # warm
            runs = [await _longest_stall_during(lambda p=path: client.get(p)) for _ in range(3)]
            took, stall = min(runs, key=lambda r: r[1] / r[0])
            assert stall < took / 8, (path, runs)
