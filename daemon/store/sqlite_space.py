"""Giving back the file space retention frees, in SQLite. A mixin of ``SqliteStore`` (split off to keep
each module one idea); it only uses the connections and the write lock the store defines.

Databases are ``auto_vacuum = INCREMENTAL`` (an older one is switched by one ``VACUUM`` the first time a
prune leaves most of it free), deletions run in bounded batches with a checkpoint after each, and
``reclaim_space`` returns free pages in bounded steps, so neither the file nor its WAL keeps the size of
what was deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

PRUNE_BATCH = 500
"""Traces deleted per transaction by retention, with a checkpoint after each: the WAL holds one batch's
pages (a few MB), not everything a pass deletes (364 MB in one pass before)."""
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024
"""Bytes the WAL is truncated back to after a checkpoint that emptied it (it grows past this only
within one transaction)."""
WAL_AUTOCHECKPOINT_PAGES = 1000
"""SQLite's default, stated: a checkpoint once the WAL holds ~4 MB of committed pages."""
VACUUM_STEP_PAGES = 2048
"""Free pages returned to the file system per step of ``reclaim_space`` (8 MB at 4 KiB pages): one step
holds the write lock for milliseconds, and the WAL never holds more than one step's pages."""
SWITCH_TO_INCREMENTAL_FREE_SHARE = 0.25
"""A database made before incremental vacuum (``auto_vacuum = NONE``) is rebuilt by one ``VACUUM`` when
at least this share of it is free pages: then the rebuild copies only the live rows (the smaller
part), and it happens once — afterwards the file shrinks step by step."""


class SpaceUpkeep:
    """Prune traces in bounded batches and give the freed pages back to the file system."""

    if TYPE_CHECKING:
        path: Path
        _writer: aiosqlite.Connection | None
        _write_lock: asyncio.Lock

        def _write(self) -> contextlib.AbstractAsyncContextManager[aiosqlite.Connection]: ...
        async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None: ...

    async def prune_traces(self, older_than: float, keep_at_most: int) -> int:
        """Delete traces older than a time, then the oldest beyond a count. Returns rows deleted.

        In batches of ``PRUNE_BATCH``, each its own transaction followed by a checkpoint: requests'
        writes interleave with a long pass, and the WAL holds one batch, not the whole deletion."""
        deleted = await self._delete_in_batches(
            "DELETE FROM traces WHERE id IN (SELECT id FROM traces WHERE created_at < ? ORDER BY created_at LIMIT ?)",
            (older_than,),
        )
        row = await self._fetchone("SELECT COUNT(*) FROM traces")
        excess = int(row[0]) - keep_at_most
        if excess > 0:
            deleted += await self._delete_in_batches(
                "DELETE FROM traces WHERE id IN (SELECT id FROM traces ORDER BY created_at LIMIT ?)", (), most=excess,
            )
        return deleted

    async def _delete_in_batches(self, sql: str, params: tuple[Any, ...], *, most: int | None = None) -> int:
        """Run a ``... LIMIT ?`` deletion batch by batch (at most ``most`` rows in all) until it deletes
        less than a batch; a checkpoint after each keeps the WAL at one batch's size."""
        deleted = 0
        while most is None or deleted < most:
            batch = PRUNE_BATCH if most is None else min(PRUNE_BATCH, most - deleted)
            async with self._write() as db:
                cur = await db.execute(sql, (*params, batch))
                count = cur.rowcount
                await cur.close()
            deleted += count
            if count:
                await self._checkpoint()
            if count < batch:
                break
        return deleted

    async def _checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the WAL into the database. ``PASSIVE`` never waits for readers (what a reader's snapshot
        still needs stays for a later checkpoint), and the next write starts the WAL over, cut back to
        ``journal_size_limit``; ``TRUNCATE`` (once, at the end of ``reclaim_space``) waits for readers to
        finish their query, then empties the WAL file."""
        assert self._writer is not None, "store is not open"
        async with self._write_lock:
            await self._writer.execute_fetchall(f"PRAGMA wal_checkpoint({mode})")

    async def reclaim_space(self) -> int:
        """Give the free pages retention left back to the file system; returns the bytes given back.

        ``PRAGMA incremental_vacuum`` in steps of ``VACUUM_STEP_PAGES``, a checkpoint after each (the
        file shrinks at the checkpoint, and the WAL holds one step). A database made before
        incremental vacuum cannot shrink that way: it is rebuilt by one ``VACUUM`` (which also switches
        it to incremental) once free pages are ``SWITCH_TO_INCREMENTAL_FREE_SHARE`` of it or more —
        then the rebuild copies the smaller, live part; with less free space it waits for a later pass.
        """
        assert self._writer is not None, "store is not open"
        before = self._file_bytes()
        mode, pages, free = await self._space()
        if mode == 1:  # FULL (set by hand): SQLite shrinks the file at every commit itself
            return 0
        if mode == 0:  # NONE: made before incremental vacuum
            if pages and free / pages >= SWITCH_TO_INCREMENTAL_FREE_SHARE:
                async with self._write_lock:
                    await self._writer.execute("PRAGMA auto_vacuum=INCREMENTAL")
                    await self._writer.execute("VACUUM")
                await self._checkpoint("TRUNCATE")
            return max(0, before - self._file_bytes())
        while free > 0:
            async with self._write_lock:
                # As a script: a plain execute steps the pragma once, and each step frees one page.
                await self._writer.executescript(f"PRAGMA incremental_vacuum({VACUUM_STEP_PAGES});")
            await self._checkpoint()
            _, _, left = await self._space()
            if left >= free:  # nothing moved (a reader's snapshot pins the pages): a later pass goes on
                break
            free = left
        await self._checkpoint("TRUNCATE")
        return max(0, before - self._file_bytes())

    async def _space(self) -> tuple[int, int, int]:
        """(auto_vacuum mode, pages, free pages) of the database, as the writer sees it."""
        assert self._writer is not None, "store is not open"
        async with self._write_lock:
            values = []
            for pragma in ("auto_vacuum", "page_count", "freelist_count"):
                rows = await self._writer.execute_fetchall(f"PRAGMA {pragma}")
                values.append(int(next(iter(rows))[0]))
        return values[0], values[1], values[2]

    def _file_bytes(self) -> int:
        """The database file and its WAL, in bytes (what the user's disk holds)."""
        total = 0
        for name in (self.path.name, self.path.name + "-wal"):
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(self.path.with_name(name)).st_size
        return total
