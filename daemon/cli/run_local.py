"""What ``make run`` does: start the daemon in the background, then open the dashboard.

With no provider key in the environment and no user config, there is nothing real to route to, so
the daemon starts with the simulated providers (demo mode), clearly labelled as such, and a small
demo runs through them (``daemon.cli.demo_workload``: varied requests, cascades, consensus, steady ratings and
scripted provider faults) so that every panel of the dashboard has something to show.

Quitting the dashboard stops the workload and the daemon this command started (a daemon that was
already running is left alone). Without a terminal (CI, a pipe) the daemon runs in the foreground
instead, as ``switchboard daemon`` would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from daemon.config.demo import DEMO_NOTICE, wants_demo

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0

def _spawn_daemon(args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
    from daemon.paths import data_dir, ensure_private_dir, ensure_private_file

    data = ensure_private_dir(data_dir())
    log_path = ensure_private_file(data / "daemon.log")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "daemon", *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True,
        )
    return process, log_path


async def _wait_ready(client, process: subprocess.Popen[bytes], log_path: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + START_TIMEOUT_S
    while not await client.is_running():
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited at start (code {process.returncode}); see {log_path}:\n"
                               + log_path.read_text(errors="replace")[-1500:])
        if time.monotonic() > deadline:
            raise RuntimeError(f"the daemon did not answer within {START_TIMEOUT_S:.0f}s; see {log_path}")
        await asyncio.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _start_workload(app, client, process: subprocess.Popen[bytes] | None, log_path: Path | None) -> None:  # type: ignore[no-untyped-def]
    """Wait for the daemon (the dashboard shows "connecting" meanwhile), then run the demo workload
    if, and only if, the daemon is on the simulated providers."""
    if process is not None and log_path is not None:
        try:
            await _wait_ready(client, process, log_path)
        except RuntimeError as exc:
            app.exit(return_code=1, message=f"switchboard: {exc}")
            return
    if not (await client.status()).simulated:
        return
    from daemon.cli.demo_workload import run_demo

    app.set_demo_workload(True)
    await run_demo(client)


async def run_with_dashboard(daemon_args: list[str]) -> int:
    """Daemon in the background (unless one runs), the dashboard in front at once, and the demo
    workload as soon as the daemon answers (only when it is simulated)."""
    from daemon.client import DaemonClient
    from tui.app import SwitchboardApp

    process = log_path = None
    try:
        async with DaemonClient() as client:
            attached = await client.is_running()
            if attached:
                print(f"Using the Switchboard daemon already running on {client.socket}.", file=sys.stderr)
            else:
                if wants_demo():
                    print(DEMO_NOTICE, file=sys.stderr)
                process, log_path = _spawn_daemon(daemon_args)
            # Attached: the dashboard says so, and in which mode that daemon runs (it may not be the demo).
            app = SwitchboardApp(client, attached=attached)
            workload = asyncio.create_task(_start_workload(app, client, process, log_path))
            # A closed terminal (SIGHUP) or a kill (SIGTERM) quits like `q`, so the cleanup below
            # still stops the daemon this command started instead of leaving it running.
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, app.exit)
            try:
                await app.run_async()
            finally:
                for sig in (signal.SIGTERM, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
                workload.cancel()
                await asyncio.gather(workload, return_exceptions=True)
            if app.demo_workload:
                print("Stopped the demo workload.", file=sys.stderr)
            return app.return_code or 0
    finally:
        if process is not None:
            _stop(process)
            print(f"Stopped the daemon `make run` started (pid {process.pid}). To keep one running without the "
                  "dashboard: .venv/bin/switchboard daemon   (then .venv/bin/switchboard tui to watch it).",
                  file=sys.stderr)
        else:
            print("The daemon that was already running is still running.", file=sys.stderr)


def main() -> int:
    """``make run``: the dashboard in a terminal; ``switchboard daemon`` in the foreground otherwise."""
    # The daemon decides demo mode itself (daemon.config.demo), by the same rule as one a client starts.
    args = sys.argv[1:]
    if not (sys.stdin.isatty() and sys.stdout.isatty()) or os.environ.get("SWITCHBOARD_NO_TUI") == "1":
        from daemon.cli import main as cli_main

        return cli_main(["daemon", *args])
    try:
        return asyncio.run(run_with_dashboard(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
