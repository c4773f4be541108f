"""Budgets under fire, on a real daemon over TCP: 200 concurrent requests against a budget that
affords about 50. Settled spend never passes the limit, every request is served or refused with the
budget error, and the ledger adds up to the traces' costs exactly; the same across a SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import httpx

from daemon.client import DaemonClient
from daemon.errors import BudgetExceededError, DaemonUnavailableError
from daemon.wire import AskRequest, AskResponse, BudgetSet, Event
from tests.support import DaemonProcess, running_daemon, start_daemon, stop_daemon

MODEL = "sim-pro"
MAX_TOKENS = 12  # the sim's answers are longer: every answer is cut here, so its cost is close to the worst case


def _micros(usd: float) -> int:
    return round(usd * 1_000_000)


def _ask(i: int) -> AskRequest:
    return AskRequest(prompt=f"race request number {i}", model=MODEL, max_tokens=MAX_TOKENS)


async def _setup(daemon: DaemonProcess, affordable: int) -> tuple[str, float]:
    """A developer with a daily budget worth about ``affordable`` requests; returns (key, limit)."""
    async with daemon.client() as admin:
        probe_cost = (await admin.ask(_ask(-1))).cost_usd
        key = (await admin.add_developer("racer")).key
        limit = round(probe_cost * affordable, 6)
        await admin.set_budget(BudgetSet(developer="racer", period="day", limit_usd=limit))
    return key, limit


async def _fire(client: DaemonClient, start: int, n: int) -> list[AskResponse | BaseException]:
    async def one(i: int) -> AskResponse | BaseException:
        try:
            return await client.ask(_ask(i))
        except (BudgetExceededError, DaemonUnavailableError, httpx.TransportError) as exc:
            return exc  # (a transport error only when the daemon is killed under the request)

    return await asyncio.gather(*(one(i) for i in range(start, start + n)))


async def _ledger_matches_traces(daemon: DaemonProcess, limit: float) -> tuple[int, int]:
    """Check the invariants through the API; returns (settled micros, traces)."""
    async with daemon.client() as admin:
        (budget,) = (await admin.budget(developer="racer")).budgets
        traces = (await admin.traces(developer="racer", limit=1000)).traces
    settled = _micros(budget.spent_usd)
    assert budget.reserved_usd == 0, "no reservation may stay open once every request has finished"
    assert settled <= _micros(limit), f"settled {settled} µ$ passed the limit {_micros(limit)} µ$"
    assert settled == sum(_micros(t.cost_usd) for t in traces), "the ledger must add up to the traces' costs"
    return settled, len(traces)


class _TraceCounter:
    """racer's trace events as they arrive (so the test waits for the trace writer, not for a clock)."""

    def __init__(self) -> None:
        self.seen: list[Event] = []
        self.changed = asyncio.Condition()

    async def add(self, event: Event) -> None:
        async with self.changed:
            self.seen.append(event)
            self.changed.notify_all()

    async def wait_for(self, n: int) -> None:
        async with asyncio.timeout(30), self.changed:
            await self.changed.wait_for(lambda: len(self.seen) >= n)


@contextlib.asynccontextmanager
async def _trace_counter(daemon: DaemonProcess):
    counter = _TraceCounter()
    ready = asyncio.Event()

    async def follow() -> None:
        async with daemon.client() as admin:
            async for event in admin.events():
                if event.type == "hello":
                    ready.set()
                elif event.type == "trace" and event.data["developer"] == "racer":
                    await counter.add(event)

    task = asyncio.create_task(follow())
    async with asyncio.timeout(10):
        await ready.wait()
    try:
        yield counter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, DaemonUnavailableError, httpx.TransportError):
            await task


async def test_200_concurrent_requests_never_overspend_a_budget_affording_about_50(sim_config_file: Path):
    async with running_daemon(sim_config_file) as daemon:
        key, limit = await _setup(daemon, 50)
        async with _trace_counter(daemon) as seen, daemon.tcp_client(key) as racer:
            results = await _fire(racer, 0, 200)
            await seen.wait_for(200)
        served = [r for r in results if isinstance(r, AskResponse)]
        refused = [r for r in results if isinstance(r, BudgetExceededError)]
        assert len(served) + len(refused) == 200, [r for r in results if isinstance(r, DaemonUnavailableError)][:1]
        assert 40 <= len(served) <= 60, f"{len(served)} served: the budget affords about 50"
        assert all("racer's daily budget" in str(r) and "resets" in str(r) for r in refused)
        settled, traced = await _ledger_matches_traces(daemon, limit)
    assert traced == 200
    assert settled == sum(_micros(r.cost_usd) for r in served)


async def test_budget_holds_across_a_sigkill_mid_run_and_a_restart(sim_config_file: Path):
    daemon = await start_daemon(sim_config_file)
    try:
        key, limit = await _setup(daemon, 50)
        # Listen before firing: a listener that joins late (a loaded machine) would miss the first traces
        # and might wait until the run was over, so the kill would not land mid-run.
        async with _trace_counter(daemon) as seen, daemon.tcp_client(key) as racer:
            batch = asyncio.ensure_future(_fire(racer, 0, 200))
            await seen.wait_for(15)  # well into the run
            daemon.signal(signal.SIGKILL)
            first = await batch
        await daemon.wait_exit()
        assert any(isinstance(r, DaemonUnavailableError | httpx.TransportError) for r in first), "the kill must land mid-run"
        daemon = await start_daemon(sim_config_file, data_dir=daemon.data_dir, socket=daemon.socket)
        settled_after_crash, _ = await _ledger_matches_traces(daemon, limit)
        async with _trace_counter(daemon) as seen, daemon.tcp_client(key) as racer:
            second = await _fire(racer, 1000, 200)
            await seen.wait_for(200)
        assert all(isinstance(r, AskResponse | BudgetExceededError) for r in second)
        settled, _ = await _ledger_matches_traces(daemon, limit)
        assert settled >= settled_after_crash
    finally:
        await stop_daemon(daemon)
