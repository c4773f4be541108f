"""What the PostgreSQL store remembers of past work: traces and attempts, feedback, the review
queue and the routing matrix. A mixin of ``PostgresStore`` (split off to keep each module one idea);
it only uses the connection helpers the store defines."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from daemon.errors import InvalidRequestError, NotFoundError
from daemon.store import decision_codec
from daemon.store.records import AttemptRecord, Feedback, MatrixRow, ReviewItem, TraceQuery, TraceRecord

_TRACE_COLUMNS = (
    "id", "developer_id", "surface", "created_at", "outcome", "latency_ms", "requested_model",
    "chosen_model", "answered_model", "task_type", "complexity", "policy", "matrix_version", "reason",
    "decision_json", "ttft_ms", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens",
    "cost_micros", "error_code", "error_message", "prompt", "prompt_hash", "prompt_chars", "answer",
    "answer_hash", "answer_chars", "guard_json", "fallback_used", "escalated", "host", "embedding", "difficulty",
)
_ATTEMPT_COLUMNS = (
    "trace_id", "seq", "model", "status", "started_at", "latency_ms", "ttft_ms", "error_code",
    "error_message", "http_status", "input_tokens", "output_tokens", "cost_micros",
)
MATRIX_CHANNEL = "switchboard_matrix"
"""The NOTIFY channel of new matrix versions; payloads are ``<schema>:<version>`` so stores in other
schemas of the same database ignore them."""
_MATRIX_COLUMNS = (
    "task_type", "band", "model", "quality", "evidence", "latency_p50_ms", "latency_p95_ms", "mean_cost_usd",
    "updated_at",
)


def _placeholders(n: int) -> str:
    return ", ".join(f"${i}" for i in range(1, n + 1))


def _trace_params(t: TraceRecord, host: str) -> tuple[Any, ...]:
    return (
        t.id, t.developer_id, t.surface, t.created_at, t.outcome, t.latency_ms, t.requested_model,
        t.chosen_model, t.answered_model, t.task_type, t.complexity, t.policy, t.matrix_version, t.reason,
        None if t.decision is None else decision_codec.pack(t.decision, decision_codec.columns_of_trace(t)), t.ttft_ms, t.input_tokens, t.output_tokens, t.cached_tokens, t.reasoning_tokens,
        t.cost_micros, t.error_code, t.error_message, t.prompt, t.prompt_hash, t.prompt_chars, t.answer,
        t.answer_hash, t.answer_chars, t.guard, t.fallback_used, t.escalated, t.host or host, t.embedding,
        t.difficulty,
    )


def _trace(row: asyncpg.Record, attempts: Sequence[asyncpg.Record] = ()) -> TraceRecord:
    data = dict(row)
    stored = data.pop("decision_json")
    data["decision"] = None if stored is None else decision_codec.unpack(stored, decision_codec.columns_of(**data))
    data["guard"] = data.pop("guard_json")
    data["attempts"] = tuple(AttemptRecord(**{k: a[k] for k in _ATTEMPT_COLUMNS if k != "trace_id"}) for a in attempts)
    return TraceRecord(**data)


def _review(row: asyncpg.Record) -> ReviewItem:
    return ReviewItem(
        id=row["id"], trace_id=row["trace_id"], developer_id=row["developer_id"], status=row["status"],
        answers=tuple(row["answers_json"]), chosen_index=row["chosen_index"],
        created_at=row["created_at"], resolved_at=row["resolved_at"],
    )


class HistoryQueries:
    """Traces, feedback, reviews and the matrix, over the store's pooled connections."""

    host: str
    _schema: str

    if TYPE_CHECKING:
        def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...
        def _tx(self, **options: Any) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...

    # -- traces ----------------------------------------------------------------------------------

    async def record_traces(self, traces: Sequence[TraceRecord]) -> None:
        """Write finished traces and their attempts in one transaction (a trace written again replaces
        the old one and its attempts). Traces without a host get this machine's."""
        if not traces:
            return
        updates = ", ".join(f"{c} = excluded.{c}" for c in _TRACE_COLUMNS if c != "id")
        async with self._tx() as conn:
            await conn.executemany(
                f"INSERT INTO traces ({', '.join(_TRACE_COLUMNS)}) VALUES ({_placeholders(len(_TRACE_COLUMNS))}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                [_trace_params(t, self.host) for t in traces],
            )
            await conn.execute("DELETE FROM attempts WHERE trace_id = ANY($1::text[])", [t.id for t in traces])
            attempts = [(t.id, *_attempt_values(a)) for t in traces for a in t.attempts]
            if attempts:
                await conn.executemany(
                    f"INSERT INTO attempts ({', '.join(_ATTEMPT_COLUMNS)}) "
                    f"VALUES ({_placeholders(len(_ATTEMPT_COLUMNS))})",
                    attempts,
                )

    async def get_trace(self, trace_id: str) -> TraceRecord:
        """One trace with its attempts, or ``NotFoundError``."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM traces WHERE id = $1", trace_id)
            if row is None:
                raise NotFoundError(f"no trace {trace_id!r}; `switchboard traces` lists recent ones")
            attempts = await conn.fetch("SELECT * FROM attempts WHERE trace_id = $1 ORDER BY seq", trace_id)
        return _trace(row, attempts)

    async def list_traces(self, query: TraceQuery) -> list[TraceRecord]:
        """Recent traces, newest first, filtered (attempts are not loaded)."""
        where: list[str] = []
        params: list[Any] = []
        for column, op, value in (
            ("developer_id", "=", query.developer_id),
            ("answered_model", "=", query.model),
            ("surface", "=", query.surface),
            ("outcome", "=", query.outcome),
            ("created_at", ">=", query.since),
        ):
            if value is not None:
                params.append(value)
                where.append(f"{column} {op} ${len(params)}")
        params.append(query.limit)
        sql = "SELECT * FROM traces" + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY created_at DESC LIMIT ${len(params)}"
        async with self._conn() as conn:
            return [_trace(r) for r in await conn.fetch(sql, *params)]

    async def prune_traces(self, older_than: float, keep_at_most: int) -> int:
        """Delete traces older than a time, then the oldest beyond a count. Returns rows deleted."""
        async with self._tx() as conn:
            deleted = await conn.execute("DELETE FROM traces WHERE created_at < $1", older_than)
            beyond = await conn.execute(
                "DELETE FROM traces WHERE id IN (SELECT id FROM traces ORDER BY created_at DESC OFFSET $1)",
                keep_at_most,
            )
        return _count(deleted) + _count(beyond)

    async def reclaim_space(self) -> int:
        """Nothing to do here: reclaiming dead rows is PostgreSQL's own job (autovacuum reuses their
        space for new rows; shrinking files is a ``VACUUM FULL`` an operator schedules, as it locks
        the table). Returns 0."""
        return 0

    # -- feedback and the review queue --------------------------------------------------------------

    async def add_feedback(
        self, trace_id: str, source: str, score: float, *, developer_id: int | None = None, comment: str | None = None
    ) -> Feedback:
        """Record a quality signal for a trace; an unknown trace is ``NotFoundError``."""
        now = time.time()
        try:
            async with self._conn() as conn:
                feedback_id = await conn.fetchval(
                    "INSERT INTO feedback (trace_id, developer_id, source, score, comment, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    trace_id, developer_id, source, score, comment, now,
                )
        except asyncpg.ForeignKeyViolationError:
            raise NotFoundError(f"no trace {trace_id!r} to rate") from None
        except asyncpg.CheckViolationError:
            raise InvalidRequestError(f"a feedback score is between 0 and 1, not {score}") from None
        return Feedback(feedback_id, trace_id, developer_id, source, score, comment, now)

    async def list_feedback(self, trace_id: str) -> list[Feedback]:
        """The quality signals of one trace, oldest first."""
        async with self._conn() as conn:
            rows = await conn.fetch("SELECT * FROM feedback WHERE trace_id = $1 ORDER BY id", trace_id)
        return [Feedback(**dict(r)) for r in rows]

    async def add_review(self, trace_id: str, developer_id: int, answers: Sequence[dict[str, Any]]) -> ReviewItem:
        """Queue a consensus disagreement for a person."""
        now = time.time()
        async with self._conn() as conn:
            review_id = await conn.fetchval(
                "INSERT INTO review_queue (trace_id, developer_id, status, answers_json, created_at) "
                "VALUES ($1, $2, 'open', $3, $4) RETURNING id",
                trace_id, developer_id, list(answers), now,
            )
        return ReviewItem(review_id, trace_id, developer_id, "open", tuple(answers), None, now, None)

    async def list_reviews(self, *, status: str | None = "open", developer_id: int | None = None) -> list[ReviewItem]:
        """Review items, oldest first, optionally by status and developer."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("status", status), ("developer_id", developer_id)):
            if value is not None:
                params.append(value)
                where.append(f"{column} = ${len(params)}")
        sql = "SELECT * FROM review_queue" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        async with self._conn() as conn:
            return [_review(r) for r in await conn.fetch(sql, *params)]

    async def resolve_review(self, review_id: int, chosen_index: int | None) -> ReviewItem:
        """Close a review item with the chosen answer (``None`` dismisses it)."""
        status = "dismissed" if chosen_index is None else "resolved"
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "UPDATE review_queue SET status = $1, chosen_index = $2, resolved_at = $3 "
                "WHERE id = $4 AND status = 'open' RETURNING *",
                status, chosen_index, time.time(), review_id,
            )
        if row is None:
            raise NotFoundError(f"no open review item {review_id}")
        return _review(row)

    # -- the routing matrix ---------------------------------------------------------------------

    async def matrix_version(self) -> int:
        """The current matrix version (0 before any cell was written)."""
        async with self._conn() as conn:
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM matrix_versions"))

    async def load_matrix(self) -> tuple[int, list[MatrixRow]]:
        """The current version and every cell, read from one snapshot so they belong together."""
        async with self._tx(isolation="repeatable_read", readonly=True) as conn:
            version = int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM matrix_versions"))
            cells = await self._cells(conn)
        return version, cells

    async def save_matrix_cells(
        self, rows: Sequence[MatrixRow], *, source: str, note: str | None = None, replace: bool = False
    ) -> int:
        """Upsert cells as one new matrix version; returns that version (``replace``: only these cells
        remain). Every daemon listening is notified when the transaction commits."""
        async with self._tx() as conn:
            version = await self._lock_matrix(conn)
            if replace:
                await conn.execute("DELETE FROM matrix_cells")
            return await self._write_version(conn, version + 1, rows, source, note)

    async def update_matrix(
        self,
        change: Callable[[int, list[MatrixRow]], Sequence[MatrixRow]],
        *,
        source: str,
        note: str | None = None,
    ) -> tuple[int, list[MatrixRow]]:
        """Read the matrix, save ``change(version, cells)`` (the changed cells) as one new version, and
        return the new version with every cell, with no other daemon's write in between: evidence
        folded in by two daemons at once is never lost. No changed cells: nothing is written."""
        async with self._tx() as conn:
            version = await self._lock_matrix(conn)
            cells = await self._cells(conn)
            changed = list(change(version, cells))
            if not changed:
                return version, cells
            version = await self._write_version(conn, version + 1, changed, source, note)
            return version, await self._cells(conn)

    @staticmethod
    async def _lock_matrix(conn: asyncpg.Connection) -> int:
        # Versions must be strictly increasing across daemons: one writer at a time allocates them.
        await conn.execute("LOCK TABLE matrix_versions IN SHARE ROW EXCLUSIVE MODE")
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM matrix_versions"))

    @staticmethod
    async def _cells(conn: asyncpg.Connection) -> list[MatrixRow]:
        rows = await conn.fetch(f"SELECT {', '.join(_MATRIX_COLUMNS)} FROM matrix_cells ORDER BY task_type, band, model")
        return [MatrixRow(**dict(r)) for r in rows]

    @staticmethod
    async def _write_version(
        conn: asyncpg.Connection, version: int, rows: Sequence[MatrixRow], source: str, note: str | None
    ) -> int:
        await conn.execute(
            "INSERT INTO matrix_versions (version, created_at, source, note) VALUES ($1, $2, $3, $4)",
            version, time.time(), source, note,
        )
        if rows:
            await conn.executemany(
                f"INSERT INTO matrix_cells ({', '.join(_MATRIX_COLUMNS)}, version) "
                f"VALUES ({_placeholders(len(_MATRIX_COLUMNS) + 1)}) "
                "ON CONFLICT (task_type, band, model) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in (*_MATRIX_COLUMNS[3:], "version")),
                [(*(getattr(r, c) for c in _MATRIX_COLUMNS), version) for r in rows],
            )
        await conn.execute("SELECT pg_notify($1, current_schema() || ':' || $2::bigint)", MATRIX_CHANNEL, version)
        return version


def _attempt_values(a: AttemptRecord) -> tuple[Any, ...]:
    return (
        a.seq, a.model, a.status, a.started_at, a.latency_ms, a.ttft_ms, a.error_code, a.error_message,
        a.http_status, a.input_tokens, a.output_tokens, a.cost_micros,
    )


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])
