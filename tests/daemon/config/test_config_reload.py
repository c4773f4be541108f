"""Live reload through the daemon's real watcher: every failure to load the file is a reported config
error (``/api/status`` shows it), the previous config stays in force, and the watcher keeps going."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from daemon.config import merge
from tests.support import SimServer, in_process_daemon, sim_config, write_config


async def _status_until(client: httpx.AsyncClient, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """``/api/status`` once ``done`` holds for it (the watcher debounces 100 ms; bounded at 10 s)."""
    async with asyncio.timeout(10):
        while not done(status := (await client.get("/api/status")).json()):
            await asyncio.sleep(0.05)
    return status


async def _watching(client: httpx.AsyncClient, config: Path) -> dict[str, Any]:
    """Once the watcher sees edits: the same file rewritten until a reload shows in ``/api/status`` (the
    watch starts with the daemon, a moment after it answers)."""
    first = (await client.get("/api/status")).json()
    text = config.read_text()
    async with asyncio.timeout(10):
        while True:
            config.write_text(text)
            for _ in range(10):
                status = (await client.get("/api/status")).json()
                if status["config_loaded_at"] > first["config_loaded_at"]:
                    return status
                await asyncio.sleep(0.05)


def _nano_enabled(status: dict[str, Any]) -> bool:
    return next(m for m in status["models"] if m["name"] == "sim-nano")["excluded_reason"] != "disabled in config"


async def _bad_file_then_good_edit(sim: SimServer, tmp_path: Path, break_it: Callable[[Path], None],
                                   expected: str) -> None:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (_services, client):
        before = await _watching(client, config)
        assert before["config_error"] is None and _nano_enabled(before)
        break_it(config)
        broken = await _status_until(client, lambda s: s["config_error"] is not None)
        assert expected in broken["config_error"] and str(config) in broken["config_error"]
        assert (await client.post("/api/ask", json={"prompt": "still served"})).status_code == 200
        if config.is_dir():
            config.rmdir()
        write_config(config, sim_config(sim.url, extra={"models": {"sim-nano": {"enabled": False}}}))
        fixed = await _status_until(client, lambda s: s["config_error"] is None and not _nano_enabled(s))
        assert fixed["config_loaded_at"] > before["config_loaded_at"]


async def test_a_config_file_that_is_not_utf8_is_reported_and_a_later_edit_still_applies(
        sim: SimServer, tmp_path: Path) -> None:
    await _bad_file_then_good_edit(sim, tmp_path, lambda p: p.write_bytes(b"[daemon]\nlog_level = \"\xff\xfe\"\n"),
                                   "not UTF-8")


async def test_a_directory_at_the_config_path_is_reported_and_a_later_edit_still_applies(
        sim: SimServer, tmp_path: Path) -> None:
    def replace_with_directory(path: Path) -> None:
        path.unlink()
        path.mkdir()

    await _bad_file_then_good_edit(sim, tmp_path, replace_with_directory, "is a directory")


async def test_reload_refuses_a_non_loopback_listener_as_start_does(sim: SimServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    async with in_process_daemon(config, data_dir=tmp_path / "data") as (services, client):
        await _watching(client, config)
        write_config(config, merge(sim_config(sim.url), {"daemon": {"http": "0.0.0.0:7411"}}))
        status = await _status_until(client, lambda s: s["config_error"] is not None)
        assert "daemon.http" in status["config_error"] and "not a loopback address" in status["config_error"]
        assert services.settings.daemon.http == "127.0.0.1:0"  # the previous config is in force
        write_config(config, merge(sim_config(sim.url), {"daemon": {"http": "0.0.0.0:7411", "allow_remote": True}}))
        await _status_until(client, lambda s: s["config_error"] is None)
        assert services.settings.daemon.http == "0.0.0.0:7411"
