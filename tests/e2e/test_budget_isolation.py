"""Isolation over TCP with two developer keys: each sees only their own traces, spend and budget;
an admin key sees everyone's. Plus the CLI verbs against the same real daemon."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from daemon.errors import NotFoundError, PermissionDeniedError
from daemon.wire import AskRequest, BudgetSet
from tests.support import REPO, DaemonProcess, running_daemon


async def _cli(daemon: DaemonProcess, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "daemon", *args, "--socket", str(daemon.socket),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=REPO,
    )
    async with asyncio.timeout(60):
        out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_developers_see_only_their_own_traces_spend_and_budget_and_an_admin_sees_all(sim_config_file: Path):
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as owner:
            keys = {name: (await owner.add_developer(name)).key for name in ("alice", "bob")}
            keys["boss"] = (await owner.add_developer("boss", admin=True)).key
            for name, limit in (("alice", 5.0), ("bob", 7.0)):
                await owner.set_budget(BudgetSet(developer=name, limit_usd=limit))
        async with daemon.tcp_client(keys["alice"]) as alice, daemon.tcp_client(keys["bob"]) as bob, \
                daemon.tcp_client(keys["boss"]) as boss:
            events = boss.events()
            assert (await anext(events)).type == "hello"  # subscribed: no trace event can be missed now
            a = await alice.ask(AskRequest(prompt="alice's question"))
            b = await bob.ask(AskRequest(prompt="bob's question"))
            async with asyncio.timeout(10):  # the trace writer is asynchronous: wait for both traces' events
                committed = {(await anext(events)).data.get("id") for _ in range(2)}
            await events.aclose()
            assert committed == {a.trace_id, b.trace_id}
            # traces: alice lists only hers, even asking for all; bob's trace is not found for her
            alice_traces = {t.id for t in (await alice.traces(all="1")).traces}
            with pytest.raises(NotFoundError):
                await alice.trace(b.trace_id)
            assert (await alice.trace(a.trace_id)).id == a.trace_id
            # spend: metrics show only her own; everyone's is for admins
            alice_metrics = await alice.metrics("1h")
            with pytest.raises(PermissionDeniedError):
                await alice.metrics("1h", all=True)
            boss_metrics = await boss.metrics("1h", all=True)
            # budgets: hers only
            alice_budgets = await alice.budget()
            with pytest.raises(PermissionDeniedError):
                await alice.budget(developer="bob")
            with pytest.raises(PermissionDeniedError):
                await alice.budget(all=True)
            boss_budgets = await boss.budget(all=True)
    assert alice_traces == {a.trace_id}
    assert set(alice_metrics.spend_by_developer) == {"alice"} and alice_metrics.requests == 1
    assert {"alice", "bob"} <= set(boss_metrics.spend_by_developer) and boss_metrics.requests == 2
    assert [(x.name, x.spent_usd) for x in alice_budgets.budgets] == [("alice", a.cost_usd)]
    assert {x.name for x in boss_budgets.budgets} == {"alice", "bob"}


async def test_budget_and_traces_cli_verbs(sim_config_file: Path):
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as owner:
            await owner.add_developer("carol")
            answer = await owner.ask(AskRequest(prompt="explain this trace to me"))
        code, out = await _cli(daemon, "budget", "set", "carol", "--monthly", "50")
        assert code == 0, out
        assert "carol's monthly budget: $0 spent of $50.00 (0%) · $50.00 left" in out and "routed normally" in out
        code, out = await _cli(daemon, "budget", "set", "--team", "platform", "--weekly", "80", "--soft", "0.5")
        assert code == 0 and "team platform's weekly budget" in out, out
        code, out = await _cli(daemon, "budget", "--all")
        assert code == 0 and "carol's monthly budget" in out and "team platform's weekly budget" in out, out
        code, out = await _cli(daemon, "budget", "set", "nobody", "--daily", "1")
        assert code == 1 and "no developer named 'nobody'" in out, out
        code, out = await _cli(daemon, "traces", "--since", "1h", "--outcome", "ok")
        assert code == 0 and answer.trace_id[:12] in out, out
        code, out = await _cli(daemon, "traces", "show", answer.trace_id[:12])
    assert code == 0, out
    assert f"Trace {answer.trace_id}:" in out
    assert f"chose {answer.model}" in out or f"answered by {answer.model}" in out
    assert f"Result: answered by {answer.model}" in out and "tokens, cost $" in out


async def test_every_developers_spend_is_listed_and_a_budget_set_mid_period_counts_it(sim_config_file: Path):
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as owner:
            dave_key = (await owner.add_developer("dave")).key
            async with daemon.tcp_client(dave_key) as dave:
                first = await dave.ask(AskRequest(prompt="what does this regex match?"))
                second = await dave.ask(AskRequest(prompt="and this one?"))
            mine = await owner.ask(AskRequest(prompt="the owner's question"))
            async with asyncio.timeout(10):  # traces are written in batches: wait until both are counted
                while True:
                    listed = {s.developer: s for s in (await owner.budget(all=True)).spend}
                    if listed.get("dave") and listed["dave"].requests == 2 and sum(s.requests for s in listed.values()) == 3:
                        break
                    await asyncio.sleep(0.05)
            spent = first.cost_usd + second.cost_usd
        code, everyone = await _cli(daemon, "budget", "--all")
        code_mine, own = await _cli(daemon, "budget")
        code_set, limited = await _cli(daemon, "budget", "set", "dave", "--monthly", "1")
        async with daemon.client() as owner:
            after = await owner.budget(developer="dave")
    assert not listed["dave"].limited and listed["dave"].spent_usd == pytest.approx(spent)
    assert code == 0 and "spend this month:" in everyone and "dave: $" in everyone and "2 requests (no limit)" in everyone
    owner_name = next(name for name in listed if name != "dave")
    assert code_mine == 0 and f"{owner_name}: $" in own and "1 request (no limit)" in own and "dave" not in own
    assert mine.cost_usd > 0
    # Set on any day of the month, the budget counts the month: dave's earlier spend is in it.
    assert code_set == 0, limited
    [budget] = after.budgets
    assert budget.spent_usd == pytest.approx(spent) and spent > 0
    assert after.spend[0].limited
