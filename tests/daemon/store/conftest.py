"""One store suite, two implementations: every test taking ``store`` runs against SQLite (a file in a
tmp dir) and PostgreSQL (a fresh schema per test in the server at $SWITCHBOARD_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/postgres). When no PostgreSQL answers, the PostgreSQL runs are
skipped with the reason, which ``-ra`` prints in the summary."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from daemon.store import Store, open_store
from tests.daemon.store.pg import PG_ADMIN_URL, fresh_postgres_url

__all__ = ["PG_ADMIN_URL", "StoreFactory", "fresh_postgres_url"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'switchboard.db'}"
    else:
        async with fresh_postgres_url() as url:
            yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of an empty PostgreSQL store, for behaviour only a shared store has."""
    async with fresh_postgres_url() as url:
        yield url


@pytest.fixture
async def blank_postgres_url() -> AsyncIterator[str]:
    """The URL of a schema no store has migrated yet."""
    async with fresh_postgres_url(blank=True) as url:
        yield url


StoreFactory = Callable[[], Awaitable[Store]]


@pytest.fixture
async def open_stores(store_url: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Open more stores on the same database, each with its own connections (as other daemons would)."""
    opened: list[Store] = []

    async def open_one() -> Store:
        store = open_store(store_url, tmp_path)
        await store.open()
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in reversed(opened):
            await store.close()


@pytest.fixture
async def store(open_stores: StoreFactory) -> Store:
    """An open, migrated, empty store of each kind."""
    return await open_stores()
