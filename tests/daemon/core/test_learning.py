"""Live learning state: the matrix (signals from two daemons sharing one store are both kept) and the
outcome knowledge (learned, reloaded, trimmed and re-indexed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from daemon.core.learning import KnowledgeState, LatencyTracker, MatrixState, pack_vector, unpack_vector
from daemon.router.matrix import QualitySignal
from daemon.router.memory import INDEX_FROM, memory_vector
from daemon.router.settings import RoutingSettings
from daemon.router.types import TaskType
from daemon.store import SqliteStore
from daemon.store.records import OutcomeRecord


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


def _records(n: int, *, start: int = 0) -> list[OutcomeRecord]:
    rng = np.random.default_rng(start)
    return [
        OutcomeRecord(model=f"m{i % 3}", quality=float(i % 2), weight=1.0, source="judge", task_type="chat",
                      difficulty=0.0, embedding=pack_vector(rng.standard_normal(256).astype(np.float32)),
                      created_at=float(i), trace_id=f"t{i}")
        for i in range(start, start + n)
    ]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "s.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def test_knowledge_learns_stored_outcomes_and_a_new_state_reloads_them(store: SqliteStore) -> None:
    state = KnowledgeState(store)
    records = _records(20)
    await state.learn(records)
    assert len(state.current.memory) == 20 and set(state.current.online.ridges) == {"m0", "m1", "m2"}
    again = KnowledgeState(store)
    assert await again.load() == 20
    probe = unpack_vector(records[7].embedding)
    # Outcome t7 (m1, quality 1) is its own nearest neighbour in both.
    assert again.current.memory.neighbours(probe)["m1"].quality == state.current.memory.neighbours(probe)["m1"].quality
    assert again.current.memory.neighbours(probe)["m1"].quality > 0.5


async def test_the_memory_is_trimmed_to_the_newest_outcomes_past_its_bound(store: SqliteStore) -> None:
    state = KnowledgeState(store, max_outcomes=100)
    await state.learn(_records(120))
    assert len(state.current.memory) == 120  # within the slack: nothing to do yet
    later = _records(10, start=120)
    await state.learn(later)
    await state.tidy()
    memory = state.current.memory
    assert len(memory) == 100 and state.reindexed == 1
    assert memory.vectors[-1] == pytest.approx(memory_vector(unpack_vector(later[-1].embedding)), abs=1e-3)


async def test_a_large_memory_is_indexed_off_the_loop_and_still_finds_its_neighbours(store: SqliteStore) -> None:
    records = _records(INDEX_FROM + 500)
    await KnowledgeState(store).learn(records)
    state = KnowledgeState(store)  # a daemon starting on them: exact search at once, the index follows
    assert await state.load() == len(records)
    assert state.current.memory.centroids is None
    runner = asyncio.create_task(state.run())
    try:
        async with asyncio.timeout(60):
            while not state.reindexed:
                await asyncio.sleep(0.01)
    finally:
        runner.cancel()
    memory = state.current.memory
    assert memory.centroids is not None and memory.indexed == len(records) and not memory.needs_reindex
    found = memory.neighbours(unpack_vector(records[123].embedding))
    assert found[records[123].model].count >= 1
