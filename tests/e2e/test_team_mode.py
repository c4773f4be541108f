"""Team mode: daemons configured with `[store] url = "postgresql://..."` share budgets, traces and
the routing matrix through PostgreSQL (skipped with a printed reason when no server is reachable)."""

from __future__ import annotations

import asyncio
import getpass
import signal
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import pytest

from daemon.errors import BudgetExceededError
from daemon.sim import SimServer
from daemon.store import Store, open_store
from daemon.wire import AskRequest, FeedbackRequest
from tests.daemon.store.pg import fresh_postgres_url
from tests.support import DaemonProcess, sim_config, start_daemon, stop_daemon, write_config

pytestmark = pytest.mark.postgres

ANSWER_TOKENS = 16


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty team store (a fresh schema in the test server)."""
    async with fresh_postgres_url() as url:
        yield url


@pytest.fixture
async def team_store(postgres_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    """The test's own view of the team store, as an admin tool would have it."""
    store = open_store(postgres_url, tmp_path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _team_config(tmp_path: Path, sim: SimServer, url: str) -> Path:
    return write_config(tmp_path / "config.toml", sim_config(sim.url, extra={"store": {"url": url}}))


async def test_daemon_configured_with_a_postgresql_url_keeps_its_state_there(
    sim: SimServer, postgres_url: str, team_store: Store, tmp_path: Path
) -> None:
    daemon = await start_daemon(_team_config(tmp_path, sim, postgres_url))
    try:
        async with daemon.client(autostart=False) as client:
            answer = await client.ask(AskRequest(prompt="hello from the team", max_tokens=32))
    finally:
        await stop_daemon(daemon)
    trace = await team_store.get_trace(answer.trace_id)
    assert trace.outcome == "ok" and trace.host == socket.gethostname()
    assert (await team_store.get_developer(trace.developer_id)).os_user == getpass.getuser()
    assert not (daemon.data_dir / "switchboard.db").exists()


async def _ask_many(daemon: DaemonProcess, prefix: str, n: int, outcomes: dict[str, list[str]],
                    on_done: Callable[[str, bool], None]) -> None:
    async with daemon.client(autostart=False) as client:

        async def one(i: int) -> None:
            try:
                answer = await client.ask(AskRequest(prompt=f"{prefix} question {i}", max_tokens=ANSWER_TOKENS))
            except BudgetExceededError:
                outcomes["refused"].append(prefix)
                on_done(prefix, False)
                return
            except Exception:
                if prefix != "d2":
                    raise
                outcomes["lost"].append(prefix)  # in flight on the killed daemon
                return
            outcomes["ok"].append(answer.trace_id)
            on_done(prefix, True)

        await asyncio.gather(*(one(i) for i in range(n)))


async def test_three_daemons_share_one_team_budget_exactly_even_when_one_is_killed(
    sim: SimServer, postgres_url: str, team_store: Store, tmp_path: Path
) -> None:
    """300 concurrent requests across three daemons against a team budget affording about 100;
    one daemon is SIGKILLed mid-run and restarted (its start reconciles). Settled spend stays within
    the limit, every answered request's cost is settled, nothing stays open, and the ledger matches
    the traces to the micro-dollar."""
    config = _team_config(tmp_path, sim, postgres_url)
    me = await team_store.developer_for_os_user(getpass.getuser())
    team = await team_store.create_team("core")
    await team_store.set_team(me.id, team.id)
    await team_store.set_budget("developer", me.id, "month", 10**12)  # generous: the team's is the limit
    await team_store.set_budget("team", team.id, "month", 10**12)  # until the probe has measured a request
    daemons = list(await asyncio.gather(*(start_daemon(config) for _ in range(3))))
    try:
        async with daemons[0].client(autostart=False) as client:
            probe = await client.ask(AskRequest(prompt="how much is one request?", max_tokens=ANSWER_TOKENS))
        _, _, _, reserved_per_request, probe_cost = (await team_store.reservations_of(probe.trace_id))[0]
        # Affords about 100 requests at their true cost; each reserves its (larger) worst case first.
        budget = await team_store.set_budget("team", team.id, "month", 101 * probe_cost)
        assert reserved_per_request >= probe_cost

        outcomes: dict[str, list[str]] = {"ok": [], "refused": [], "lost": []}
        victim = {"ok": 0, "done": 0}

        def count(prefix: str, ok: bool) -> None:
            if prefix != "d2" or victim["done"] < 0:
                return
            victim["ok"] += ok
            victim["done"] += 1
            if victim["ok"] == 5 or victim["done"] == 50:  # mid-run: it still has requests in flight
                victim["done"] = -1
                daemons[2].process.send_signal(signal.SIGKILL)

        async with asyncio.timeout(100):
            await asyncio.gather(*(_ask_many(d, f"d{i}", 100, outcomes, count) for i, d in enumerate(daemons)))
        assert daemons[2].process.wait() == -signal.SIGKILL
    finally:
        await asyncio.gather(*(stop_daemon(d) for d in daemons))  # the survivors flush their traces
    restarted = await start_daemon(config)  # reconciles what the killed daemon left
    await stop_daemon(restarted)

    totals = await team_store.ledger_totals(budget.id)
    assert totals["open"] == 0
    assert 0 < totals["settled"] <= budget.limit_micros
    assert outcomes["refused"], "the team budget never ran out: not a race"
    settled_ledger = 0
    traced = 0
    for trace_id in {probe.trace_id, *outcomes["ok"]}:
        rows = await team_store.reservations_of(trace_id)
        assert [r[2] for r in rows] == ["settled", "settled"], trace_id  # developer's and team's
        settled_ledger += rows[0][4]
        traced += (await team_store.get_trace(trace_id)).cost_micros
    assert traced == settled_ledger
    # The whole team ledger against the traces, row by row (the killed daemon's unflushed ones are stubs).
    conn = await asyncpg.connect(postgres_url)
    try:
        rows = await conn.fetch(
            "SELECT l.trace_id, l.settled_micros, t.cost_micros FROM ledger l LEFT JOIN traces t ON t.id = l.trace_id "
            "WHERE l.budget_id = $1 AND l.status = 'settled'", budget.id,
        )
    finally:
        await conn.close()
    assert [r["trace_id"] for r in rows if r["cost_micros"] != r["settled_micros"]] == []
    assert sum(r["settled_micros"] for r in rows) == totals["settled"] >= settled_ledger


async def test_feedback_through_one_daemon_changes_anothers_decisions_within_the_bound(
    sim: SimServer, postgres_url: str, tmp_path: Path
) -> None:
    from daemon.store.watch import DEFAULT_POLL_SECONDS
    from daemon.wire import RouteRequest

    config = _team_config(tmp_path, sim, postgres_url)
    first, second = await asyncio.gather(start_daemon(config), start_daemon(config))
    route = RouteRequest(prompt="Say hello to the team in one friendly sentence.", model="auto:specialist",
                         task_type="chat")
    try:
        async with first.client(autostart=False) as a, second.client(autostart=False) as b:
            before = await b.route(route)
            favourite = before.model
            for i in range(6):
                answer = await a.ask(AskRequest(prompt=route.prompt, model=favourite, task_type="chat", max_tokens=16))
                rated = await a.feedback(FeedbackRequest(trace_id=answer.trace_id, score=0.0, source="user",
                                                         comment=f"wrong {i}"))
            assert (await a.route(route)).model != favourite, "the feedback did not change the deciding daemon"
            loop = asyncio.get_running_loop()
            rated_at = loop.time()
            async with asyncio.timeout(DEFAULT_POLL_SECONDS + 3):  # the documented bound, plus slack for a busy CI
                # Only asking shows a decision: each route call is a round trip to the second daemon. Wait for the
                # version the last rating made (an earlier one may already move the decision, before it is all in).
                while (after := await b.route(route)).matrix_version < rated.matrix_version:
                    continue
            noticed_after = loop.time() - rated_at
    finally:
        await asyncio.gather(stop_daemon(first), stop_daemon(second))
    assert rated.matrix_version > before.matrix_version
    assert after.model != favourite, "the other daemon decides as before with the team's new matrix"
    assert noticed_after < DEFAULT_POLL_SECONDS + 3


async def test_any_daemon_shows_the_whole_team_to_an_admin_and_just_me_to_a_developer(
    sim: SimServer, postgres_url: str, tmp_path: Path
) -> None:
    config = _team_config(tmp_path, sim, postgres_url)
    first, second = await asyncio.gather(start_daemon(config), start_daemon(config))
    try:
        async with first.client(autostart=False) as admin_on_first:
            bob_key = (await admin_on_first.add_developer("bob")).key  # keys live in the team store
            mine = await admin_on_first.ask(AskRequest(prompt="the admin asks on the first daemon", max_tokens=16))
            # Rating waits until the trace is written: then the other daemon can count it.
            await admin_on_first.feedback(FeedbackRequest(trace_id=mine.trace_id, score=1.0))
        async with second.client(autostart=False) as admin_on_second, second.tcp_client(bob_key) as bob_on_second:
            asked = await bob_on_second.ask(AskRequest(prompt="bob asks on the second daemon", max_tokens=16))
            await bob_on_second.feedback(FeedbackRequest(trace_id=asked.trace_id, score=1.0))  # written by now
            bobs_view = await bob_on_second.metrics("1h")
            team_view = await admin_on_second.metrics("1h", all=True)
    finally:
        await asyncio.gather(stop_daemon(first), stop_daemon(second))
    assert team_view.requests == 2 and set(team_view.spend_by_developer) == {getpass.getuser(), "bob"}
    assert bobs_view.requests == 1 and set(bobs_view.spend_by_developer) <= {"bob"}
