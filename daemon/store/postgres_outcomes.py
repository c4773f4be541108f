"""The outcomes the router learns from, in PostgreSQL (mirrors ``daemon.store.sqlite_outcomes``).
A mixin of ``PostgresStore``; it only uses the connection helpers the store defines."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from daemon.errors import InvalidRequestError
from daemon.store.records import OutcomeRecord
from daemon.store.sqlite_outcomes import DEFAULT_OUTCOMES, OUTCOME_COLUMNS, RECORD_ORDER, outcome_params


class OutcomeQueries:
    """Add, load and prune learned outcomes; every daemon of a team learns into the same table."""

    if TYPE_CHECKING:
        def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...
        def _tx(self, **options: Any) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...

    async def add_outcomes(self, outcomes: Sequence[OutcomeRecord]) -> None:
        """Store learned outcomes in one transaction."""
        if not outcomes:
            return
        placeholders = ", ".join(f"${i}" for i in range(1, len(OUTCOME_COLUMNS) + 1))
        try:
            async with self._tx() as conn:
                await conn.executemany(
                    f"INSERT INTO outcomes ({', '.join(OUTCOME_COLUMNS)}) VALUES ({placeholders})",
                    [outcome_params(o) for o in outcomes],
                )
        except asyncpg.CheckViolationError as exc:
            raise InvalidRequestError(f"an outcome's quality is in [0, 1] and its weight above 0 ({exc})") from None

    async def load_outcomes(self, limit: int = DEFAULT_OUTCOMES) -> list[OutcomeRecord]:
        """The newest ``limit`` outcomes, oldest first (the order they were learned in)."""
        async with self._conn() as conn:
            rows = await conn.fetch(f"SELECT {RECORD_ORDER} FROM outcomes ORDER BY id DESC LIMIT $1", limit)
        return [OutcomeRecord(*r) for r in reversed(rows)]

    async def prune_outcomes(self, keep_at_most: int) -> int:
        """Delete all but the newest ``keep_at_most`` outcomes; returns how many went."""
        async with self._conn() as conn:
            status = await conn.execute(
                "DELETE FROM outcomes WHERE id <= (SELECT id FROM outcomes ORDER BY id DESC OFFSET $1 LIMIT 1)",
                keep_at_most,
            )
        return int(status.rsplit(" ", 1)[-1])
