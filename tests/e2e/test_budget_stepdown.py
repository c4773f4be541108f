"""A budget near its limit steps down instead of refusing (issue 19), on a real daemon over TCP.

A developer's limit is ten requests' actual cost on the model the router picks for the prompt. Sixty
requests arrive at once: at least eight are served (on cheaper models where needed, never refused while
the cheapest one still fits), nothing settles past the limit, and what the provider billed stays within
it. The daemon is SIGKILLed mid-run, after its provider has answered calls it never read (issue 16,
finding 14): after the restart every billed call is charged and the invariants still hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import httpx

from daemon.errors import BudgetExceededError, DaemonUnavailableError
from daemon.sim import SimServer, answer_text, count_tokens
from daemon.sim.wire_openai import ChatCodec
from daemon.store.records import usd_to_micros
from daemon.wire import AskRequest, AskResponse, BudgetSet
from tests.support import DaemonProcess, sim_config, start_daemon, stop_daemon, write_config

PROMPT = ("Prove that there are infinitely many primes and then derive the prime number theorem asymptotics "
          "in detail, with rigorous steps.")
MAX_TOKENS = count_tokens(answer_text(PROMPT))  # exactly the answer: a reservation close to the real cost
CONCURRENT = 60
Result = AskResponse | BaseException


def _billed(sim: SimServer, after: int) -> int:
    """Micro-dollars of every generation the sim finished answering after request ``after``: what a
    provider would bill, priced like the daemon prices it."""
    total = 0
    for record in sim.requests:
        if record.id <= after or not record.completed or record.status != 200 or not record.model:
            continue
        profile = sim.profiles[record.model]
        turn = ChatCodec.parse(record.body)
        output = min(count_tokens(record.reply_text or ""), turn.max_tokens or MAX_TOKENS)
        total += usd_to_micros(turn.input_tokens * profile.input_usd_per_mtok / 1e6
                               + output * profile.output_usd_per_mtok / 1e6)
    return total


async def _fire(daemon: DaemonProcess, key: str, n: int, served: list[AskResponse]) -> list[Result]:
    async with daemon.tcp_client(key) as client:
        async def one() -> Result:
            try:
                answer = await client.ask(AskRequest(prompt=PROMPT, max_tokens=MAX_TOKENS))
            except (BudgetExceededError, DaemonUnavailableError, httpx.TransportError) as exc:
                return exc  # (a transport error only when the daemon is killed under the request)
            served.append(answer)
            return answer

        return await asyncio.gather(*(one() for _ in range(n)))


async def _until(condition, what: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109 - a bound, not a sleep
    try:
        async with asyncio.timeout(timeout):
            while not condition():  # the sim's log and the clients' answers have no shared event
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting until {what}") from None


def _slow_all_but(sim: SimServer, model: str, latency_ms: float) -> None:
    for name, profile in sim.profiles.items():
        sim.set_profile(profile.model_copy(update={"latency_ms": 0.0 if name == model else latency_ms}))


async def test_sixty_concurrent_requests_step_down_within_ten_requests_worth_across_a_sigkill(
        sim: SimServer, tmp_path: Path):
    config = write_config(tmp_path / "c.toml", sim_config(sim.url, extra={"routing": {"exploration_rate": 0.0}}))
    daemon = await start_daemon(config)
    try:
        async with daemon.client() as admin:
            probe = await admin.ask(AskRequest(prompt=PROMPT, max_tokens=MAX_TOKENS))
            key = (await admin.add_developer("eve")).key
            limit = round(10 * probe.cost_usd, 6)
            await admin.set_budget(BudgetSet(developer="eve", limit_usd=limit))
        chosen, after = probe.model, sim.requests[-1].id
        # The chosen model answers at once; the cheaper ones the budget steps down to take a second, so
        # the kill below lands while they are in flight.
        _slow_all_but(sim, chosen, 1000)
        served: list[AskResponse] = []
        first = asyncio.ensure_future(_fire(daemon, key, CONCURRENT, served))

        def on_chosen_all_delivered() -> bool:
            mine = [r for r in sim.requests if r.id > after]
            done_on_chosen = sum(1 for r in mine if r.model == chosen and r.completed)
            return any(r.model != chosen for r in mine) and len(served) == done_on_chosen and bool(served)

        await _until(on_chosen_all_delivered, "the chosen model's answers arrived and the budget stepped down")
        # Frozen, then killed: its provider finishes answering calls the daemon will never read.
        daemon.signal(signal.SIGSTOP)
        await _until(lambda: not any(r.open for r in sim.requests), "the sim answered every call in flight")
        daemon.signal(signal.SIGKILL)
        results = await first
        await daemon.wait_exit()
        lost = sum(1 for r in results if isinstance(r, DaemonUnavailableError | httpx.TransportError))
        assert lost, "the kill must land mid-run"

        _slow_all_but(sim, chosen, 0.0)
        daemon = await start_daemon(config, data_dir=daemon.data_dir, socket=daemon.socket)
        again = await _fire(daemon, key, CONCURRENT - len([r for r in results if isinstance(r, AskResponse)]), served)
        async with daemon.client() as admin:
            (budget,) = (await admin.budget(developer="eve")).budgets
            traces = (await admin.traces(developer="eve", limit=1000)).traces
        billed = _billed(sim, after)
        stepped_to = {r.model for r in sim.requests if r.id > after} - {chosen}
    finally:
        with contextlib.suppress(ProcessLookupError):
            daemon.signal(signal.SIGCONT)
        await stop_daemon(daemon)

    refusals = [r for r in [*results, *again] if isinstance(r, BudgetExceededError)]
    settled, cap = usd_to_micros(budget.spent_usd), usd_to_micros(limit)
    assert len(served) >= 8, f"{len(served)} served of a budget worth ten"
    # Near the limit it stepped down to cheaper models rather than refuse (their answers may be among
    # those the kill lost: what is served after it depends on what the charged in-flight calls left).
    assert stepped_to and all(sim.profiles[m].output_usd_per_mtok < sim.profiles[chosen].output_usd_per_mtok
                              for m in stepped_to), stepped_to
    assert all(isinstance(r, AskResponse | BudgetExceededError) for r in again)
    assert settled <= cap, f"settled {settled} µ$ passed the limit {cap} µ$"
    assert billed <= cap, f"the provider billed {billed} µ$, past the limit {cap} µ$"
    assert settled >= billed, f"billed {billed} µ$ but only {settled} µ$ charged: calls answered before the kill went free"
    assert budget.reserved_usd == 0
    assert settled == sum(usd_to_micros(t.cost_usd) for t in traces), "the ledger adds up to the traces"
    for refusal in refusals:
        assert "eve's monthly budget" in refusal.message
        assert ("used up" in refusal.message) == (refusal.details["spent_usd"] >= refusal.details["limit_usd"])
