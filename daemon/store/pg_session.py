"""A daemon's presence in the team store: one dedicated PostgreSQL connection that

- holds a session-level advisory lock on the store's random session id, for as long as the daemon
  lives: PostgreSQL drops the lock with the connection, which is how other daemons' reconciliation
  tells a dead daemon (its reservations may be closed) from a live one (never touched);
- LISTENs for new routing-matrix versions.

When the connection is lost while the daemon runs (PostgreSQL restarted, a network cut), it is
restored in the background with the same session id, and the loss is logged: if another daemon
reconciled this one's reservations in the meantime, that is said loudly, because the settles of
requests in flight then have no open reservation left to close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger("switchboard.store")

Listener = Callable[[Any, int, str, str], None]
"""asyncpg's notification callback: (connection, pid, channel, payload)."""


class StoreSession:
    """The dedicated connection of one open ``PostgresStore``."""

    def __init__(self, url: str, session_id: int, host: str, channel: str, on_notify: Listener,
                 on_restored: Callable[[], None]) -> None:
        self._url = url
        self.id = session_id
        self._host = host
        self._channel = channel
        self._on_notify = on_notify
        self._on_restored = on_restored
        self._conn: asyncpg.Connection | None = None
        self._restoring: asyncio.Task[None] | None = None
        self._closing = False

    async def connect(self) -> asyncpg.Connection:
        """A new connection named after the session (visible in ``pg_stat_activity``)."""
        return await asyncpg.connect(
            self._url, timeout=10, server_settings={"application_name": f"switchboard session {self.id}"}
        )

    async def attach(self, conn: asyncpg.Connection, *, register: bool = True) -> None:
        """Take the lock, register the session, LISTEN, and watch for the connection's loss."""
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.id):
            raise asyncpg.InterfaceError(f"session {self.id} is still held by a connection that is going away")
        if register:
            await conn.execute(
                "INSERT INTO store_sessions (id, host, pid, started_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (id) DO NOTHING",
                self.id, self._host, os.getpid(), time.time(),
            )
        await conn.add_listener(self._channel, self._on_notify)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    async def close(self) -> None:
        """Stop restoring and close the connection (the lock goes with it)."""
        self._closing = True
        if self._restoring is not None:
            self._restoring.cancel()
            await asyncio.gather(self._restoring, return_exceptions=True)
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None

    def _lost(self, _conn: asyncpg.Connection) -> None:
        if self._closing or self._restoring is not None:
            return
        log.error("lost the team store session connection (session %d); reconnecting", self.id)
        self._restoring = asyncio.get_running_loop().create_task(self._restore(), name="store-session-restore")

    async def _restore(self) -> None:
        delay = 0.2
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await self.connect()
                registered = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM store_sessions WHERE id = $1)", self.id)
                if not registered:
                    log.error(
                        "while this daemon was cut off from the team store, another daemon reconciled its open "
                        "reservations: requests that were in flight then may be missing from the ledger"
                    )
                await self.attach(conn)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if conn is not None and not conn.is_closed():
                    await conn.close()
                log.warning("team store session not restored yet (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            log.warning("team store session %d restored", self.id)
            self._restoring = None
            self._on_restored()  # versions NOTIFYed while cut off were missed: look now
            return
