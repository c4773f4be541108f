"""`make run` (``python -m daemon.cli.run_local``) in a real terminal: killed or hung up, it still stops the
daemon it started (quitting with `q` is covered by the dashboard tests)."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.client import DaemonClient
from tests.support import short_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
async def test_a_killed_or_hung_up_make_run_stops_the_daemon_it_started(sig: signal.Signals, tmp_path: Path) -> None:
    socket = short_dir() / "d.sock"
    env = {**os.environ, "SWITCHBOARD_SOCKET": str(socket), "SWITCHBOARD_DATA_DIR": str(tmp_path / "data"),
           "SWITCHBOARD_DEMO": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "TERM": "xterm-256color"}
    env.pop("SWITCHBOARD_NO_TUI", None)
    primary, secondary = pty.openpty()  # a terminal, so run_local shows the dashboard
    process = subprocess.Popen([sys.executable, "-m", "daemon.cli.run_local"], cwd=REPO, env=env,
                               stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True)
    os.close(secondary)
    drain = asyncio.get_running_loop().run_in_executor(None, _drain, primary)
    try:
        async with DaemonClient(socket, autostart=False) as client:
            deadline = time.monotonic() + 60
            while not await client.is_running():
                assert process.poll() is None, "make run exited before its daemon answered"
                assert time.monotonic() < deadline, "the daemon make run started never answered"
                await asyncio.sleep(0.1)
            daemon_pid = (await client.status()).pid
            process.send_signal(sig)
            assert await asyncio.to_thread(process.wait, 30) == 0
            left_running = await client.is_running()
            if left_running:
                os.kill(daemon_pid, signal.SIGTERM)  # do not leave it behind for the next test
            assert not left_running, "the daemon make run started is still running"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
        await drain


def _drain(fd: int) -> None:
    """Read the dashboard's output until the terminal closes (a full pty would block the app)."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
