"""``switchboard store copy``: move a developer's history from their SQLite store into the team's
PostgreSQL store.

The copy is one PostgreSQL transaction (all or nothing) and idempotent: running it twice copies
nothing the second time. Ids are not carried over, because the team store has its own: teams and
developers are matched by name, keys by hash, budgets by (scope, owner), traces and ledger rows by
their trace ids. What the team already has wins:
- an existing developer, team or budget of the same name/owner is kept as it is;
- a developer the copy creates is never an admin (a personal store makes its owner admin; the team
  decides its admins with ``switchboard dev``);
- the routing matrix is copied only into a team store that has none yet (matrices are not merged);
- learned outcomes are added to the team's (matched by trace, model, source and time).
Traces without a host get this machine's name: that is where they ran.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from daemon.errors import InvalidRequestError
from daemon.store.postgres import PostgresStore
from daemon.store.sqlite import SqliteStore
from daemon.store.sqlite_outcomes import OUTCOME_COLUMNS


@dataclass
class CopyReport:
    """What a copy did, per table: rows copied and rows the team store already had (skipped)."""

    copied: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, table: str, inserted: bool) -> None:
        """Count one source row."""
        bucket = self.copied if inserted else self.skipped
        bucket[table] = bucket.get(table, 0) + 1


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL."""
    if not url.startswith("sqlite:///"):
        raise InvalidRequestError(f"--from must be sqlite:///PATH (a developer's SQLite store), not {url!r}")
    return Path(url.removeprefix("sqlite:///"))


async def copy_sqlite_to_postgres(source_url: str, target_url: str) -> CopyReport:
    """Copy everything of the SQLite store at ``source_url`` into the PostgreSQL store at ``target_url``."""
    path = sqlite_path(source_url)
    if not path.is_file():
        raise InvalidRequestError(f"no SQLite store at {path}; `switchboard status` shows the data dir in use")
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise InvalidRequestError(f"--to must be a postgresql:// URL (the team store), not {target_url!r}")
    source_store = SqliteStore(path)
    await source_store.open()  # brings an older personal store to the current schema first
    await source_store.close()
    target = PostgresStore(target_url, pool_size=2)
    await target.open()
    try:
        async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as src:
            src.row_factory = sqlite3.Row
            async with target.transaction() as dst:
                return await _copy(src, dst, socket.gethostname())
    finally:
        await target.close()


async def _rows(src: aiosqlite.Connection, sql: str) -> list[sqlite3.Row]:
    async with src.execute(sql) as cur:
        return list(await cur.fetchall())


async def _copy(src: aiosqlite.Connection, dst: asyncpg.Connection, host: str) -> CopyReport:
    report = CopyReport()
    teams: dict[int, int] = {}
    for r in await _rows(src, "SELECT * FROM teams ORDER BY id"):
        new = await dst.fetchval(
            "INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
            r["name"], r["created_at"],
        )
        report.count("teams", new is not None)
        teams[r["id"]] = new or await dst.fetchval("SELECT id FROM teams WHERE name = $1", r["name"])

    developers: dict[int, int] = {}
    for r in await _rows(src, "SELECT * FROM developers ORDER BY id"):
        existing = await dst.fetchval("SELECT id FROM developers WHERE name = $1", r["name"])
        if existing is None:
            os_user = r["os_user"]
            if os_user is not None and await dst.fetchval("SELECT 1 FROM developers WHERE os_user = $1", os_user):
                os_user = None  # another team member already signs in as this OS user
            existing = await dst.fetchval(
                "INSERT INTO developers (name, os_user, team_id, is_admin, created_at) "
                "VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
                r["name"], os_user, teams.get(r["team_id"]), r["created_at"],
            )
            report.count("developers", True)
        else:
            report.count("developers", False)
        developers[r["id"]] = existing

    for r in await _rows(src, "SELECT * FROM developer_keys ORDER BY id"):
        status = await dst.execute(
            "INSERT INTO developer_keys (developer_id, key_hash, prefix, created_at, revoked_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash) DO NOTHING",
            developers[r["developer_id"]], r["key_hash"], r["prefix"], r["created_at"], r["revoked_at"],
        )
        report.count("developer_keys", status.endswith(" 1"))

    budgets = await _copy_budgets(src, dst, report, developers, teams)
    await _copy_traces(src, dst, report, developers, host)

    for r in await _rows(src, "SELECT * FROM ledger ORDER BY id"):
        status = await dst.execute(
            "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, settled_micros, "
            "created_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (trace_id, budget_id) DO NOTHING",
            r["trace_id"], budgets[r["budget_id"]], r["period_start"], r["status"], r["reserved_micros"],
            r["settled_micros"], r["created_at"], r["closed_at"],
        )
        report.count("ledger", status.endswith(" 1"))

    for r in await _rows(src, "SELECT * FROM feedback ORDER BY id"):
        new = await dst.fetchval(
            "INSERT INTO feedback (trace_id, developer_id, source, score, comment, created_at) "
            "SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM feedback "
            "WHERE trace_id = $1 AND source = $3 AND created_at = $6) RETURNING id",
            r["trace_id"], developers.get(r["developer_id"]), r["source"], r["score"], r["comment"], r["created_at"],
        )
        report.count("feedback", new is not None)

    for r in await _rows(src, "SELECT * FROM review_queue ORDER BY id"):
        new = await dst.fetchval(
            "INSERT INTO review_queue (trace_id, developer_id, status, answers_json, chosen_index, created_at, "
            "resolved_at) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM review_queue "
            "WHERE trace_id = $1 AND created_at = $6) RETURNING id",
            r["trace_id"], developers[r["developer_id"]], r["status"], json.loads(r["answers_json"]),
            r["chosen_index"], r["created_at"], r["resolved_at"],
        )
        report.count("review_queue", new is not None)

    await _copy_outcomes(src, dst, report)
    await _copy_matrix(src, dst, report)
    return report


async def _copy_outcomes(src: aiosqlite.Connection, dst: asyncpg.Connection, report: CopyReport) -> None:
    """What this machine's router learned joins the team's (an outcome already there is matched by
    its trace, model, source and time)."""
    rows = await _rows(src, f"SELECT {', '.join(OUTCOME_COLUMNS)} FROM outcomes ORDER BY id")
    if not rows:
        return
    placeholders = ", ".join(f"${i}" for i in range(1, len(OUTCOME_COLUMNS) + 1))
    before = await dst.fetchval("SELECT COUNT(*) FROM outcomes")
    await dst.executemany(
        f"INSERT INTO outcomes ({', '.join(OUTCOME_COLUMNS)}) SELECT {placeholders} WHERE NOT EXISTS "
        "(SELECT 1 FROM outcomes WHERE trace_id IS NOT DISTINCT FROM $1::text AND model = $2 AND source = $5 "
        "AND created_at = $9)",
        [tuple(r) for r in rows],
    )
    added = await dst.fetchval("SELECT COUNT(*) FROM outcomes") - before
    report.copied["outcomes"], report.skipped["outcomes"] = added, len(rows) - added


async def _copy_budgets(
    src: aiosqlite.Connection, dst: asyncpg.Connection, report: CopyReport,
    developers: dict[int, int], teams: dict[int, int],
) -> dict[int, int]:
    budgets: dict[int, int] = {}
    for r in await _rows(src, "SELECT * FROM budgets ORDER BY id"):
        owners = {"developer": developers, "team": teams}.get(r["scope"])
        scope_id = owners.get(r["scope_id"], r["scope_id"]) if owners is not None else r["scope_id"]
        new = await dst.fetchval(
            "INSERT INTO budgets (scope, scope_id, period, limit_micros, soft_threshold, critical_only_threshold, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, scope_id) DO NOTHING RETURNING id",
            r["scope"], scope_id, r["period"], r["limit_micros"], r["soft_threshold"],
            r["critical_only_threshold"], r["updated_at"],
        )
        report.count("budgets", new is not None)
        budgets[r["id"]] = new or await dst.fetchval(
            "SELECT id FROM budgets WHERE scope = $1 AND scope_id = $2", r["scope"], scope_id
        )
    return budgets


async def _copy_traces(
    src: aiosqlite.Connection, dst: asyncpg.Connection, report: CopyReport, developers: dict[int, int], host: str
) -> None:
    rows = await _rows(src, "SELECT * FROM traces ORDER BY created_at")
    if not rows:
        return
    columns = list(rows[0].keys())
    values = []
    for r in rows:
        data: dict[str, Any] = dict(zip(columns, r, strict=True))
        data["developer_id"] = developers[data["developer_id"]]
        for key in ("decision_json", "guard_json"):
            data[key] = json.loads(data[key]) if data[key] else None
        data["fallback_used"] = bool(data["fallback_used"])
        data["escalated"] = bool(data["escalated"])
        data["host"] = data["host"] or host
        values.append(tuple(data.values()))
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    before = await dst.fetchval("SELECT COUNT(*) FROM traces")
    await dst.executemany(
        f"INSERT INTO traces ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING", values
    )
    added = await dst.fetchval("SELECT COUNT(*) FROM traces") - before
    report.copied["traces"], report.skipped["traces"] = added, len(rows) - added

    attempts = await _rows(src, "SELECT * FROM attempts ORDER BY trace_id, seq")
    if attempts:
        columns = list(attempts[0].keys())
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        before = await dst.fetchval("SELECT COUNT(*) FROM attempts")
        await dst.executemany(
            f"INSERT INTO attempts ({', '.join(columns)}) VALUES ({placeholders}) "
            "ON CONFLICT (trace_id, seq) DO NOTHING",
            [tuple(a) for a in attempts],
        )
        added = await dst.fetchval("SELECT COUNT(*) FROM attempts") - before
        report.copied["attempts"], report.skipped["attempts"] = added, len(attempts) - added


async def _copy_matrix(src: aiosqlite.Connection, dst: asyncpg.Connection, report: CopyReport) -> None:
    versions = await _rows(src, "SELECT * FROM matrix_versions ORDER BY version")
    cells = await _rows(src, "SELECT * FROM matrix_cells")
    if not versions:
        return
    await dst.execute("LOCK TABLE matrix_versions IN SHARE ROW EXCLUSIVE MODE")
    team_version = await dst.fetchval("SELECT COALESCE(MAX(version), 0) FROM matrix_versions")
    if team_version:
        report.skipped["matrix_cells"] = len(cells)
        report.notes.append(
            f"the team matrix is at version {team_version}; it was kept, and this store's matrix "
            f"({len(cells)} cells, version {versions[-1]['version']}) was not merged into it"
        )
        return
    await dst.executemany(
        "INSERT INTO matrix_versions (version, created_at, source, note) VALUES ($1, $2, $3, $4)",
        [tuple(v) for v in versions],
    )
    await dst.executemany(
        "INSERT INTO matrix_cells (task_type, band, model, quality, evidence, latency_p50_ms, latency_p95_ms, "
        "mean_cost_usd, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [(c["task_type"], c["band"], c["model"], c["quality"], c["evidence"], c["latency_p50_ms"],
          c["latency_p95_ms"], c["mean_cost_usd"], c["updated_at"], c["version"]) for c in cells],
    )
    await dst.execute("SELECT pg_notify('switchboard_matrix', current_schema() || ':' || $1::bigint)",
                      versions[-1]["version"])
    report.copied["matrix_versions"], report.copied["matrix_cells"] = len(versions), len(cells)
