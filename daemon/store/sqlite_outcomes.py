"""The outcomes the router learns from, in SQLite. A mixin of ``SqliteStore`` (split off to keep each
module one idea); it only uses the connection helpers the store defines."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import aiosqlite

from daemon.errors import InvalidRequestError
from daemon.store.records import OutcomeRecord

OUTCOME_COLUMNS = (
    "trace_id", "model", "quality", "weight", "source", "task_type", "difficulty", "embedding", "created_at",
)
RECORD_ORDER = ", ".join(f.name for f in dataclasses.fields(OutcomeRecord))
"""The columns in ``OutcomeRecord``'s field order."""
DEFAULT_OUTCOMES = 50_000
"""Outcomes read at start when the caller does not say (``[learning] max_outcomes``)."""


def outcome_params(o: OutcomeRecord) -> tuple[Any, ...]:
    """An outcome's values in ``OUTCOME_COLUMNS`` order."""
    return (o.trace_id, o.model, o.quality, o.weight, o.source, o.task_type, o.difficulty, o.embedding, o.created_at)


class OutcomeQueries:
    """Add, load and prune learned outcomes."""

    if TYPE_CHECKING:
        def _write(self) -> contextlib.AbstractAsyncContextManager[aiosqlite.Connection]: ...
        async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...

    async def add_outcomes(self, outcomes: Sequence[OutcomeRecord]) -> None:
        """Store learned outcomes in one transaction."""
        if not outcomes:
            return
        try:
            async with self._write() as db:
                await db.executemany(
                    f"INSERT INTO outcomes ({', '.join(OUTCOME_COLUMNS)}) VALUES ({', '.join('?' * len(OUTCOME_COLUMNS))})",
                    [outcome_params(o) for o in outcomes],
                )
        except sqlite3.IntegrityError as exc:
            raise InvalidRequestError(f"an outcome's quality is in [0, 1] and its weight above 0 ({exc})") from None

    async def load_outcomes(self, limit: int = DEFAULT_OUTCOMES) -> list[OutcomeRecord]:
        """The newest ``limit`` outcomes, oldest first (the order they were learned in)."""
        rows = await self._fetchall(f"SELECT {RECORD_ORDER} FROM outcomes ORDER BY id DESC LIMIT ?", (limit,))
        return [OutcomeRecord(*r) for r in reversed(rows)]  # positional: 50,000 rows are read at start

    async def prune_outcomes(self, keep_at_most: int) -> int:
        """Delete all but the newest ``keep_at_most`` outcomes; returns how many went."""
        async with self._write() as db:
            cur = await db.execute(
                "DELETE FROM outcomes WHERE id <= (SELECT id FROM outcomes ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (keep_at_most,),
            )
            return cur.rowcount
