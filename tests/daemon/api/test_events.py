"""GET /api/events over a real daemon: trace events arrive promptly, and only for whom they concern."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

from daemon.client import DaemonClient
from daemon.wire import AskRequest, BudgetSet, Event
from tests.support import running_daemon


@contextlib.asynccontextmanager
async def following(client: DaemonClient) -> AsyncIterator[asyncio.Queue[tuple[float, Event]]]:
    """Follow a client's event stream in a task; yields once the ``hello`` event has arrived."""
    queue: asyncio.Queue[tuple[float, Event]] = asyncio.Queue()
    ready = asyncio.Event()

    async def follow() -> None:
        async for event in client.events():
            if event.type == "hello":
                ready.set()
            else:
                queue.put_nowait((time.perf_counter(), event))

    task = asyncio.create_task(follow())
    try:
        async with asyncio.timeout(10):
            await ready.wait()
        yield queue
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _trace_event(queue: asyncio.Queue[tuple[float, Event]], trace_id: str) -> tuple[float, Event]:
    async with asyncio.timeout(10):
        while True:
            at, event = await queue.get()
            if event.type == "trace" and event.data["id"] == trace_id:
                return at, event


async def test_trace_event_arrives_within_100ms_of_the_response(sim_config_file: Path):
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as listener, daemon.client() as asker:
            async with following(listener) as events:
                deltas = []
                for i in range(3):
                    answer = await asker.ask(AskRequest(prompt=f"say hello {i}"))
                    responded = time.perf_counter()
                    arrived, event = await _trace_event(events, answer.trace_id)
                    deltas.append(arrived - responded)
                    assert event.data["outcome"] == "ok"
                    assert event.data["model"] == answer.model
                    assert abs(event.data["cost_usd"] - answer.cost_usd) < 1e-9
    assert max(deltas) < 0.100, f"trace events arrived {[round(d * 1000, 1) for d in deltas]} ms after the response"


async def test_developer_sees_only_their_own_trace_and_budget_events_and_admin_sees_all(sim_config_file: Path):
    # alice's one request (sim-pro, cut at 8 tokens: about 47 µ$, at most about 50 µ$) takes her budget
    # of 55 µ$ past its soft threshold: a budget event that only she and the admin may see.
    alice_ask = AskRequest(prompt="alice asks", model="sim-pro", max_tokens=8)
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as admin:
            alice_key = (await admin.add_developer("alice")).key
            bob_key = (await admin.add_developer("bob")).key
            await admin.set_budget(BudgetSet(developer="alice", limit_usd=0.000055))
        async with (
            daemon.tcp_client(alice_key) as alice, daemon.tcp_client(bob_key) as bob, daemon.client() as owner,
        ):
            async with following(bob) as bob_events, following(owner) as owner_events, following(alice) as hers:
                alice_trace = (await alice.ask(alice_ask)).trace_id
                bob_trace = (await bob.ask(AskRequest(prompt="bob asks"))).trace_id
                # The admin sees both; bob's stream, being ordered, must show his own trace and nothing of alice's
                # before it (her budget event was published before her answer came back).
                await _trace_event(owner_events, alice_trace)
                await _trace_event(owner_events, bob_trace)
                seen: list[Event] = []
                async with asyncio.timeout(10):
                    while not seen or seen[-1].data.get("id") != bob_trace:
                        seen.append((await bob_events.get())[1])
                mine: list[Event] = []
                async with asyncio.timeout(10):
                    while not any(e.type == "budget" for e in mine):
                        mine.append((await hers.get())[1])
    assert all(e.data.get("developer") == "bob" for e in seen), [(e.type, e.data.get("developer")) for e in seen]
    assert alice_trace not in {e.data.get("id") for e in seen}
    budget = next(e for e in mine if e.type == "budget")
    assert budget.data["developer"] == "alice" and budget.data["state"] in ("stepped_down", "critical_only")
