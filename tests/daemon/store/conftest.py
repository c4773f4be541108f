"""One store suite, two implementations: every test taking ``store`` runs against SQLite (a file in a
tmp dir) and PostgreSQL (a fresh schema per test in the server at $SWITCHBOARD_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/postgres). When no PostgreSQL answers, the PostgreSQL runs are
skipped with the reason, which ``-ra`` prints in the summary."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from daemon.store import Store, open_store

PG_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_reachability: dict[str, str | None] = {}


async def postgres_unreachable_reason() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can (asked once per session)."""
    if PG_ADMIN_URL not in _reachability:
        try:
            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _reachability[PG_ADMIN_URL] = (
                f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}: {exc}); "
                "start it (.ci/run does) or point SWITCHBOARD_TEST_PG at one"
            )
        else:
            await conn.close()
            _reachability[PG_ADMIN_URL] = None
    return _reachability[PG_ADMIN_URL]


@contextlib.asynccontextmanager
async def fresh_postgres_url() -> AsyncIterator[str]:
    """A store URL naming a new empty schema, dropped afterwards (skips the test without a server)."""
    reason = await postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"sbt_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in PG_ADMIN_URL else "?"
        yield f"{PG_ADMIN_URL}{separator}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


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
