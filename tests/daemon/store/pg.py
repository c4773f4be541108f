"""PostgreSQL for tests: is a server reachable, and a fresh empty store URL per test.

Migrating a schema costs a few hundred milliseconds of DDL, so a schema a test has finished with is
emptied (its rows deleted; ids are not reset) and handed to the next test already migrated; tests that
must see an unmigrated schema ask for ``blank=True``. Pooled schemas are dropped when the process
exits. Nothing here ever touches schemas it did not create.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from daemon.store.schema_postgres import SCHEMA_VERSION

PG_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_reachability: dict[str, str | None] = {}
_pooled: list[str] = []


async def postgres_unreachable_reason() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can (asked once per process)."""
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


def url_for(schema: str) -> str:
    """The store URL of one schema in the test server."""
    return f"{PG_ADMIN_URL}{'&' if '?' in PG_ADMIN_URL else '?'}search_path={schema}"


@contextlib.asynccontextmanager
async def fresh_postgres_url(*, blank: bool = False) -> AsyncIterator[str]:
    """A store URL naming an empty schema (skips the test without a server)."""
    reason = await postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        if _pooled and not blank:
            schema = _pooled.pop()
        else:
            schema = f"sbt_{secrets.token_hex(6)}"
            await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield url_for(schema)
        finally:
            await _recycle(admin, schema)
    finally:
        await admin.close()


async def _recycle(admin: asyncpg.Connection, schema: str) -> None:
    # A process the test left running may still hold locks: never hang the suite on it.
    await admin.execute("SET lock_timeout = '10s'")
    tables = [r["tablename"] for r in await admin.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema
    )]
    version = None
    if "schema_migrations" in tables:
        version = await admin.fetchval(f"SELECT MAX(version) FROM {schema}.schema_migrations")
    if version != SCHEMA_VERSION:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        return
    # DELETE, not TRUNCATE: a few rows go faster than new relation files. Foreign-key triggers are
    # off for this (superuser) session only, so the order of tables does not matter.
    async with admin.transaction():
        await admin.execute("SET LOCAL session_replication_role = replica")
        for table in tables:
            if table != "schema_migrations":
                await admin.execute(f"DELETE FROM {schema}.{table}")
    if not _pooled:
        atexit.register(_drop_pooled)
    _pooled.append(schema)


def _drop_pooled() -> None:
    async def drop() -> None:
        admin = await asyncpg.connect(PG_ADMIN_URL)
        try:
            for schema in _pooled:
                await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await admin.close()

    if _pooled:
        asyncio.run(drop())
        _pooled.clear()
