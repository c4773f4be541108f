"""The routing matrix: versions, cells, and other daemons noticing a new version within the bound."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from daemon.store import Store, watch_matrix_version
from daemon.store.records import MatrixRow
from tests.daemon.store.conftest import StoreFactory


def _cell(model: str, quality: float, band: int = 1) -> MatrixRow:
    return MatrixRow("code_edit", band, model, quality, 12.5, 300.0, 900.0, 0.0021, 1_767_225_600.5)


async def test_empty_matrix_is_version_zero(store: Store) -> None:
    assert await store.matrix_version() == 0
    assert await store.load_matrix() == (0, [])


async def test_a_replacing_save_keeps_only_its_cells(store: Store) -> None:
    await store.save_matrix_cells([_cell("fast", 0.6), _cell("strong", 0.9)], source="config")
    assert await store.save_matrix_cells([_cell("fast", 0.5)], source="import", replace=True) == 2
    assert await store.load_matrix() == (2, [_cell("fast", 0.5)])


async def test_each_save_is_one_new_version_and_upserts_cells(store: Store) -> None:
    assert await store.save_matrix_cells([_cell("fast", 0.6), _cell("strong", 0.9)], source="config") == 1
    assert await store.save_matrix_cells([_cell("fast", 0.7)], source="feedback", note="editor accepts") == 2
    version, cells = await store.load_matrix()
    assert version == 2 == await store.matrix_version()
    assert cells == [_cell("fast", 0.7), _cell("strong", 0.9)]


async def test_concurrent_saves_from_many_connections_get_distinct_versions(open_stores: StoreFactory) -> None:
    stores = [await open_stores() for _ in range(5)]
    async with asyncio.timeout(30):
        versions = await asyncio.gather(
            *(s.save_matrix_cells([_cell(f"m{i}", 0.5)], source="feedback") for i, s in enumerate(stores))
        )
    assert sorted(versions) == [1, 2, 3, 4, 5]
    version, cells = await stores[0].load_matrix()
    assert version == 5 and len(cells) == 5


@contextlib.asynccontextmanager
async def _watching(store: Store, poll_seconds: float):
    seen: asyncio.Queue[int] = asyncio.Queue()

    async def on_change(version: int) -> None:
        seen.put_nowait(version)

    task = asyncio.create_task(watch_matrix_version(store, on_change, since=0, poll_seconds=poll_seconds))
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_another_daemons_new_version_is_noticed_within_the_poll_bound(open_stores: StoreFactory) -> None:
    mine, theirs = await open_stores(), await open_stores()
    async with _watching(mine, poll_seconds=0.05) as seen:
        await theirs.save_matrix_cells([_cell("fast", 0.8)], source="feedback")
        async with asyncio.timeout(5):
            assert await seen.get() == 1


async def test_team_store_pushes_new_versions_without_waiting_for_a_poll(tmp_path, postgres_url: str) -> None:
    from daemon.store import open_store

    mine, theirs = open_store(postgres_url, tmp_path), open_store(postgres_url, tmp_path)
    await mine.open()
    await theirs.open()
    try:
        async with _watching(mine, poll_seconds=3600) as seen:
            for expected in (1, 2):
                await theirs.save_matrix_cells([_cell("fast", 0.5 + expected / 10)], source="feedback")
                async with asyncio.timeout(5):  # far below the one-hour poll: only NOTIFY can deliver it
                    assert await seen.get() == expected
    finally:
        await theirs.close()
        await mine.close()


def _one_more_vote(score: float):
    """A ``change`` folding one quality signal into the fast/chat cell (running mean, evidence + 1)."""

    def change(_version: int, cells: list[MatrixRow]) -> list[MatrixRow]:
        old = next((c for c in cells if (c.task_type, c.band, c.model) == ("chat", 0, "fast")), None)
        n = old.evidence if old else 0.0
        quality = ((old.quality * n) if old else 0.0) + score
        return [MatrixRow("chat", 0, "fast", quality / (n + 1), n + 1, None, None, None, 1.0)]

    return change


async def test_evidence_folded_in_by_many_connections_at_once_is_never_lost(open_stores: StoreFactory) -> None:
    stores = [await open_stores() for _ in range(4)]
    votes_each = 5
    async with asyncio.timeout(30):
        results = await asyncio.gather(*(
            s.update_matrix(_one_more_vote(1.0 if i % 2 else 0.0), source="feedback")
            for i, s in enumerate(stores) for _ in range(votes_each)
        ))
    versions = sorted(v for v, _ in results)
    assert versions == list(range(1, len(stores) * votes_each + 1))
    version, cells = await stores[0].load_matrix()
    assert version == len(stores) * votes_each
    assert cells[0].evidence == len(stores) * votes_each and cells[0].quality == pytest.approx(0.5)


async def test_update_with_nothing_changed_writes_no_version(store: Store) -> None:
    await store.save_matrix_cells([_cell("fast", 0.6)], source="config")
    version, cells = await store.update_matrix(lambda _v, _cells: [], source="feedback")
    assert (version, cells) == (1, [_cell("fast", 0.6)]) and await store.matrix_version() == 1
