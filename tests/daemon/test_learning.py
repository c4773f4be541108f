"""The live matrix: signals from two daemons sharing one store are both kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from daemon.learning import LatencyTracker, MatrixState
from daemon.router.matrix import QualitySignal
from daemon.router.settings import RoutingSettings
from daemon.router.types import TaskType
from daemon.store import SqliteStore


async def test_signals_applied_by_two_daemons_at_once_are_both_kept(tmp_path: Path) -> None:
    stores = [SqliteStore(tmp_path / "shared.db") for _ in range(2)]
    for store in stores:
        await store.open()
    try:
        states = [MatrixState(store) for store in stores]
        for state in states:
            await state.load()  # both start from the same (empty) version
        signal = QualitySignal(task_type=TaskType.CHAT, complexity=0.3, model="m", score=1.0, source="agent", at=1.0)
        await asyncio.gather(*(s.apply([signal], RoutingSettings(), source="test") for s in states))
        version, rows = await stores[0].load_matrix()
    finally:
        for store in stores:
            await store.close()
    assert version == 2
    assert [(r.model, r.evidence) for r in rows] == [("m", 2.0)]


def test_latency_version_moves_only_when_a_percentile_moves() -> None:
    tracker = LatencyTracker()
    tracker.observe("m", 100.0)
    first = tracker.version
    tracker.observe("m", 101.0)  # within a tenth: cached candidates stay valid
    assert tracker.version == first
    tracker.observe("m", 900.0)
    assert tracker.version > first
    assert tracker.percentiles("m")[1] == 900.0
