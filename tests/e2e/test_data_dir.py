"""The data directory (issue 16, findings 6 and 15): private from the start (0700, the database, its
-wal/-shm and the log 0600), loose modes left by an older version tightened at start, and a data
dir deleted under a running daemon reported loudly (log, ``status``, a ``store`` event) instead of
everything silently vanishing at the next restart."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from pathlib import Path

from daemon.wire import AskRequest
from tests.support import SimServer, running_daemon, sim_config, write_config

FILE_CHECK = 0.2
"""``store.file_check_seconds`` here: waits below are multiples of it."""


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _config(tmp_path: Path, sim: SimServer) -> Path:
    return write_config(tmp_path / "config.toml",
                        sim_config(sim.url, extra={"store": {"file_check_seconds": FILE_CHECK}}))


async def test_the_data_dir_and_database_files_are_private_and_loose_ones_are_tightened(sim: SimServer, tmp_path: Path):
    fresh = tmp_path / "fresh"
    async with running_daemon(_config(tmp_path, sim), data_dir=fresh) as daemon, daemon.client() as client:
        await client.ask(AskRequest(prompt="hello"))  # something written: the WAL and its index exist
        modes = {p.name: _mode(p) for p in fresh.iterdir()}
    assert _mode(fresh) == 0o700
    assert modes == {"switchboard.db": 0o600, "switchboard.db-wal": 0o600, "switchboard.db-shm": 0o600}

    # An older daemon left everything readable by all; the next start takes that back.
    os.chmod(fresh, 0o755)
    for path in fresh.iterdir():
        os.chmod(path, 0o644)
    (fresh / "daemon.log").write_text("an old log\n")
    os.chmod(fresh / "daemon.log", 0o644)
    async with running_daemon(_config(tmp_path, sim), data_dir=fresh):
        assert _mode(fresh) == 0o700
        assert {p.name: _mode(p) for p in fresh.iterdir()} == dict.fromkeys(
            ("switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "daemon.log"), 0o600)


async def test_deleting_the_data_dir_under_a_running_daemon_is_reported(sim: SimServer, tmp_path: Path):
    data = tmp_path / "data"
    async with running_daemon(_config(tmp_path, sim), data_dir=data) as daemon, \
            daemon.client() as client, daemon.client() as watcher:
        assert (await client.status()).store_error is None
        events = watcher.events()
        assert (await anext(events)).type == "hello"
        shutil.rmtree(data)
        async with asyncio.timeout(FILE_CHECK * 50):
            event = await anext(e async for e in events if e.type == "store")
        await events.aclose()
        status = await client.status()
        log = daemon.log_text()
    assert "was deleted while the daemon runs" in event.data["problem"]
    assert status.store_error == event.data["problem"] and "lost when it stops" in status.store_error
    assert "ERROR" in log and "was deleted while the daemon runs" in log

