"""The PostgreSQL side of the metrics and budget queries (issue 4), mirroring the section
``# -- metrics and budgets (issue 4)`` of ``SqliteStore``. A mixin of ``PostgresStore``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import asyncpg

from daemon.errors import NotFoundError
from daemon.store.records import Team


class MetricsQueries:
    """Facts for metrics, teams by id, and ledger audits, over the store's pooled connections."""

    if TYPE_CHECKING:
        def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...

    @staticmethod
    def _since(since: float, developer_id: int | None, params: list[Any]) -> str:
        params.append(since)
        where = f"t.created_at >= ${len(params)}"
        if developer_id is not None:
            params.append(developer_id)
            where += f" AND t.developer_id = ${len(params)}"
        return where

    async def trace_facts(self, since: float, *, developer_id: int | None = None) -> list[dict[str, Any]]:
        """The columns metrics are computed from, for traces since a time (one developer's, or all)."""
        params: list[Any] = []
        sql = (
            "SELECT t.id, t.developer_id, d.name AS developer, tm.name AS team, t.surface, t.created_at, "
            "t.outcome, t.latency_ms, t.ttft_ms, t.answered_model, t.chosen_model, t.task_type, t.cost_micros, "
            "t.fallback_used::int AS fallback_used, t.escalated::int AS escalated, t.input_tokens, t.output_tokens, "
            "t.complexity, t.policy "
            "FROM traces t JOIN developers d ON d.id = t.developer_id "
            f"LEFT JOIN teams tm ON tm.id = d.team_id WHERE {self._since(since, developer_id, params)}"
        )
        async with self._conn() as conn:
            rows = await conn.fetch(sql, *params)
        # asyncpg decodes rows on the event loop; turning tens of thousands into dicts need not be too.
        return await asyncio.to_thread(lambda: [dict(r) for r in rows])

    async def attempt_facts(self, since: float, *, developer_id: int | None = None) -> list[tuple[str, str]]:
        """(model, status) of every attempt of traces since a time (one developer's, or all)."""
        params: list[Any] = []
        sql = (
            "SELECT a.model, a.status FROM attempts a JOIN traces t ON t.id = a.trace_id "
            f"WHERE {self._since(since, developer_id, params)}"
        )
        async with self._conn() as conn:
            return [(r["model"], r["status"]) for r in await conn.fetch(sql, *params)]

    async def trace_quality(self, since: float, *, developer_id: int | None = None) -> dict[str, float]:
        """Mean feedback score of each rated trace since a time (one developer's, or all)."""
        params: list[Any] = []
        sql = (
            "SELECT f.trace_id, AVG(f.score) AS score FROM feedback f JOIN traces t ON t.id = f.trace_id "
            f"WHERE {self._since(since, developer_id, params)} GROUP BY f.trace_id"
        )
        async with self._conn() as conn:
            return {r["trace_id"]: float(r["score"]) for r in await conn.fetch(sql, *params)}

    async def spend_by_developer(self, since: float) -> dict[int, tuple[int, int]]:
        """developer id → (cost in micro-dollars, requests) of the traces since a time, budget or not."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT developer_id, COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS n FROM traces "
                "WHERE created_at >= $1 GROUP BY developer_id", since,
            )
        return {int(r["developer_id"]): (int(r["cost"]), int(r["n"])) for r in rows}

    async def get_team(self, team_id: int) -> Team:
        """One team by id, or ``NotFoundError``."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM teams WHERE id = $1", team_id)
        if row is None:
            raise NotFoundError(f"no team with id {team_id}")
        return Team(row["id"], row["name"], row["created_at"])

    async def list_teams(self) -> list[Team]:
        """Every team, oldest first."""
        async with self._conn() as conn:
            rows = await conn.fetch("SELECT * FROM teams ORDER BY id")
        return [Team(r["id"], r["name"], r["created_at"]) for r in rows]

    async def reservations_of(self, trace_id: str) -> list[tuple[int, float, str, int, int]]:
        """(budget id, period start, status, reserved, settled) of every ledger row of one request."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT budget_id, period_start, status, reserved_micros, settled_micros FROM ledger "
                "WHERE trace_id = $1 ORDER BY budget_id",
                trace_id,
            )
        return [(r[0], float(r[1]), r[2], int(r[3]), int(r[4])) for r in rows]

    async def ledger_totals(self, budget_id: int) -> dict[str, int]:
        """Sums of one budget's ledger over all periods, by status (micro-dollars; for audits and tests)."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT status, COALESCE(SUM(CASE WHEN status = 'settled' THEN settled_micros "
                "ELSE reserved_micros END), 0) AS total FROM ledger WHERE budget_id = $1 GROUP BY status",
                budget_id,
            )
        totals = {"open": 0, "settled": 0, "released": 0}
        totals.update({r["status"]: int(r["total"]) for r in rows})
        return totals
