"""The store: every byte of state the daemon keeps. Nothing outside this package writes SQL.

``Store`` is the interface (daemon/store/interface.py); ``open_store`` picks the implementation from
``[store] url``: SQLite for one developer (the default), PostgreSQL for a team sharing budgets,
traces and the routing matrix. Nothing else in the daemon knows which one runs.
"""

from __future__ import annotations

from pathlib import Path

from daemon.errors import ConfigError
from daemon.store.interface import MatrixChangeSource, Store
from daemon.store.sqlite import SqliteStore
from daemon.store.watch import watch_matrix_version

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str, data_dir: Path) -> Store:
    """Build (not open) the store named by ``[store] url``: empty or ``sqlite:///PATH`` for SQLite,
    ``postgresql://user@host:port/db`` (optionally ``?search_path=schema``) for a team's PostgreSQL."""
    if not url:
        return SqliteStore(data_dir / "switchboard.db")
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith(POSTGRES_SCHEMES):
        from daemon.store.postgres import PostgresStore  # asyncpg loads only for team stores

        return PostgresStore(url)
    raise ConfigError(
        f"store.url: unsupported store {url.split(':', 1)[0]!r}; use sqlite:///PATH, "
        "postgresql://USER@HOST:PORT/DB, or leave it empty for SQLite in the data dir"
    )


__all__ = ["MatrixChangeSource", "SqliteStore", "Store", "open_store", "watch_matrix_version"]
