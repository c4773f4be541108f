"""Shared test support: a config pointing at the simulated providers, the daemon in process or as a
real subprocess, and clients for both. Everything real; the sim is the only fake."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from daemon.client import DaemonClient
from daemon.sim import SimServer, demo_models_config
from daemon.sim.profiles import ModelProfile

REPO = Path(__file__).resolve().parent.parent


def short_dir() -> Path:
    """A fresh short directory for Unix sockets (pytest's tmp_path is too long for AF_UNIX)."""
    return Path(tempfile.mkdtemp(prefix="sb-", dir="/tmp"))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for test configs (tables of scalars, lists and nested tables)."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    out = "\n".join(lines) + ("\n\n" if lines else "")
    for key, table in tables.items():
        out += to_toml(table, f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key))
    return out


def _toml_key(key: str) -> str:
    """A bare key when TOML allows one, else a quoted one (model names with dots, alias patterns)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def sim_config(sim_url: str, *, profiles: Iterable[ModelProfile] | None = None, extra: dict[str, Any] | None = None,
               only_sim: bool = True) -> dict[str, Any]:
    """Config data routing to the sim's models; the shipped real models are disabled."""
    from daemon.config import DEFAULT_CONFIG_PATH, merge, read_toml

    models: dict[str, Any] = {}
    if only_sim:
        models = {name: {"enabled": False} for name in read_toml(DEFAULT_CONFIG_PATH).get("models", {})}
    models.update(demo_models_config(sim_url, profiles) if profiles is not None else demo_models_config(sim_url))
    data: dict[str, Any] = {"daemon": {"http": "127.0.0.1:0"}, "models": models}
    return merge(data, extra or {})


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write config data as TOML and return the path."""
    path.write_text(to_toml(data))
    return path


@dataclass
class DaemonProcess:
    """A real ``switchboard daemon`` subprocess."""

    process: subprocess.Popen[bytes]
    socket: Path
    data_dir: Path
    config: Path
    log: Path
    http: str | None = None

    def client(self, **kwargs: Any) -> DaemonClient:
        """A client of the local socket (the OS user: an admin)."""
        return DaemonClient(self.socket, **kwargs)

    def tcp_client(self, key: str | None) -> DaemonClient:
        """A client over loopback TCP with a developer key."""
        assert self.http, "the daemon has no TCP listener"
        return DaemonClient(base_url=f"http://{self.http}", api_key=key)

    def http_client(self, key: str | None = None) -> httpx.AsyncClient:
        """A raw HTTP client of the TCP listener."""
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=f"http://{self.http_address}", headers=headers, timeout=30)

    @property
    def http_address(self) -> str:
        """host:port of the TCP listener."""
        assert self.http, "the daemon has no TCP listener"
        return self.http

    def signal(self, sig: int) -> None:
        """Send a signal to the daemon."""
        self.process.send_signal(sig)

    async def wait_exit(self, timeout: float = 30) -> int:
        """Wait for the process to exit; returns its code."""
        async with asyncio.timeout(timeout):
            while self.process.poll() is None:
                await asyncio.sleep(0.05)
        return self.process.returncode

    def log_text(self) -> str:
        """Everything the daemon printed."""
        return self.log.read_text(errors="replace")


async def start_daemon(config: Path, *, data_dir: Path | None = None, socket: Path | None = None,
                       extra_args: Iterable[str] = (), env: dict[str, str] | None = None,
                       timeout: float = 30) -> DaemonProcess:
    """Start a daemon subprocess and wait until its socket answers."""
    run_dir = short_dir()
    socket = socket or run_dir / "d.sock"
    data_dir = data_dir or run_dir / "data"
    log = run_dir / "daemon.log"
    full_env = {**os.environ, "SWITCHBOARD_SIM_KEY": "sim-key", "LITELLM_LOCAL_MODEL_COST_MAP": "True", **(env or {})}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "daemon", "--socket", str(socket), "--data-dir", str(data_dir),
             "--config", str(config), *extra_args],
            stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=REPO,
        )
    daemon = DaemonProcess(process, socket, data_dir, config, log)
    async with DaemonClient(socket) as client:
        async with asyncio.timeout(timeout):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"daemon exited with {process.returncode}:\n{daemon.log_text()}")
                if await client.is_running():
                    break
                await asyncio.sleep(0.05)
        daemon.http = (await client.status()).http
    return daemon


async def stop_daemon(daemon: DaemonProcess) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
        try:
            await daemon.wait_exit(30)
        except TimeoutError:
            daemon.process.kill()
            daemon.process.wait()


@contextlib.asynccontextmanager
async def running_daemon(config: Path, **kwargs: Any) -> AsyncIterator[DaemonProcess]:
    """A daemon subprocess for the duration of the block."""
    daemon = await start_daemon(config, **kwargs)
    try:
        yield daemon
    finally:
        await stop_daemon(daemon)


@contextlib.asynccontextmanager
async def in_process_daemon(config: Path, *, data_dir: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The daemon's services and app in this process; yields (services, client-as-socket-owner).

    Faster than a subprocess; use it when the test does not need signals, sockets or a second process.
    """
    from daemon.api.auth import IdentifyDeveloper
    from daemon.app.lifespan import open_services
    from daemon.app.server import build_app
    from daemon.core.services import DaemonOptions

    os.environ.setdefault("SWITCHBOARD_SIM_KEY", "sim-key")
    options = DaemonOptions(socket=short_dir() / "unused.sock", data_dir=data_dir, config_path=config, http="")
    async with open_services(options) as services:
        app = IdentifyDeveloper(build_app(services), services, "unix")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://switchboard", timeout=30) as client:
            yield services, client


__all__ = [
    "DaemonProcess", "SimServer", "in_process_daemon", "running_daemon", "short_dir", "sim_config",
    "start_daemon", "stop_daemon", "to_toml", "write_config",
]


async def run_program(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> bytes:
    """Run a program (an editor in batch mode) with no stdin to its end; its stdout and stderr together.
    Killed, not left behind, when it overruns ``timeout`` (which then raises TimeoutError)."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    try:
        async with asyncio.timeout(timeout):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return output
