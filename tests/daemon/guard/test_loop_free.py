"""No prompt can freeze the daemon: while the guard scans a hostile request for an external model,
every other request (the health check here) is answered, and the scan itself is bounded.

The daemon runs as a real subprocess, so a stalled event loop there cannot stall the test's own
timeouts. Bounds are fractions of the configured ``guard.scan_timeout``, not wall-clock constants.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.daemon.guard.adversarial import FAMILIES
from tests.support import SimServer, running_daemon, sim_config, write_config

SCAN_TIMEOUT = 20.0
ALL_SIMS_EXTERNAL = {name: {"external": True} for name in ("sim-nano", "sim-mini", "sim-pro", "sim-ultra", "sim-claude")}
BIG_WINDOW = {"context_window": 10_000_000}
"""The router would refuse a prompt of megabytes before the guard saw it; here one model takes it."""


def _config(tmp_path: Path, sim: SimServer, scan_timeout: float) -> Path:
    extra = {"models": {**ALL_SIMS_EXTERNAL, "sim-ultra": {"external": True, **BIG_WINDOW}},
             "guard": {"scan_timeout": scan_timeout}}
    return write_config(tmp_path / "config.toml", sim_config(sim.url, extra=extra))


def _chat(prompt: str) -> dict:
    return {"model": "sim-ultra", "messages": [{"role": "user", "content": prompt}]}


@contextlib.asynccontextmanager
async def _in_flight(http: httpx.AsyncClient, body: dict) -> AsyncIterator[asyncio.Task[httpx.Response]]:
    """The request running as a task for the block (cancelled if the block fails before it ends)."""
    task = asyncio.create_task(http.post("/v1/chat/completions", json=body))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _probe_while(task: asyncio.Task, probe: httpx.AsyncClient, within: float) -> int:  # noqa: ASYNC109
    """Health checks, one after another, until ``task`` ends; each must answer within ``within``
    seconds. Returns how many answered before the task ended."""
    answered = 0
    while not task.done():
        async with asyncio.timeout(within):
            response = await probe.get("/api/health")
        assert response.status_code == 200
        answered += 0 if task.done() else 1
        await asyncio.sleep(within / 20)  # pacing, not settling: the next check follows the task's progress
    return answered


async def test_private_key_markers_neither_stall_the_daemon_nor_leak(sim: SimServer, tmp_path: Path):
    # The prompt, four times over: 432 KB of BEGIN lines held one daemon's loop for ~40 s.
    prompt = "-----BEGIN PRIVATE KEY-----" * 16_000
    async with running_daemon(_config(tmp_path, sim, SCAN_TIMEOUT)) as daemon:
        async with daemon.client() as owner:
            key = (await owner.add_developer("mallory")).key
        async with daemon.http_client(key) as http, daemon.http_client() as probe:
            async with _in_flight(http, _chat(prompt)) as big:
                await _probe_while(big, probe, SCAN_TIMEOUT / 10)
                async with asyncio.timeout(SCAN_TIMEOUT):
                    response = await big
    assert response.status_code == 200, response.text
    sent = json.dumps([r.body for r in sim.requests])
    assert "BEGIN PRIVATE KEY" not in sent and "[REDACTED:private_key]" in sent


async def test_a_scan_past_its_time_bound_is_refused_unsent_and_the_daemon_answers_meanwhile(
        sim: SimServer, tmp_path: Path):
    # Megabytes of card-like digit groups: the slowest text the fuzz test knows (about a microsecond a
    # character), many times the one-second bound on any machine.
    scan_timeout = 1.0
    prompt = next(f for f in FAMILIES if f.name == "card_after_digit").text(8_000_000)
    async with running_daemon(_config(tmp_path, sim, scan_timeout)) as daemon:
        async with daemon.client() as owner:
            key = (await owner.add_developer("mallory")).key
        async with daemon.http_client(key) as http, daemon.http_client() as probe:
            async with _in_flight(http, _chat(prompt)) as big:
                answered = await _probe_while(big, probe, scan_timeout / 2)
                refused = await big
            after = await http.post("/v1/chat/completions", json=_chat("card 4242 4242 4242 4242. " * 2000))
        log = daemon.log_text()
    assert answered >= 3  # the daemon kept answering while the scan ran
    assert refused.status_code == 400
    assert "could not finish scanning" in refused.json()["error"]["message"]
    assert "worker killed, request refused" in log
    assert after.status_code == 200  # a fresh worker scans the next large request
    sent = json.dumps([r.body for r in sim.requests])
    assert "4242 4242" not in sent and len(sim.requests) == 1
