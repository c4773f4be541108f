"""The SQLite store (the default): WAL, foreign keys, one writer connection, one reader connection.

Every write runs inside ``_write()``, which holds the writer lock for the whole transaction, so
interleaved coroutines never see or make half a transaction. Reads use their own connection and
never wait for writes (WAL).

The file gives back what retention deletes (``daemon.store.sqlite_space``); the outcomes the router
learns from are ``daemon.store.sqlite_outcomes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from daemon import jsonwire
from daemon.errors import BudgetExceededError, InvalidRequestError, NotFoundError
from daemon.paths import ensure_private_file, tighten_file
from daemon.store import decision_codec
from daemon.store.records import (
    CHARGED_IN_FLIGHT,
    AttemptRecord,
    Budget,
    Developer,
    Feedback,
    MatrixRow,
    Reservation,
    ReviewItem,
    Team,
    TraceQuery,
    TraceRecord,
    carried_id,
)
from daemon.store.schema_sqlite import MIGRATIONS
from daemon.store.sqlite_outcomes import OutcomeQueries
from daemon.store.sqlite_space import JOURNAL_SIZE_LIMIT, WAL_AUTOCHECKPOINT_PAGES, SpaceUpkeep

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


def _trace_params(t: TraceRecord) -> tuple[Any, ...]:
    return (
        t.id, t.developer_id, t.surface, t.created_at, t.outcome, t.latency_ms, t.requested_model,
        t.chosen_model, t.answered_model, t.task_type, t.complexity, t.policy, t.matrix_version, t.reason,
        jsonwire.dumps_text(decision_codec.pack(t.decision, decision_codec.columns_of_trace(t)))
        if t.decision is not None else None,
        t.ttft_ms, t.input_tokens,
        t.output_tokens, t.cached_tokens, t.reasoning_tokens, t.cost_micros, t.error_code,
        t.error_message, t.prompt, t.prompt_hash, t.prompt_chars, t.answer, t.answer_hash,
        t.answer_chars, jsonwire.dumps_text(t.guard) if t.guard is not None else None, int(t.fallback_used),
        int(t.escalated), t.host, t.embedding, t.difficulty,
    )


def _attempt_params(trace_id: str, a: AttemptRecord) -> tuple[Any, ...]:
    return (
        trace_id, a.seq, a.model, a.status, a.started_at, a.latency_ms, a.ttft_ms, a.error_code,
        a.error_message, a.http_status, a.input_tokens, a.output_tokens, a.cost_micros,
    )


def _as_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def _as_tuple(_cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _developer(row: sqlite3.Row) -> Developer:
    return Developer(
        id=row["id"], name=row["name"], os_user=row["os_user"], team_id=row["team_id"],
        is_admin=bool(row["is_admin"]), created_at=row["created_at"],
    )


def _budget(row: sqlite3.Row) -> Budget:
    return Budget(
        id=row["id"], scope=row["scope"], scope_id=row["scope_id"], period=row["period"],
        limit_micros=row["limit_micros"], soft_threshold=row["soft_threshold"],
        critical_only_threshold=row["critical_only_threshold"],
    )


def _trace(row: sqlite3.Row, attempts: Sequence[sqlite3.Row] = ()) -> TraceRecord:
    data = {k: row[k] for k in _TRACE_COLUMNS if k not in ("decision_json", "guard_json")}
    data["decision"] = (decision_codec.unpack(json.loads(row["decision_json"]), decision_codec.columns_of(**data))
                        if row["decision_json"] else None)
    data["guard"] = json.loads(row["guard_json"]) if row["guard_json"] else None
    data["fallback_used"] = bool(row["fallback_used"])
    data["escalated"] = bool(row["escalated"])
    data["attempts"] = tuple(
        AttemptRecord(**{k: a[k] for k in _ATTEMPT_COLUMNS if k != "trace_id"}) for a in attempts
    )
    return TraceRecord(**data)



async def _upsert_cells(db: aiosqlite.Connection, rows: Sequence[MatrixRow], version: int) -> None:
    """Write matrix cells as of ``version`` (inside the caller's write transaction)."""
    await db.executemany(
        "INSERT INTO matrix_cells (task_type, band, model, quality, evidence, latency_p50_ms, "
        "latency_p95_ms, mean_cost_usd, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (task_type, band, model) DO UPDATE SET quality = excluded.quality, "
        "evidence = excluded.evidence, latency_p50_ms = excluded.latency_p50_ms, "
        "latency_p95_ms = excluded.latency_p95_ms, mean_cost_usd = excluded.mean_cost_usd, "
        "updated_at = excluded.updated_at, version = excluded.version",
        [
            (r.task_type, r.band, r.model, r.quality, r.evidence, r.latency_p50_ms, r.latency_p95_ms,
             r.mean_cost_usd, r.updated_at, version)
            for r in rows
        ],
    )

class SqliteStore(OutcomeQueries, SpaceUpkeep):
    """The store interface over one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._identity: tuple[int, int] | None = None
        """(device, inode) of the database file when it was opened."""
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        """One query at a time on the reader, from execute to close. While any statement of a
        connection is unfinished, SQLite keeps that connection's snapshot, so reads interleaved by
        aiosqlite (one's execute, another's fetch) could keep missing commits made meanwhile: a trace
        written a moment ago was "not found" by the editor's feedback under a burst of requests."""

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Open both connections, enable WAL and foreign keys, and run pending migrations.

        The file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
        database's mode), and an existing one is tightened to 0600, its -wal and -shm too."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        ensure_private_file(self.path)
        for suffix in ("-wal", "-shm", "-journal"):
            tighten_file(self.path.with_name(self.path.name + suffix))
        # A new (empty) file gets incremental vacuum before anything is written to it, WAL's header
        # included: afterwards auto_vacuum changes only through a VACUUM (see ``reclaim_space``).
        self._writer = await self._connect(new=os.stat(self.path).st_size == 0)
        await self._writer.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        await self._writer.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        await self._migrate()
        self._reader = await self._connect()
        st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)

    def file_problem(self) -> str | None:
        """What happened to the database file since it was opened, if anything: deleted (with its
        directory, say) or replaced by another file. The daemon keeps writing to the file it opened,
        and all of it is lost when it stops."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return f"the database file {self.path} was deleted while the daemon runs"
        if (st.st_dev, st.st_ino) != self._identity:
            return f"the database file {self.path} was replaced by another file while the daemon runs"
        return None

    async def _connect(self, *, new: bool = False) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        if new:
            await conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=10000")
        return conn

    async def close(self) -> None:
        """Close both connections (pending writes have already committed)."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def schema_version(self) -> int:
        """The schema version this database is at."""
        async with self._read("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        assert self._writer is not None
        async with self._writer.execute("PRAGMA user_version") as cur:
            current = int((await cur.fetchone())[0])
        if current > len(MIGRATIONS):
            raise InvalidRequestError(
                f"database {self.path} has schema version {current}, newer than this Switchboard "
                f"({len(MIGRATIONS)}); upgrade Switchboard or point --data-dir elsewhere"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            await self._writer.executescript(
                f"BEGIN IMMEDIATE; {MIGRATIONS[version - 1]}; PRAGMA user_version = {version}; COMMIT;"
            )

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, serialised with every other write of this store."""
        assert self._writer is not None, "store is not open"
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def _write_one(self, sql: str, params: Iterable[Any]) -> None:
        """One statement as its own transaction (autocommit: atomic with what its triggers do), one
        round trip to the connection's thread instead of three."""
        assert self._writer is not None, "store is not open"
        async with self._write_lock:
            await self._writer.execute(sql, tuple(params))

    def _read(self, sql: str, params: Iterable[Any] = ()) -> Any:
        assert self._reader is not None, "store is not open"
        return self._reader.execute(sql, tuple(params))

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._read_lock, self._read(sql, params) as cur:
            return list(await cur.fetchall())

    async def _fetch_built(self, sql: str, params: Iterable[Any], build: Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]) -> list[Any]:
        """Every row, each made by ``build(cursor, row)`` in the connection's thread, not on the event
        loop: tens of thousands of rows (metrics over a month) cost the loop nothing but the hand-over."""
        async with self._read_lock, self._read(sql, params) as cur:
            cur.row_factory = build
            return await cur.fetchall()  # type: ignore[return-value]

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._read_lock, self._read(sql, params) as cur:
            return await cur.fetchone()

    # -- developers and keys ----------------------------------------------------------------

    async def create_developer(
        self, name: str, *, os_user: str | None = None, is_admin: bool = False, team_id: int | None = None
    ) -> Developer:
        """Add a developer; a taken name is an ``InvalidRequestError``."""
        now = time.time()
        try:
            async with self._write() as db:
                cur = await db.execute(
                    "INSERT INTO developers (name, os_user, team_id, is_admin, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, os_user, team_id, int(is_admin), now),
                )
                dev_id = cur.lastrowid
        except sqlite3.IntegrityError:
            raise InvalidRequestError(f"a developer named {name!r} already exists; pick another name") from None
        return Developer(dev_id, name, os_user, team_id, is_admin, now)

    async def developer_for_os_user(self, os_user: str) -> Developer:
        """The developer record of a local OS user, created (as admin of this daemon) on first use."""
        row = await self._fetchone("SELECT * FROM developers WHERE os_user = ?", (os_user,))
        if row is not None:
            return _developer(row)
        async with self._write() as db:
            async with db.execute("SELECT * FROM developers WHERE os_user = ?", (os_user,)) as cur:
                row = await cur.fetchone()
            if row is None:
                name = os_user
                async with db.execute("SELECT 1 FROM developers WHERE name = ?", (name,)) as cur:
                    if await cur.fetchone() is not None:
                        name = f"{os_user}@local"
                await db.execute(
                    "INSERT INTO developers (name, os_user, is_admin, created_at) VALUES (?, ?, 1, ?)",
                    (name, os_user, time.time()),
                )
                async with db.execute("SELECT * FROM developers WHERE os_user = ?", (os_user,)) as cur:
                    row = await cur.fetchone()
        return _developer(row)

    async def get_developer(self, developer_id: int) -> Developer:
        """One developer by id, or ``NotFoundError``."""
        row = await self._fetchone("SELECT * FROM developers WHERE id = ?", (developer_id,))
        if row is None:
            raise NotFoundError(f"no developer with id {developer_id}")
        return _developer(row)

    async def developer_by_name(self, name: str) -> Developer:
        """One developer by name, or ``NotFoundError``."""
        row = await self._fetchone("SELECT * FROM developers WHERE name = ?", (name,))
        if row is None:
            raise NotFoundError(f"no developer named {name!r}; `switchboard dev list` shows who exists")
        return _developer(row)

    async def list_developers(self) -> list[Developer]:
        """Every developer, oldest first."""
        return [_developer(r) for r in await self._fetchall("SELECT * FROM developers ORDER BY id")]

    async def add_key(self, developer_id: int, key_hash: str, prefix: str) -> None:
        """Store the hash of a new developer key (the key itself is never stored)."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO developer_keys (developer_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)",
                (developer_id, key_hash, prefix, time.time()),
            )

    async def revoke_keys(self, developer_id: int) -> int:
        """Revoke every live key of a developer (kept, marked revoked); returns how many."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE developer_keys SET revoked_at = ? WHERE developer_id = ? AND revoked_at IS NULL",
                (time.time(), developer_id),
            )
            return cursor.rowcount

    async def developer_for_key_hash(self, key_hash: str) -> Developer | None:
        """The developer owning an unrevoked key with this hash."""
        row = await self._fetchone(
            "SELECT d.* FROM developer_keys k JOIN developers d ON d.id = k.developer_id "
            "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
            (key_hash,),
        )
        return _developer(row) if row is not None else None

    async def key_hashes(self, developer_id: int) -> list[str]:
        """The stored key hashes of a developer (for audits and tests: never keys in clear)."""
        rows = await self._fetchall("SELECT key_hash FROM developer_keys WHERE developer_id = ?", (developer_id,))
        return [r["key_hash"] for r in rows]

    async def set_admin(self, developer_id: int, is_admin: bool) -> None:
        """Grant or withdraw admin rights."""
        async with self._write() as db:
            await db.execute("UPDATE developers SET is_admin = ? WHERE id = ?", (int(is_admin), developer_id))

    async def create_team(self, name: str) -> Team:
        """Add a team; a taken name is an ``InvalidRequestError``."""
        now = time.time()
        try:
            async with self._write() as db:
                cur = await db.execute("INSERT INTO teams (name, created_at) VALUES (?, ?)", (name, now))
        except sqlite3.IntegrityError:
            raise InvalidRequestError(f"a team named {name!r} already exists") from None
        return Team(cur.lastrowid, name, now)

    async def team_by_name(self, name: str) -> Team:
        """One team by name, or ``NotFoundError``."""
        row = await self._fetchone("SELECT * FROM teams WHERE name = ?", (name,))
        if row is None:
            raise NotFoundError(f"no team named {name!r}")
        return Team(row["id"], row["name"], row["created_at"])

    async def set_team(self, developer_id: int, team_id: int | None) -> None:
        """Put a developer in a team (a developer belongs to at most one)."""
        async with self._write() as db:
            await db.execute("UPDATE developers SET team_id = ? WHERE id = ?", (team_id, developer_id))

    # -- budgets and the ledger -----------------------------------------------------------------

    async def set_budget(
        self,
        scope: str,
        scope_id: int,
        period: str,
        limit_micros: int,
        *,
        soft_threshold: float | None = None,
        critical_only_threshold: float | None = None,
    ) -> Budget:
        """Create or replace the budget of a developer, team or the evaluation job."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO budgets (scope, scope_id, period, limit_micros, soft_threshold, "
                "critical_only_threshold, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (scope, scope_id) DO UPDATE SET period = excluded.period, "
                "limit_micros = excluded.limit_micros, soft_threshold = excluded.soft_threshold, "
                "critical_only_threshold = excluded.critical_only_threshold, updated_at = excluded.updated_at",
                (scope, scope_id, period, limit_micros, soft_threshold, critical_only_threshold, time.time()),
            )
        return await self.budget_for(scope, scope_id)  # type: ignore[return-value]

    async def budget_for(self, scope: str, scope_id: int) -> Budget | None:
        """The budget of one developer, team or the evaluation job, if any."""
        row = await self._fetchone("SELECT * FROM budgets WHERE scope = ? AND scope_id = ?", (scope, scope_id))
        return _budget(row) if row is not None else None

    async def list_budgets(self) -> list[Budget]:
        """Every budget."""
        return [_budget(r) for r in await self._fetchall("SELECT * FROM budgets ORDER BY id")]

    async def spend(self, budget_id: int, period_start: float) -> tuple[int, int]:
        """(settled, open reservations) in micro-dollars for one budget period."""
        row = await self._fetchone(
            "SELECT settled_micros, reserved_micros FROM budget_usage WHERE budget_id = ? AND period_start = ?",
            (budget_id, period_start),
        )
        return (int(row["settled_micros"]), int(row["reserved_micros"])) if row is not None else (0, 0)

    async def reserve(
        self, trace_id: str, claims: Sequence[tuple[Budget, float]], amount_micros: int
    ) -> Reservation:
        """Atomically reserve ``amount_micros`` against every (budget, period start) or none of them."""
        now = time.time()
        async with self._write() as db:
            # One statement per claim, inserting only if the claim fits the period's running total
            # (kept by the ledger's triggers, schema 2): four round trips to aiosqlite's thread
            # whatever the number of claims, where reading each total first took three per claim.
            cursor = await db.executemany(
                "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, created_at) "
                "SELECT ?, ?, ?, 'open', ?, ? WHERE COALESCE((SELECT settled_micros + reserved_micros "
                "FROM budget_usage WHERE budget_id = ? AND period_start = ?), 0) + ? <= ?",
                [(trace_id, b.id, start, amount_micros, now, b.id, start, amount_micros, b.limit_micros)
                 for b, start in claims],
            )
            inserted = cursor.rowcount
            await cursor.close()  # in the connection's thread: a cursor finalised by the GC elsewhere is API misuse
            if inserted < len(claims):
                raise await self._exceeded(db, trace_id, claims)  # rolls the others back
        return Reservation(trace_id, tuple(b.id for b, _ in claims), amount_micros)

    @staticmethod
    async def _exceeded(db: aiosqlite.Connection, trace_id: str,
                        claims: Sequence[tuple[Budget, float]]) -> BudgetExceededError:
        """The error for the first claim that did not fit (the failure path may take its time)."""
        for budget, period_start in claims:
            async with db.execute(
                "SELECT settled_micros + reserved_micros, (SELECT COUNT(*) FROM ledger WHERE trace_id = ? "
                "AND budget_id = ?) FROM budget_usage WHERE budget_id = ? AND period_start = ?",
                (trace_id, budget.id, budget.id, period_start),
            ) as cur:
                row = await cur.fetchone()
            used, mine = (int(row[0]), int(row[1])) if row is not None else (0, 0)
            if not mine:
                return BudgetExceededError(
                    f"the {budget.scope} budget would be exceeded",
                    details={"budget_id": budget.id, "used_micros": used, "limit_micros": budget.limit_micros},
                )
        budget = claims[0][0]
        return BudgetExceededError(f"the {budget.scope} budget would be exceeded",
                                   details={"budget_id": budget.id, "limit_micros": budget.limit_micros})

    async def settle(self, trace_id: str, actual_micros: int) -> None:
        """Close a request's reservations with its true cost (the rest is released)."""
        await self._write_one(
            "UPDATE ledger SET status = 'settled', settled_micros = ?, closed_at = ? WHERE trace_id = ? AND status = 'open'",
            (actual_micros, time.time(), trace_id),
        )

    async def release(self, trace_id: str) -> None:
        """Drop a request's reservations entirely (the call failed or was refused)."""
        await self._write_one(
            "UPDATE ledger SET status = 'released', closed_at = ? WHERE trace_id = ? AND status = 'open'",
            (time.time(), trace_id),
        )

    async def reconcile_open_reservations(self) -> int:
        """At start: settle open reservations whose trace was recorded (at its cost); charge the rest their
        reservation, with a stub trace saying so. A request in flight when the daemon died may have been
        answered (and billed) by its provider already: charging what it reserved never under-counts it,
        and never passes the limit, which the reservation was checked against."""
        now = time.time()
        async with self._write() as db:
            await db.execute(
                "UPDATE ledger SET status = 'settled', closed_at = ?, settled_micros = "
                "(SELECT t.cost_micros FROM traces t WHERE t.id = ledger.trace_id) "
                "WHERE status = 'open' AND trace_id IN (SELECT id FROM traces)",
                (now,),
            )
            await db.execute(
                "INSERT INTO traces (id, developer_id, surface, created_at, outcome, latency_ms, cost_micros, "
                "error_code, error_message) "
                "SELECT l.trace_id, b.scope_id, 'api', MIN(l.created_at), 'error', 0, MAX(l.reserved_micros), "
                "'internal_error', ? FROM ledger l JOIN budgets b ON b.id = l.budget_id "
                "WHERE l.status = 'open' AND b.scope = 'developer' AND l.trace_id NOT IN (SELECT id FROM traces) "
                "GROUP BY l.trace_id, b.scope_id", (CHARGED_IN_FLIGHT,),
            )
            cur = await db.execute(
                "UPDATE ledger SET status = 'settled', settled_micros = reserved_micros, closed_at = ? "
                "WHERE status = 'open'", (now,)
            )
            await self._record_lost_traces(db)
            return cur.rowcount

    async def carry_spend(self, budget_id: int, period_start: float, micros: int) -> None:
        """Count spend made before a budget existed in its period (a settled ledger row, once per period)."""
        now = time.time()
        await self._write_one(
            "INSERT OR IGNORE INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, "
            "settled_micros, created_at, closed_at) VALUES (?, ?, ?, 'settled', 0, ?, ?, ?)",
            (carried_id(budget_id, period_start), budget_id, period_start, micros, now, now),
        )

    async def spend_by_developer(self, since: float) -> dict[int, tuple[int, int]]:
        """developer id → (cost in micro-dollars, requests) of the traces since a time, budget or not."""
        rows = await self._fetchall(
            "SELECT developer_id, COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS n FROM traces "
            "WHERE created_at >= ? GROUP BY developer_id", (since,),
        )
        return {int(r["developer_id"]): (int(r["cost"]), int(r["n"])) for r in rows}

    # -- traces ----------------------------------------------------------------------------------

    async def record_traces(self, traces: Sequence[TraceRecord]) -> None:
        """Write finished traces and their attempts in one transaction."""
        if not traces:
            return
        placeholders = ", ".join("?" for _ in _TRACE_COLUMNS)
        attempt_placeholders = ", ".join("?" for _ in _ATTEMPT_COLUMNS)
        async with self._write() as db:
            await db.executemany(
                f"INSERT OR REPLACE INTO traces ({', '.join(_TRACE_COLUMNS)}) VALUES ({placeholders})",
                [_trace_params(t) for t in traces],
            )
            await db.executemany(
                f"INSERT OR REPLACE INTO attempts ({', '.join(_ATTEMPT_COLUMNS)}) VALUES ({attempt_placeholders})",
                [_attempt_params(t.id, a) for t in traces for a in t.attempts],
            )

    async def get_trace(self, trace_id: str) -> TraceRecord:
        """One trace with its attempts, or ``NotFoundError``."""
        row = await self._fetchone("SELECT * FROM traces WHERE id = ?", (trace_id,))
        if row is None:
            raise NotFoundError(f"no trace {trace_id!r}; `switchboard traces` lists recent ones")
        attempts = await self._fetchall("SELECT * FROM attempts WHERE trace_id = ? ORDER BY seq", (trace_id,))
        return _trace(row, attempts)

    async def list_traces(self, query: TraceQuery) -> list[TraceRecord]:
        """Recent traces, newest first, filtered (attempts are not loaded)."""
        where, params = [], []
        for column, value in (
            ("developer_id", query.developer_id),
            ("answered_model", query.model),
            ("surface", query.surface),
            ("outcome", query.outcome),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.since is not None:
            where.append("created_at >= ?")
            params.append(query.since)
        sql = "SELECT * FROM traces" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC LIMIT ?"
        params.append(query.limit)
        return [_trace(r) for r in await self._fetchall(sql, params)]

    # -- feedback and the review queue --------------------------------------------------------------

    async def add_feedback(
        self, trace_id: str, source: str, score: float, *, developer_id: int | None = None, comment: str | None = None
    ) -> Feedback:
        """Record a quality signal for a trace; an unknown trace is ``NotFoundError``."""
        now = time.time()
        try:
            async with self._write() as db:
                cur = await db.execute(
                    "INSERT INTO feedback (trace_id, developer_id, source, score, comment, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (trace_id, developer_id, source, score, comment, now),
                )
        except sqlite3.IntegrityError:
            raise NotFoundError(f"no trace {trace_id!r} to rate") from None
        return Feedback(cur.lastrowid, trace_id, developer_id, source, score, comment, now)

    async def list_feedback(self, trace_id: str) -> list[Feedback]:
        """The quality signals of one trace, oldest first."""
        rows = await self._fetchall("SELECT * FROM feedback WHERE trace_id = ? ORDER BY id", (trace_id,))
        return [Feedback(**{k: r[k] for k in r.keys()}) for r in rows]

    async def add_review(self, trace_id: str, developer_id: int, answers: Sequence[dict[str, Any]]) -> ReviewItem:
        """Queue a consensus disagreement for a person."""
        now = time.time()
        async with self._write() as db:
            cur = await db.execute(
                "INSERT INTO review_queue (trace_id, developer_id, status, answers_json, created_at) "
                "VALUES (?, ?, 'open', ?, ?)",
                (trace_id, developer_id, json.dumps(list(answers)), now),
            )
        return ReviewItem(cur.lastrowid, trace_id, developer_id, "open", tuple(answers), None, now, None)

    async def list_reviews(self, *, status: str | None = "open", developer_id: int | None = None) -> list[ReviewItem]:
        """Review items, oldest first, optionally by status and developer."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if developer_id is not None:
            where.append("developer_id = ?")
            params.append(developer_id)
        sql = "SELECT * FROM review_queue" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [self._review(r) for r in await self._fetchall(sql, params)]

    async def resolve_review(self, review_id: int, chosen_index: int | None) -> ReviewItem:
        """Close a review item with the chosen answer (``None`` dismisses it)."""
        status = "dismissed" if chosen_index is None else "resolved"
        async with self._write() as db:
            cur = await db.execute(
                "UPDATE review_queue SET status = ?, chosen_index = ?, resolved_at = ? WHERE id = ? AND status = 'open'",
                (status, chosen_index, time.time(), review_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no open review item {review_id}")
        row = await self._fetchone("SELECT * FROM review_queue WHERE id = ?", (review_id,))
        return self._review(row)

    @staticmethod
    def _review(row: sqlite3.Row) -> ReviewItem:
        return ReviewItem(
            id=row["id"], trace_id=row["trace_id"], developer_id=row["developer_id"], status=row["status"],
            answers=tuple(json.loads(row["answers_json"])), chosen_index=row["chosen_index"],
            created_at=row["created_at"], resolved_at=row["resolved_at"],
        )

    # -- the routing matrix ---------------------------------------------------------------------

    async def matrix_version(self) -> int:
        """The current matrix version (0 before any cell was written)."""
        row = await self._fetchone("SELECT COALESCE(MAX(version), 0) FROM matrix_versions")
        return int(row[0])

    async def load_matrix(self) -> tuple[int, list[MatrixRow]]:
        """The current version and every cell."""
        version = await self.matrix_version()
        rows = await self._fetchall("SELECT * FROM matrix_cells ORDER BY task_type, band, model")
        return version, [
            MatrixRow(**{k: r[k] for k in r.keys() if k != "version"}) for r in rows
        ]

    async def save_matrix_cells(
        self, rows: Sequence[MatrixRow], *, source: str, note: str | None = None, replace: bool = False
    ) -> int:
        """Upsert cells as one new matrix version; returns that version (``replace``: only these cells remain)."""
        async with self._write() as db:
            if replace:
                await db.execute("DELETE FROM matrix_cells")
            async with db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM matrix_versions") as cur:
                version = int((await cur.fetchone())[0])
            await db.execute(
                "INSERT INTO matrix_versions (version, created_at, source, note) VALUES (?, ?, ?, ?)",
                (version, time.time(), source, note),
            )
            await _upsert_cells(db, rows, version)
        return version

    # -- metrics and budgets (issue 4) ---------------------------------------------------------------

    async def trace_facts(self, since: float, *, developer_id: int | None = None) -> list[dict[str, Any]]:
        """The columns metrics are computed from, for traces since a time (one developer's, or all)."""
        sql = (
            "SELECT t.id, t.developer_id, d.name AS developer, tm.name AS team, t.surface, t.created_at, "
            "t.outcome, t.latency_ms, t.ttft_ms, t.answered_model, t.chosen_model, t.task_type, t.cost_micros, "
            "t.fallback_used, t.escalated, t.input_tokens, t.output_tokens, t.complexity, t.policy "
            "FROM traces t JOIN developers d ON d.id = t.developer_id "
            "LEFT JOIN teams tm ON tm.id = d.team_id WHERE t.created_at >= ?"
        )
        params: list[Any] = [since]
        if developer_id is not None:
            sql += " AND t.developer_id = ?"
            params.append(developer_id)
        return await self._fetch_built(sql, params, _as_dict)

    async def attempt_facts(self, since: float, *, developer_id: int | None = None) -> list[tuple[str, str]]:
        """(model, status) of every attempt of traces since a time (one developer's, or all)."""
        sql = "SELECT a.model, a.status FROM attempts a JOIN traces t ON t.id = a.trace_id WHERE t.created_at >= ?"
        params: list[Any] = [since]
        if developer_id is not None:
            sql += " AND t.developer_id = ?"
            params.append(developer_id)
        return await self._fetch_built(sql, params, _as_tuple)

    async def trace_quality(self, since: float, *, developer_id: int | None = None) -> dict[str, float]:
        """Mean feedback score of each rated trace since a time (one developer's, or all)."""
        sql = (
            "SELECT f.trace_id, AVG(f.score) AS score FROM feedback f JOIN traces t ON t.id = f.trace_id "
            "WHERE t.created_at >= ?"
        )
        params: list[Any] = [since]
        if developer_id is not None:
            sql += " AND t.developer_id = ?"
            params.append(developer_id)
        sql += " GROUP BY f.trace_id"
        return dict(await self._fetch_built(sql, params, _as_tuple))

    async def get_team(self, team_id: int) -> Team:
        """One team by id, or ``NotFoundError``."""
        row = await self._fetchone("SELECT * FROM teams WHERE id = ?", (team_id,))
        if row is None:
            raise NotFoundError(f"no team with id {team_id}")
        return Team(row["id"], row["name"], row["created_at"])

    async def list_teams(self) -> list[Team]:
        """Every team, oldest first."""
        return [Team(r["id"], r["name"], r["created_at"]) for r in await self._fetchall("SELECT * FROM teams ORDER BY id")]

    async def reservations_of(self, trace_id: str) -> list[tuple[int, float, str, int, int]]:
        """(budget id, period start, status, reserved, settled) of every ledger row of one request."""
        rows = await self._fetchall(
            "SELECT budget_id, period_start, status, reserved_micros, settled_micros FROM ledger WHERE trace_id = ? "
            "ORDER BY budget_id",
            (trace_id,),
        )
        return [(r[0], float(r[1]), r[2], int(r[3]), int(r[4])) for r in rows]

    async def ledger_totals(self, budget_id: int) -> dict[str, int]:
        """Sums of one budget's ledger over all periods, by status (micro-dollars; for audits and tests)."""
        rows = await self._fetchall(
            "SELECT status, COALESCE(SUM(CASE WHEN status = 'settled' THEN settled_micros ELSE reserved_micros END), 0) "
            "AS total, COUNT(*) AS n FROM ledger WHERE budget_id = ? GROUP BY status",
            (budget_id,),
        )
        totals = {"open": 0, "settled": 0, "released": 0}
        totals.update({r["status"]: int(r["total"]) for r in rows})
        return totals

    async def _record_lost_traces(self, db: aiosqlite.Connection) -> None:
        """At start: a request settled in the ledger whose trace the crash lost gets a stub trace.

        Its cost was really spent, so the ledger keeps it; the stub (outcome ``error``) makes the
        traces add up to the ledger and shows the spend in metrics. Only settlements made after the
        previous start's check (the ``lost_traces_checked`` mark) are looked at, so a trace that
        retention deleted is revived at most once (only when it was settled and deleted within one
        run, and retention at start deletes the stub again), and a restart with nothing new to
        recover writes nothing. A database without the mark (made before it) looks at the last hour
        of ledger activity, as before.
        """
        await db.execute(
            "INSERT INTO traces (id, developer_id, surface, created_at, outcome, latency_ms, cost_micros, "
            "error_code, error_message) "
            "SELECT l.trace_id, b.scope_id, 'api', MIN(l.created_at), 'error', 0, MAX(l.settled_micros), "
            "'internal_error', 'the daemon stopped before this trace was written; its settled cost is kept' "
            "FROM ledger l JOIN budgets b ON b.id = l.budget_id "
            "WHERE l.status = 'settled' AND b.scope = 'developer' AND l.trace_id NOT LIKE 'carried:%' "
            "AND l.trace_id NOT IN (SELECT id FROM traces) "
            "AND l.closed_at > COALESCE((SELECT value FROM store_marks WHERE name = 'lost_traces_checked'), "
            "(SELECT MAX(closed_at) FROM ledger WHERE status = 'settled') - 3600) "
            "GROUP BY l.trace_id, b.scope_id"
        )
        await self._mark_traces_checked(db)

    @staticmethod
    async def _mark_traces_checked(db: aiosqlite.Connection) -> None:
        """Every settlement so far has its trace (or its stub): the next start looks only past it."""
        await db.execute(
            "INSERT INTO store_marks (name, value) SELECT 'lost_traces_checked', MAX(closed_at) FROM ledger "
            "WHERE status = 'settled' AND closed_at IS NOT NULL HAVING MAX(closed_at) IS NOT NULL "
            "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)"
        )

    # -- team store support (issue 9) -----------------------------------------------------------------

    async def update_matrix(
        self,
        change: Callable[[int, list[MatrixRow]], Sequence[MatrixRow]],
        *,
        source: str,
        note: str | None = None,
    ) -> tuple[int, list[MatrixRow]]:
        """Read the matrix, save ``change(version, cells)`` (the changed cells) as one new version, and
        return the new version with every cell, with no other write in between: evidence folded in
        by two writers at once is never lost. No changed cells: nothing is written."""
        async with self._write() as db:
            async with db.execute("SELECT COALESCE(MAX(version), 0) FROM matrix_versions") as cur:
                version = int((await cur.fetchone())[0])
            async with db.execute("SELECT * FROM matrix_cells ORDER BY task_type, band, model") as cur:
                cells = [MatrixRow(**{k: r[k] for k in r.keys() if k != "version"}) for r in await cur.fetchall()]
            changed = list(change(version, cells))
            if not changed:
                return version, cells
            version += 1
            await db.execute(
                "INSERT INTO matrix_versions (version, created_at, source, note) VALUES (?, ?, ?, ?)",
                (version, time.time(), source, note),
            )
            await _upsert_cells(db, changed, version)
            async with db.execute("SELECT * FROM matrix_cells ORDER BY task_type, band, model") as cur:
                cells = [MatrixRow(**{k: r[k] for k in r.keys() if k != "version"}) for r in await cur.fetchall()]
        return version, cells
