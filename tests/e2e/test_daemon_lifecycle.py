"""The daemon as a real process: listeners, permissions, keys, config, auto-start, graceful stop."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from daemon.client import DaemonClient
from daemon.errors import AuthenticationError, DaemonUnavailableError
from daemon.sim import Fault, answer_text
from daemon.store import SqliteStore
from daemon.wire import AskRequest
from tests.support import REPO, running_daemon, short_dir, sim_config, write_config


async def test_health_answers_on_socket_and_tcp(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            health = await client.health()
        async with httpx.AsyncClient(base_url=f"http://{daemon.http_address}") as http:
            response = await http.get("/api/health")
    assert health.status == "ok"
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_socket_is_private_to_its_owner(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        socket_mode = stat.S_IMODE(os.stat(daemon.socket).st_mode)
        dir_mode = stat.S_IMODE(os.stat(daemon.socket.parent).st_mode)
    assert socket_mode == 0o600
    assert dir_mode == 0o700


async def test_tcp_refuses_requests_without_a_valid_developer_key(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            created = await client.add_developer("alice")
        async with daemon.http_client() as anonymous, daemon.http_client("sb-not-a-real-key") as wrong, daemon.http_client(created.key) as alice:
            missing = await anonymous.get("/api/status")
            bad = await wrong.get("/api/status")
            good = await alice.get("/api/status")
            via_x_api_key = await anonymous.get("/api/status", headers={"x-api-key": created.key})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    assert "no developer key" in missing.json()["error"]["message"]
    assert bad.status_code == 401
    assert good.status_code == 200 and good.json()["developer"] == "alice"
    assert via_x_api_key.status_code == 200


async def test_tcp_client_raises_the_typed_error_for_a_bad_key(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.tcp_client("sb-wrong") as client:
            with pytest.raises(AuthenticationError):
                await client.status()


async def test_dev_add_stores_only_a_hash_of_the_key(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            created = await client.add_developer("bob")
    store = SqliteStore(daemon.data_dir / "switchboard.db")
    await store.open()
    try:
        hashes = await store.key_hashes(created.developer.id)
    finally:
        await store.close()
    assert len(hashes) == 1 and hashes[0] != created.key
    raw = b"".join(p.read_bytes() for p in daemon.data_dir.glob("switchboard.db*"))
    assert created.key.encode() not in raw


async def test_ask_answers_and_leaves_a_trace_row(sim, sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        # The sim runs on this event loop: the CLI must run without blocking it.
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon", "ask", "hello", "--json", "--socket", str(daemon.socket),
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, stderr.decode()
        async with daemon.client() as client:
            listing = await client.traces()
    store = SqliteStore(daemon.data_dir / "switchboard.db")
    await store.open()
    try:
        trace = await store.get_trace(listing.traces[0].id)
    finally:
        await store.close()
    assert answer_text("hello") in stdout.decode()
    assert trace.outcome == "ok"
    assert trace.answered_model and trace.answered_model.startswith("sim-")
    assert trace.input_tokens > 0 and trace.output_tokens > 0
    assert trace.cost_micros > 0 and trace.latency_ms > 0
    assert len(trace.attempts) == 1


async def test_broken_config_is_refused_at_start_with_the_key_path(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[models.broken]\nlitellm_model = "openai/x"\ntier = "gigantic"\n')
    run_dir = short_dir()
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "daemon", "--config", str(config), "--socket", str(run_dir / "s.sock"),
         "--data-dir", str(run_dir)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode != 0
    assert "models.broken.tier" in result.stderr
    assert "small" in result.stderr  # the reason lists what is allowed


async def test_live_bad_edit_keeps_the_previous_config_and_says_so(sim, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    async with running_daemon(config) as daemon:
        async with daemon.client() as client:
            before = await client.status()
            write_config(config, sim_config(sim.url, extra={"daemon": {"no_such_key": 1}}))
            async with asyncio.timeout(10):
                while (status := await client.status()).config_error is None:
                    await asyncio.sleep(0.05)
            assert "daemon.no_such_key" in status.config_error
            assert [m.name for m in status.models] == [m.name for m in before.models]
            assert (await client.ask(AskRequest(prompt="still works"))).answer == answer_text("still works")

            good = sim_config(sim.url, extra={"models": {"sim-nano": {"enabled": False}}})
            write_config(config, good)
            async with asyncio.timeout(10):
                while (status := await client.status()).config_error is not None or status.config_loaded_at == before.config_loaded_at:
                    await asyncio.sleep(0.05)
    nano = next(m for m in status.models if m.name == "sim-nano")
    assert not nano.available and nano.excluded_reason == "disabled in config"


async def test_two_clients_racing_to_autostart_start_one_daemon(sim_config_file: Path) -> None:
    run_dir = short_dir()
    socket = run_dir / "auto.sock"
    env = {**os.environ, "SWITCHBOARD_CONFIG": str(sim_config_file), "SWITCHBOARD_SIM_KEY": "k",
           "SWITCHBOARD_DATA_DIR": str(run_dir / "data"), "SWITCHBOARD_SOCKET": str(socket)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daemon", "ask", f"race {i}", "--json", cwd=REPO, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for i in range(2)
    ]
    try:
        async with asyncio.timeout(90):
            outputs = [await p.communicate() for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        daemons = subprocess.run(["pgrep", "-f", f"daemon daemon --socket {socket}"], capture_output=True, text=True)
        assert len(daemons.stdout.split()) == 1, daemons.stdout
    finally:
        async with DaemonClient(socket) as client:
            pid = (await client.status()).pid
        os.kill(pid, signal.SIGTERM)


async def test_client_without_autostart_reports_the_daemon_is_down() -> None:
    async with DaemonClient(short_dir() / "nobody.sock") as client:
        with pytest.raises(DaemonUnavailableError, match="switchboard daemon"):
            await client.status()


async def test_sigterm_during_a_slow_request_lets_it_finish_and_records_its_trace(sim, sim_config_file: Path) -> None:
    sim.script("sim-nano", Fault(kind="slow_first_token", delay_ms=1500))
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            pending = asyncio.create_task(client.ask(AskRequest(prompt="slow one", model="sim-nano")))
            await sim.wait_for_request(model="sim-nano", timeout=30)
            daemon.signal(signal.SIGTERM)
            answer = await asyncio.wait_for(pending, 30)
        code = await daemon.wait_exit(30)
    assert answer.answer == answer_text("slow one")
    assert code == 0
    store = SqliteStore(daemon.data_dir / "switchboard.db")
    await store.open()
    try:
        trace = await store.get_trace(answer.trace_id)
    finally:
        await store.close()
    assert trace.outcome == "ok" and trace.answered_model == "sim-nano"


async def test_sigterm_ends_open_event_streams_instead_of_waiting_out_the_drain(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            events = client.events()
            hello = await asyncio.wait_for(anext(events), 10)
            daemon.signal(signal.SIGTERM)
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(anext(events), 10)  # the drain is 30 s: the stream must end well before
            code = await daemon.wait_exit(10)
    assert hello.type == "hello"
    assert code == 0
