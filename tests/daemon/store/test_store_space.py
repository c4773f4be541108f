"""The SQLite file gives back what retention deletes, and its WAL stays bounded while it deletes
(issue 16, low finding 16: a 383 MB file of 94% free pages, a 364 MB WAL during one prune)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from daemon.store import SqliteStore
from daemon.store.records import TraceRecord

TRACES = 6000
FILLER = "x" * 3000
"""~3 KB of kept prompt per trace: the file reaches ~25 MB."""


def _sizes(path: Path) -> tuple[int, int]:
    def size(p: Path) -> int:
        try:
            return os.stat(p).st_size
        except FileNotFoundError:
            return 0

    return size(path), size(path.with_name(path.name + "-wal"))


async def _filled(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    await store.open()
    dev = await store.create_developer("ada")
    for start in range(0, TRACES, 500):
        await store.record_traces([
            TraceRecord(id=f"t{i}", developer_id=dev.id, surface="api", created_at=float(i), outcome="ok",
                        latency_ms=1.0, prompt=FILLER, prompt_chars=len(FILLER))
            for i in range(start, start + 500)
        ])
    return store


async def _watch_wal(path: Path, stop: asyncio.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _sizes(path)[1])
        await asyncio.sleep(0.001)


async def test_a_prune_shrinks_the_file_and_the_wal_stays_bounded_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.db"
    store = await _filled(path)
    try:
        db, wal = _sizes(path)
        full = db + wal
        assert full > 20_000_000
        stop, wal_peak = asyncio.Event(), [0]
        watcher = asyncio.create_task(_watch_wal(path, stop, wal_peak))
        deleted = await store.prune_traces(older_than=TRACES - 300, keep_at_most=200)
        freed = await store.reclaim_space()
        stop.set()
        await watcher
        after = sum(_sizes(path))
    finally:
        await store.close()
    assert deleted == TRACES - 200
    # Whole deletion in one transaction wrote the WAL to the size of what it deleted (~the file).
    assert wal_peak[0] < full / 4, (wal_peak[0], full)
    assert after < full / 10 and freed > full / 2, (after, full, freed)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM traces").fetchone()[0] == 200
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


async def test_a_database_made_before_incremental_vacuum_is_switched_once_most_of_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)  # a database as Switchboard made it before: auto_vacuum NONE
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    store = await _filled(path)
    try:
        assert (await store._space())[0] == 0
        full = sum(_sizes(path))
        assert await store.reclaim_space() == 0  # nothing free yet: no rebuild
        await store.prune_traces(older_than=0.0, keep_at_most=300)
        freed = await store.reclaim_space()
        mode = (await store._space())[0]
        after = sum(_sizes(path))
    finally:
        await store.close()
    assert mode == 2 and after < full / 10 and freed > full / 2, (mode, after, full, freed)
