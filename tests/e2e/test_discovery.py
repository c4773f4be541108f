"""Discovery does not depend on the caller's environment (issue 16, finding 4; issue 18): a daemon
started from a login shell (``XDG_RUNTIME_DIR`` set) is found by ``switchboard ask`` and by
``switchboard mcp`` (driven by the official MCP client) started the way hosts such as the MCP
Inspector start it, with only HOME, PATH, USER, SHELL and TERM, and by the pinned MCP Inspector CLI
itself with its default environment. None starts a second daemon or leaves a socket or a database
anywhere.

The default socket path is the real one (derived from the user id), so the test runs in a private
mount namespace whose ``/run/user/<uid>`` is a fresh tmpfs: it cannot meet, or disturb, a daemon
anyone else runs on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from daemon.client import DaemonClient
from daemon.sim import answer_text
from tests.e2e.test_mcp_inspector import inspector  # noqa: F401,F811 - the pinned Inspector CLI, installed when missing
from tests.support import REPO, SimServer, sim_config, write_config

UID = os.getuid()
SWITCHBOARD = (sys.executable, "-m", "daemon")
"""``switchboard`` (the console script runs the installed tree; this runs the one under test)."""


def _namespaces_usable() -> str | None:
    if UID != 0:
        return "needs root for a private mount namespace (unshare)"
    if not (shutil.which("unshare") and shutil.which("nsenter") and Path("/run/user").is_dir()):
        return "needs unshare and nsenter (util-linux) and a /run/user directory"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return None if probe.returncode == 0 else f"unshare --mount is not permitted here: {probe.stderr.decode().strip()}"


pytestmark = pytest.mark.skipif(_namespaces_usable() is not None, reason=str(_namespaces_usable()))


class Namespace:
    """A mount namespace with a private ``/run/user`` holding ``/run/user/<uid>`` (0700, ours)."""

    def __init__(self) -> None:
        script = (f"mount -t tmpfs -o mode=0755 tmpfs /run/user && mkdir -m 0700 /run/user/{UID} "
                  "&& echo ready && exec sleep 3600")
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                       stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout is not None and self.holder.stdout.readline().strip() == "ready"
        self.mnt = os.readlink(f"/proc/{self.holder.pid}/ns/mnt")

    def command(self, *args: str) -> list[str]:
        """``args`` run inside the namespace, from the repository (entering a mount namespace moves the
        working directory to its root, and ``python -m daemon`` imports from the working directory)."""
        return ["nsenter", "-t", str(self.holder.pid), "-m", f"--wd={REPO}", "--", *args]

    def path(self, inside: str) -> Path:
        """A path inside the namespace, as this process can reach it."""
        return Path(f"/proc/{self.holder.pid}/root{inside}")

    def kill_all(self) -> None:
        """End every process this test started in the namespace (a second daemon a client started too)."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if os.readlink(entry / "ns" / "mnt") == self.mnt:
                        os.kill(int(entry.name), signal.SIGKILL)
        self.holder.wait()
        if self.holder.stdout is not None:
            self.holder.stdout.close()


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    ns = Namespace()
    try:
        yield ns
    finally:
        ns.kill_all()


def _minimal_env(home: Path) -> dict[str, str]:
    """What the MCP Inspector passes to a stdio server: nothing about runtime dirs or Switchboard."""
    return {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "USER": "root",
            "SHELL": "/bin/sh", "TERM": "dumb"}


@dataclass
class LoginDaemon:
    """A daemon started from a login shell (``XDG_RUNTIME_DIR`` set) inside the namespace."""

    process: subprocess.Popen[bytes]
    socket: Path
    xdg_runtime: Path


@pytest.fixture
async def login_daemon(namespace: Namespace, sim: SimServer, tmp_path: Path) -> AsyncIterator[LoginDaemon]:
    xdg_runtime = tmp_path / "xdg-runtime"
    xdg_runtime.mkdir(mode=0o700)
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    login_env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    login_env.update(XDG_RUNTIME_DIR=str(xdg_runtime), SWITCHBOARD_SIM_KEY="sim-key", LITELLM_LOCAL_MODEL_COST_MAP="True")
    with (tmp_path / "daemon.log").open("wb") as log:
        daemon = subprocess.Popen(namespace.command(*SWITCHBOARD, "daemon", "--data-dir",
                                                    str(tmp_path / "data"), "--config", str(config)),
                                  env=login_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    socket = namespace.path(f"/run/user/{UID}/switchboard/daemon.sock")
    async with DaemonClient(socket) as client:
        async with asyncio.timeout(30):
            while not await client.is_running():
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
                await asyncio.sleep(0.05)
    yield LoginDaemon(daemon, socket, xdg_runtime)
    assert daemon.poll() is None  # still the one daemon, never replaced
    daemon.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(daemon.wait, 30) == 0


def _nothing_left_behind(daemon: LoginDaemon, home: Path) -> None:
    assert sorted(os.listdir(daemon.socket.parent)) == ["daemon.sock"]  # no second socket, no start lock
    assert list(daemon.xdg_runtime.iterdir()) == []  # the login shell's runtime dir is not where it lives
    assert not [path for path in home.rglob("*") if "switchboard" in path.name.lower()]  # no data dir, no database


async def test_clients_with_a_bare_environment_find_the_daemon_a_login_shell_started(
        namespace: Namespace, login_daemon: LoginDaemon, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    asked = await asyncio.create_subprocess_exec(
        *namespace.command(*SWITCHBOARD, "ask", "hello from a bare environment", "--json"), env=_minimal_env(home),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(60):
        out, err = await asked.communicate()
    assert asked.returncode == 0, err.decode()
    trace_id = json.loads(out)["trace_id"]

    params = StdioServerParameters(command="nsenter", args=namespace.command(*SWITCHBOARD, "mcp")[1:],
                                   env=_minimal_env(home))
    async with asyncio.timeout(60), Client(params, mode="legacy") as mcp:
        recent = await mcp.call_tool("recent_traces", {})
    assert not recent.is_error
    assert trace_id[:8] in json.dumps(recent.model_dump())  # the same daemon answered both
    assert list(home.iterdir()) == []
    _nothing_left_behind(login_daemon, home)


async def test_the_pinned_mcp_inspector_reaches_the_running_daemon_with_its_default_environment(
        namespace: Namespace, login_daemon: LoginDaemon, tmp_path: Path, inspector: str):  # noqa: F811
    """The pinned Inspector CLI (``make mcp-inspector``) started from the same login shell: it hands
    ``switchboard mcp`` only HOME, LOGNAME, PATH, SHELL, TERM and USER, and that is enough to reach
    the running daemon; nothing else is started or left behind."""
    home = tmp_path / "inspector-home"
    home.mkdir()
    switchboard = tmp_path / "bin" / "switchboard"  # what `switchboard` is on a user's PATH, here in the namespace
    switchboard.parent.mkdir()
    switchboard.write_text("#!/bin/sh\nexec " + " ".join(namespace.command(*SWITCHBOARD)) + ' "$@"\n')
    switchboard.chmod(0o755)
    login_shell = {**_minimal_env(home), "XDG_RUNTIME_DIR": str(login_daemon.xdg_runtime),
                   "PATH": f"{switchboard.parent}:{os.environ['PATH']}"}

    async def inspect(*args: str) -> Any:
        process = await asyncio.create_subprocess_exec(
            inspector, "--cli", *args, env=login_shell, cwd=str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        async with asyncio.timeout(90):
            out, err = await process.communicate()
        assert process.returncode == 0, err.decode(errors="replace")
        return json.loads(out)

    # The README's own line ("To try it by hand: `npx @modelcontextprotocol/inspector --cli ...`").
    readme = (REPO / "README.md").read_text()
    by_hand = re.search(r"`npx @modelcontextprotocol/inspector --cli ([^`]+)`", readme)
    assert by_hand is not None, "the README no longer shows how to try `switchboard mcp` with the Inspector"
    listing = await inspect(*by_hand[1].split())
    assert "run_task" in {tool["name"] for tool in listing["tools"]}
    prompt = "hello from the inspector's default environment"
    ran = await inspect("switchboard", "mcp", "--method", "tools/call", "--tool-name", "run_task",
                        "--tool-arg", f"prompt={prompt}")
    assert ran["isError"] is False, ran
    assert ran["structuredContent"]["answer"] == answer_text(prompt)
    async with DaemonClient(login_daemon.socket) as client:  # the login shell's daemon served it
        listing = await client.traces(all="1", limit=5)
    assert ran["structuredContent"]["trace_id"] in {trace.id for trace in listing.traces}
    _nothing_left_behind(login_daemon, home)
