"""The store: every byte of state the daemon keeps. Nothing outside this package writes SQL."""

from __future__ import annotations

from pathlib import Path

from daemon.errors import ConfigError
from daemon.store.sqlite import SqliteStore

Store = SqliteStore
"""The store interface; the SQLite implementation is the reference one."""


def open_store(url: str, data_dir: Path) -> Store:
    """Build (not open) the store named by ``[store] url``: empty or ``sqlite:///PATH`` for SQLite."""
    if not url:
        return SqliteStore(data_dir / "switchboard.db")
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    raise ConfigError(f"store.url: unsupported store {url.split(':', 1)[0]!r}; use sqlite:///PATH or leave it empty")
