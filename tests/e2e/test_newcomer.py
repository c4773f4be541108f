"""A newcomer's first minutes, as the README tells them: ``make run`` → quit → ``switchboard ask
"hello"`` → ``make run`` again, in a real terminal, with no provider key and no config.

Every daemon in that sequence must be in demo mode (the one ``ask`` starts on demand too), and the
second ``make run`` must say on the dashboard that it attached to a daemon it did not start, and in
which mode that daemon runs."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from daemon.client import DaemonClient
from tests.support import REPO, short_dir

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][A-Za-z0-9]|[=>78])")
SWITCHBOARD = Path(sys.executable).parent / "switchboard"
WAIT_S = 60.0

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed: `make run` cannot run")


class Terminal:
    """``make run`` in a pseudo-terminal of 160×40, its screen output collected as plain text."""

    def __init__(self, env: dict[str, str]) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        self.primary = primary
        self.process = subprocess.Popen(["make", "-s", "run"], cwd=REPO, env=env, stdin=secondary, stdout=secondary,
                                        stderr=secondary, close_fds=True, start_new_session=True)
        os.close(secondary)
        self._chunks: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):
            while data := os.read(self.primary, 65536):
                self._chunks.append(data.decode("utf-8", "replace"))

    @property
    def text(self) -> str:
        """Everything shown so far, without the terminal's control sequences."""
        return ANSI.sub("", "".join(self._chunks))

    async def wait_for(self, needle: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while needle not in self.text:
            assert self.process.poll() is None, f"make run exited early; it showed:\n{self.text[-2000:]}"
            assert time.monotonic() < deadline, f"the dashboard never showed {needle!r}; it showed:\n{self.text[-2000:]}"
            await asyncio.sleep(0.1)

    async def quit(self) -> int:
        os.write(self.primary, b"q")
        return await asyncio.to_thread(self.process.wait, 30)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.primary)
        self._reader.join(5)


def newcomer_env(tmp_path: Path, socket: Path) -> dict[str, str]:
    """This machine's environment with no provider key and no config, and private dirs for the run."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and not k.startswith("SWITCHBOARD_")}
    (tmp_path / "config").mkdir()
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), SWITCHBOARD_SOCKET=str(socket),
               SWITCHBOARD_DATA_DIR=str(tmp_path / "data"), SWITCHBOARD_HTTP="127.0.0.1:0",
               LITELLM_LOCAL_MODEL_COST_MAP="True", TERM="xterm-256color")
    return env


async def wait_running(client: DaemonClient) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await client.is_running():
        assert time.monotonic() < deadline, "no daemon answered"
        await asyncio.sleep(0.1)


async def test_make_run_then_ask_then_make_run_stays_in_labelled_demo_mode(tmp_path: Path) -> None:
    socket = short_dir() / "d.sock"
    env = newcomer_env(tmp_path, socket)
    daemon_pid = None
    async with DaemonClient(socket, autostart=False) as client:
        try:
            # 1. make run: it starts a demo daemon and the dashboard says DEMO.
            first = Terminal(env)
            try:
                await wait_running(client)
                assert (await client.status()).simulated
                await first.wait_for("DEMO: simulated providers")
                assert "attached to daemon" not in first.text
                assert await first.quit() == 0
            finally:
                first.close()
            assert not await client.is_running(), "quitting make run left the daemon it started running"

            # 2. switchboard ask "hello": starts a daemon on demand, by the same rule: demo mode.
            asked = await asyncio.to_thread(subprocess.run, [str(SWITCHBOARD), "ask", "hello"], env=env, cwd=tmp_path,
                                            capture_output=True, text=True, timeout=WAIT_S)
            assert asked.returncode == 0, asked.stderr
            assert "(simulated)" in asked.stderr
            assert asked.stdout.strip()
            status = await client.status()
            assert status.simulated, "the daemon `ask` started is not in demo mode"
            daemon_pid = status.pid

            # 3. make run again: it attaches to that daemon and says so, with the daemon's mode.
            second = Terminal(env)
            try:
                await second.wait_for(f"attached to daemon pid {daemon_pid}")
                await second.wait_for("DEMO: simulated providers")
                await second.wait_for("Attached to the daemon already running")
                assert await second.quit() == 0
            finally:
                second.close()
            assert "still running" in second.text
            assert (await client.status()).pid == daemon_pid, "quitting make run stopped a daemon it did not start"
        finally:
            if daemon_pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(daemon_pid, signal.SIGTERM)
