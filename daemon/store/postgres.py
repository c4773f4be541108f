"""The PostgreSQL store: the team's shared state, the same interface as ``SqliteStore``.

Many daemons (one per developer machine) open the same database; the daemons stay stateless and
PostgreSQL is the one place budgets, traces and the routing matrix live. What makes that exact:

- **Reservations** lock the claimed budget rows (``SELECT ... FOR UPDATE``, in id order so two
  reservations never deadlock) before summing the period's ledger, so two daemons racing for the
  last dollar of a budget are serialised by the database and cannot both win.
- **Sessions**: each open store registers a random session id and holds a session-level advisory
  lock on it for as long as its connection lives. Open ledger rows carry their owner's session. A
  daemon that dies (kill -9, power cut) loses its connection, PostgreSQL drops the lock, and any
  other daemon's ``reconcile_open_reservations`` then closes those rows — but never a live daemon's
  (``daemon.store.pg_session``; a lost session connection is restored with the same id).
- **Matrix versions** are allocated under a table lock and announced with ``NOTIFY`` on commit;
  ``subscribe_matrix_changes`` passes them on (see ``daemon.store.watch`` for the bound).
- **Traces** record the host that served them.

Choose the database (and optionally a schema) with the URL:
``postgresql://user@host:5432/db`` or ``postgresql://user@host:5432/db?search_path=team_a``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from daemon.errors import BudgetExceededError, InvalidRequestError, NotFoundError, StoreUnavailableError
from daemon.store.pg_session import StoreSession
from daemon.store.postgres_history import MATRIX_CHANNEL, HistoryQueries
from daemon.store.postgres_metrics import MetricsQueries
from daemon.store.postgres_outcomes import OutcomeQueries
from daemon.store.records import CHARGED_IN_FLIGHT, Budget, Developer, Reservation, Team, carried_id
from daemon.store.schema_postgres import MIGRATIONS

log = logging.getLogger("switchboard.store")

POOL_SIZE = 10
"""Connections per daemon; a reservation holds one for a few milliseconds."""
CONNECT_SECONDS = 10.0
"""How long to wait for a connection to the team store before saying it is unavailable."""
COMMAND_SECONDS = 30.0
"""How long one statement (or waiting for a pooled connection) may take before the request fails."""


def redacted_url(url: str) -> str:
    """The URL without a password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _developer(row: asyncpg.Record) -> Developer:
    return Developer(
        id=row["id"], name=row["name"], os_user=row["os_user"], team_id=row["team_id"],
        is_admin=row["is_admin"], created_at=row["created_at"],
    )


def _budget(row: asyncpg.Record) -> Budget:
    return Budget(
        id=row["id"], scope=row["scope"], scope_id=row["scope_id"], period=row["period"],
        limit_micros=row["limit_micros"], soft_threshold=row["soft_threshold"],
        critical_only_threshold=row["critical_only_threshold"],
    )


def _rowcount(status: str) -> int:
    """Rows touched, from a command tag such as ``UPDATE 3``."""
    return int(status.rsplit(" ", 1)[-1])


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class PostgresStore(HistoryQueries, MetricsQueries, OutcomeQueries):
    """The store interface over one PostgreSQL database (or one schema of it), shared by many daemons."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.host = socket.gethostname()
        self.session_id = secrets.randbits(63)
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._session: StoreSession | None = None
        self._schema = ""
        self._subscribers: list[Callable[[int], None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, run pending migrations (one daemon at a time), register this session, LISTEN."""
        session = StoreSession(self.url, self.session_id, self.host, MATRIX_CHANNEL, self._on_notify,
                               self._wake_subscribers)
        with self._translated("connect to"):
            conn = await session.connect()
            try:
                await _init_connection(conn)
                self._schema = await self._ensure_schema(conn)
                await self._migrate(conn)
                await session.attach(conn)
                self._pool = await asyncpg.create_pool(
                    self.url, min_size=1, max_size=self._pool_size, init=_init_connection,
                    timeout=CONNECT_SECONDS, command_timeout=COMMAND_SECONDS,
                )
            except BaseException:
                await session.close()
                await conn.close()
                raise
        self._session = session

    async def close(self) -> None:
        """Close every connection (committed writes are durable).

        The session row stays: the next reconciliation by any daemon treats a closed session like a
        crashed one, so anything this daemon left behind is settled or released the same way.
        """
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def file_problem(self) -> str | None:
        """A server's database is no local file: nothing to watch here."""
        return None

    async def schema_version(self) -> int:
        """The schema version this database is at."""
        async with self._conn() as conn:
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    @staticmethod
    async def _ensure_schema(conn: asyncpg.Connection) -> str:
        """The schema this store lives in, created when ``search_path`` names one that does not exist yet."""
        schema = await conn.fetchval("SELECT current_schema()")
        if schema is None:
            first = (await conn.fetchval("SELECT current_setting('search_path')")).split(",")[0].strip().strip('"')
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{first}"')
            schema = await conn.fetchval("SELECT current_schema()")
        return str(schema)

    async def _migrate(self, conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            # Daemons of a team start together; one migrates, the others wait and then find it done.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('switchboard.migrate.' || current_schema()))")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            current = int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
            if current > len(MIGRATIONS):
                raise InvalidRequestError(
                    f"the team store {redacted_url(self.url)} has schema version {current}, newer than this "
                    f"Switchboard ({len(MIGRATIONS)}); upgrade Switchboard on this machine"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                await conn.execute(MIGRATIONS[version - 1])
                await conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", version, time.time()
                )

    @contextlib.contextmanager
    def _translated(self, doing: str = "use") -> Any:
        """Driver errors that mean "the server is gone" become ``StoreUnavailableError``, at this one boundary.

        At start (``open``) the message names the store and the driver's words: only the daemon's owner
        sees it. While serving, it goes to whoever made the request, team key holders included, so it
        names neither the store's URL nor its host (the driver's words often hold an address): the
        log has both, for the owner."""
        try:
            yield
        except (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
            if doing != "use":
                raise StoreUnavailableError(
                    f"could not {doing} the team store at {redacted_url(self.url)}: {exc}. Check that PostgreSQL "
                    "runs and accepts connections from this machine, or fix [store] url in the config"
                ) from exc
            log.warning("could not use the team store at %s: %s: %s", redacted_url(self.url), type(exc).__name__, exc)
            raise StoreUnavailableError(
                f"the daemon could not reach its team store ({type(exc).__name__}); retry in a moment. The "
                "daemon's log says which store and why"
            ) from exc

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection outside any transaction (single statements are atomic on their own)."""
        assert self._pool is not None, "store is not open"
        with self._translated():
            async with self._pool.acquire(timeout=COMMAND_SECONDS) as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _tx(self, **options: Any) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection inside one transaction (committed on exit, rolled back on error)."""
        async with self._conn() as conn, conn.transaction(**options):
            yield conn

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One raw transaction, for ``daemon.store.copy`` only (nothing outside the store package writes SQL)."""
        async with self._tx() as conn:
            yield conn

    # -- matrix change notifications -----------------------------------------------------------

    def subscribe_matrix_changes(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(version)`` whenever any daemon commits a new matrix version; returns the unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        schema, _, version = payload.rpartition(":")
        if schema == self._schema:
            for callback in list(self._subscribers):
                callback(int(version))

    def _wake_subscribers(self) -> None:
        """After the session was restored: notifications sent meanwhile were lost, so ask everyone to look."""
        for callback in list(self._subscribers):
            callback(0)

    # -- developers and keys ----------------------------------------------------------------

    async def create_developer(
        self, name: str, *, os_user: str | None = None, is_admin: bool = False, team_id: int | None = None
    ) -> Developer:
        """Add a developer; a taken name is an ``InvalidRequestError``."""
        now = time.time()
        try:
            async with self._conn() as conn:
                dev_id = await conn.fetchval(
                    "INSERT INTO developers (name, os_user, team_id, is_admin, created_at) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    name, os_user, team_id, is_admin, now,
                )
        except asyncpg.UniqueViolationError:
            raise InvalidRequestError(f"a developer named {name!r} already exists; pick another name") from None
        return Developer(dev_id, name, os_user, team_id, is_admin, now)

    async def developer_for_os_user(self, os_user: str) -> Developer:
        """The developer record of a local OS user, created on first use.

        Unlike a private SQLite store, the team store makes only its first such developer an admin:
        an admin sees every developer's traces, and ten laptops must not make ten admins.
        """
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM developers WHERE os_user = $1", os_user)
        if row is not None:
            return _developer(row)
        async with self._tx() as conn:
            # Serialise first-use creation across daemons; the lock ends with the transaction.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('switchboard.os_user.' || current_schema()))")
            row = await conn.fetchrow("SELECT * FROM developers WHERE os_user = $1", os_user)
            if row is None:
                taken = await conn.fetchval("SELECT 1 FROM developers WHERE name = $1", os_user)
                first_admin = await conn.fetchval("SELECT NOT EXISTS (SELECT 1 FROM developers WHERE is_admin)")
                row = await conn.fetchrow(
                    "INSERT INTO developers (name, os_user, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
                    f"{os_user}@local" if taken else os_user, os_user, first_admin, time.time(),
                )
        return _developer(row)

    async def get_developer(self, developer_id: int) -> Developer:
        """One developer by id, or ``NotFoundError``."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM developers WHERE id = $1", developer_id)
        if row is None:
            raise NotFoundError(f"no developer with id {developer_id}")
        return _developer(row)

    async def developer_by_name(self, name: str) -> Developer:
        """One developer by name, or ``NotFoundError``."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM developers WHERE name = $1", name)
        if row is None:
            raise NotFoundError(f"no developer named {name!r}; `switchboard dev list` shows who exists")
        return _developer(row)

    async def list_developers(self) -> list[Developer]:
        """Every developer, oldest first."""
        async with self._conn() as conn:
            return [_developer(r) for r in await conn.fetch("SELECT * FROM developers ORDER BY id")]

    async def add_key(self, developer_id: int, key_hash: str, prefix: str) -> None:
        """Store the hash of a new developer key (the key itself is never stored)."""
        async with self._conn() as conn:
            await conn.execute(
                "INSERT INTO developer_keys (developer_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4)",
                developer_id, key_hash, prefix, time.time(),
            )

    async def revoke_keys(self, developer_id: int) -> int:
        """Revoke every live key of a developer (kept, marked revoked); returns how many."""
        async with self._conn() as conn:
            status = await conn.execute(
                "UPDATE developer_keys SET revoked_at = $1 WHERE developer_id = $2 AND revoked_at IS NULL",
                time.time(), developer_id,
            )
        return int(status.split()[-1])

    async def developer_for_key_hash(self, key_hash: str) -> Developer | None:
        """The developer owning an unrevoked key with this hash."""
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "SELECT d.* FROM developer_keys k JOIN developers d ON d.id = k.developer_id "
                "WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
                key_hash,
            )
        return _developer(row) if row is not None else None

    async def key_hashes(self, developer_id: int) -> list[str]:
        """The stored key hashes of a developer (for audits and tests: never keys in clear)."""
        async with self._conn() as conn:
            rows = await conn.fetch("SELECT key_hash FROM developer_keys WHERE developer_id = $1 ORDER BY id", developer_id)
        return [r["key_hash"] for r in rows]

    async def set_admin(self, developer_id: int, is_admin: bool) -> None:
        """Grant or withdraw admin rights."""
        async with self._conn() as conn:
            await conn.execute("UPDATE developers SET is_admin = $1 WHERE id = $2", is_admin, developer_id)

    async def create_team(self, name: str) -> Team:
        """Add a team; a taken name is an ``InvalidRequestError``."""
        now = time.time()
        try:
            async with self._conn() as conn:
                team_id = await conn.fetchval(
                    "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id", name, now
                )
        except asyncpg.UniqueViolationError:
            raise InvalidRequestError(f"a team named {name!r} already exists") from None
        return Team(team_id, name, now)

    async def team_by_name(self, name: str) -> Team:
        """One team by name, or ``NotFoundError``."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM teams WHERE name = $1", name)
        if row is None:
            raise NotFoundError(f"no team named {name!r}")
        return Team(row["id"], row["name"], row["created_at"])

    async def set_team(self, developer_id: int, team_id: int | None) -> None:
        """Put a developer in a team (a developer belongs to at most one)."""
        async with self._conn() as conn:
            await conn.execute("UPDATE developers SET team_id = $1 WHERE id = $2", team_id, developer_id)

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
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "INSERT INTO budgets (scope, scope_id, period, limit_micros, soft_threshold, "
                "critical_only_threshold, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (scope, scope_id) DO UPDATE SET period = excluded.period, "
                "limit_micros = excluded.limit_micros, soft_threshold = excluded.soft_threshold, "
                "critical_only_threshold = excluded.critical_only_threshold, updated_at = excluded.updated_at "
                "RETURNING *",
                scope, scope_id, period, limit_micros, soft_threshold, critical_only_threshold, time.time(),
            )
        return _budget(row)

    async def budget_for(self, scope: str, scope_id: int) -> Budget | None:
        """The budget of one developer, team or the evaluation job, if any."""
        async with self._conn() as conn:
            row = await conn.fetchrow("SELECT * FROM budgets WHERE scope = $1 AND scope_id = $2", scope, scope_id)
        return _budget(row) if row is not None else None

    async def list_budgets(self) -> list[Budget]:
        """Every budget."""
        async with self._conn() as conn:
            return [_budget(r) for r in await conn.fetch("SELECT * FROM budgets ORDER BY id")]

    async def spend(self, budget_id: int, period_start: float) -> tuple[int, int]:
        """(settled, open reservations) in micro-dollars for one budget period."""
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "SELECT COALESCE(SUM(settled_micros) FILTER (WHERE status = 'settled'), 0) AS settled, "
                "COALESCE(SUM(reserved_micros) FILTER (WHERE status = 'open'), 0) AS reserved "
                "FROM ledger WHERE budget_id = $1 AND period_start = $2",
                budget_id, period_start,
            )
        return int(row["settled"]), int(row["reserved"])

    async def reserve(
        self, trace_id: str, claims: Sequence[tuple[Budget, float]], amount_micros: int
    ) -> Reservation:
        """Atomically reserve ``amount_micros`` against every (budget, period start) or none of them.

        Before refusing, the reservations of daemons that died are closed and the claim is tried
        once more: a dead daemon must not make a team budget look spent until someone restarts it.
        """
        try:
            return await self._reserve_once(trace_id, claims, amount_micros)
        except BudgetExceededError:
            if not any(await self._reconcile()):
                raise
        return await self._reserve_once(trace_id, claims, amount_micros)

    async def _reserve_once(
        self, trace_id: str, claims: Sequence[tuple[Budget, float]], amount_micros: int
    ) -> Reservation:
        # The budget rows stay locked until commit, so every other daemon's reservation against the
        # same budgets waits and then sees this one: the sum below is never stale.
        ids = sorted({budget.id for budget, _ in claims})
        now = time.time()
        try:
            async with self._tx() as conn:
                locked = await conn.fetch(
                    "SELECT id, limit_micros FROM budgets WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", ids
                )
                limits = {r["id"]: r["limit_micros"] for r in locked}
                # Every claim's use in one round trip: the budget rows are locked until commit.
                spent = await conn.fetch(
                    "SELECT c.i, COALESCE(SUM(CASE WHEN l.status = 'settled' THEN l.settled_micros "
                    "WHEN l.status = 'open' THEN l.reserved_micros END), 0) AS used "
                    "FROM unnest($1::bigint[], $2::float8[]) WITH ORDINALITY AS c(budget_id, period_start, i) "
                    "LEFT JOIN ledger l ON l.budget_id = c.budget_id AND l.period_start = c.period_start "
                    "GROUP BY c.i",
                    [b.id for b, _ in claims], [start for _, start in claims],
                )
                use = {r["i"]: int(r["used"]) for r in spent}
                for i, (budget, _) in enumerate(claims, 1):
                    if budget.id not in limits:
                        raise NotFoundError(f"the {budget.scope} budget {budget.id} was deleted; retry the request")
                    used = use[i]
                    if used + amount_micros > limits[budget.id]:
                        raise BudgetExceededError(
                            f"the {budget.scope} budget would be exceeded",
                            details={"budget_id": budget.id, "used_micros": used,
                                     "limit_micros": limits[budget.id]},
                        )
                await conn.executemany(
                    "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, created_at, "
                    "owner_session) VALUES ($1, $2, $3, 'open', $4, $5, $6)",
                    [(trace_id, b.id, start, amount_micros, now, self.session_id) for b, start in claims],
                )
        except asyncpg.UniqueViolationError:
            raise InvalidRequestError(f"trace {trace_id!r} already holds a reservation; use a new trace id") from None
        return Reservation(trace_id, tuple(b.id for b, _ in claims), amount_micros)

    async def settle(self, trace_id: str, actual_micros: int) -> None:
        """Close a request's reservations with its true cost (the rest is released)."""
        async with self._conn() as conn:
            await conn.execute(
                "UPDATE ledger SET status = 'settled', settled_micros = $1, closed_at = $2 "
                "WHERE trace_id = $3 AND status = 'open'",
                actual_micros, time.time(), trace_id,
            )

    async def release(self, trace_id: str) -> None:
        """Drop a request's reservations entirely (the call failed or was refused)."""
        async with self._conn() as conn:
            await conn.execute(
                "UPDATE ledger SET status = 'released', closed_at = $1 WHERE trace_id = $2 AND status = 'open'",
                time.time(), trace_id,
            )

    async def reconcile_open_reservations(self) -> int:
        """Close the open reservations of daemons that are gone: settle those whose trace was recorded
        (at the trace's cost); charge the rest their reservation, with a stub trace (a call in flight when
        its daemon died may have been billed). Live daemons' reservations are left alone.

        A daemon is gone when its session's advisory lock is free (PostgreSQL drops it with the
        connection). Safe to call from any daemon at any time; returns the reservations charged.
        """
        return (await self._reconcile())[1]

    async def _reconcile(self) -> tuple[int, int]:
        """(reservations settled from their trace, charged their reservation) of gone daemons."""
        now = time.time()
        async with self._tx() as conn:
            candidates = await conn.fetch(
                "SELECT id FROM store_sessions WHERE id <> $1 UNION "
                "SELECT DISTINCT owner_session FROM ledger WHERE status = 'open' AND owner_session <> $1",
                self.session_id,
            )
            gone = [
                r["id"] for r in candidates
                if await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", r["id"])
            ]
            orphan = "status = 'open' AND (owner_session IS NULL OR owner_session = ANY($2::bigint[]))"
            settled = _rowcount(await conn.execute(
                "UPDATE ledger SET status = 'settled', closed_at = $1, settled_micros = t.cost_micros "
                f"FROM traces t WHERE t.id = ledger.trace_id AND {orphan}",
                now, gone,
            ))
            await conn.execute(
                "INSERT INTO traces (id, developer_id, surface, created_at, outcome, latency_ms, cost_micros, "
                "error_code, error_message, host) "
                "SELECT l.trace_id, b.scope_id, 'api', MIN(l.created_at), 'error', 0, MAX(l.reserved_micros), "
                "'internal_error', $2, MAX(s.host) FROM ledger l JOIN budgets b ON b.id = l.budget_id "
                "LEFT JOIN store_sessions s ON s.id = l.owner_session "
                "WHERE l.status = 'open' AND (l.owner_session IS NULL OR l.owner_session = ANY($1::bigint[])) "
                "AND b.scope = 'developer' AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.id = l.trace_id) "
                "GROUP BY l.trace_id, b.scope_id ON CONFLICT (id) DO NOTHING",
                gone, CHARGED_IN_FLIGHT,
            )
            charged = _rowcount(await conn.execute(
                f"UPDATE ledger SET status = 'settled', settled_micros = reserved_micros, closed_at = $1 WHERE {orphan}",
                now, gone,
            ))
            await self._record_lost_traces(conn, gone)
            await conn.execute("DELETE FROM store_sessions WHERE id = ANY($1::bigint[])", gone)
        return settled, charged

    async def carry_spend(self, budget_id: int, period_start: float, micros: int) -> None:
        """Count spend made before a budget existed in its period (a settled ledger row, once per period)."""
        now = time.time()
        async with self._conn() as conn:
            await conn.execute(
                "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, settled_micros, "
                "created_at, closed_at) VALUES ($1, $2, $3, 'settled', 0, $4, $5, $5) "
                "ON CONFLICT (trace_id, budget_id) DO NOTHING",
                carried_id(budget_id, period_start), budget_id, period_start, micros, now,
            )

    @staticmethod
    async def _record_lost_traces(conn: asyncpg.Connection, gone: list[int]) -> None:
        """A request a gone daemon settled but never traced (traces are written in batches, after
        settling) gets a stub trace carrying its settled cost and the gone daemon's host, so the
        traces add up to the ledger. The same rule as ``SqliteStore``, limited to gone daemons."""
        await conn.execute(
            "INSERT INTO traces (id, developer_id, surface, created_at, outcome, latency_ms, cost_micros, "
            "error_code, error_message, host) "
            "SELECT l.trace_id, b.scope_id, 'api', MIN(l.created_at), 'error', 0, MAX(l.settled_micros), "
            "'internal_error', 'the daemon stopped before this trace was written; its settled cost is kept', "
            "MAX(s.host) "
            "FROM ledger l JOIN budgets b ON b.id = l.budget_id LEFT JOIN store_sessions s ON s.id = l.owner_session "
            "WHERE l.status = 'settled' AND b.scope = 'developer' AND l.trace_id NOT LIKE 'carried:%' "
            "AND (l.owner_session IS NULL OR l.owner_session = ANY($1::bigint[])) "
            "AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.id = l.trace_id) "
            "AND l.closed_at >= (SELECT MAX(closed_at) FROM ledger WHERE status = 'settled') - 3600 "
            "GROUP BY l.trace_id, b.scope_id ON CONFLICT (id) DO NOTHING",
            gone,
        )
