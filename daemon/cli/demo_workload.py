"""The demo ``make run`` plays on the simulated providers: every panel of the dashboard has something to show
within two minutes.

Three parts, each a loop a caller runs as a task until cancelled:

- ``demo_workload``: varied requests on every surface, a cascade now and then (so escalations show),
  a consensus among models that can disagree (so the review queue fills), and steady ratings: each
  model is rated near its own fixed quality, so the routing matrix settles instead of swinging;
- ``demo_faults``: a scripted cycle of provider trouble (a model that fails over to its fallback, one
  whose circuit opens and later closes, a provider's content filter refusing a request), told to the
  daemon's simulated providers through ``/api/demo``;
- ``prepare_demo``: the simulated models' character (some answer their own way on some prompts, some are
  unsure on some prompts), set once.

Only ever run against a daemon that reports ``simulated``: it must never spend real money or touch a
real provider (the daemon refuses ``/api/demo`` otherwise).
"""

from __future__ import annotations

import asyncio
import random
import zlib
from typing import Any

DEMO_PROMPTS: tuple[tuple[str, str], ...] = (
    ("lsp", "def fibonacci(n: int) -> int:\n    "),
    ("lsp", "for line in open(path):\n    if line.startswith('#'):\n        "),
    ("mcp", "Refactor this function to use pathlib instead of os.path:\n\ndef load(p):\n"
            "    return open(os.path.join(os.getcwd(), p)).read()"),
    ("mcp", "Explain what this regex matches and where it fails: ^(?:[a-z0-9-]+\\.)+[a-z]{2,}$"),
    ("mcp", "Find the bug: def mean(xs): return sum(xs) / len(xs) - 1"),
    ("api", "What is the integral of x^2 from 0 to 3? Show the steps."),
    ("api", "Summarise this CSV in two sentences:\nregion,q1,q2\nnorth,120,140\nsouth,90,70\nwest,200,210"),
    ("api", "Extract every email address from: contact ana@example.com or ops@example.org, not bob@"),
    ("cli", "Write a two-sentence release note for a fix in the budget ledger."),
    ("cli", "hello! what can you do?"),
    ("cli", "Design a rate limiter for a multi-tenant API: compare token bucket and sliding window, "
            "with failure modes, and propose a rollout plan."),
)

CONSENSUS_PROMPTS = (
    "Is it safe to drop column users.legacy_id before backfilling the new one?",
    "Should this service retry a 409 Conflict from the payments API?",
    "Which index makes this fast: SELECT * FROM orders WHERE customer_id = ? ORDER BY created_at DESC?",
    "Is a 30-second TTL right for a cache of feature flags?",
)
CONSENSUS_MODELS = ("sim-nano", "sim-mini", "sim-pro")
"""Consensus members: the two small ones sometimes answer their own way, so three different answers
(a disagreement, queued for review) happen on about a third of consensus requests."""

CHARACTER: dict[str, dict[str, float]] = {
    "sim-nano": {"dissent": 0.6, "confidence_spread": 0.45},
    "sim-mini": {"dissent": 0.55, "confidence_spread": 0.5},
}
"""How the small simulated models behave in the demo: unsure on some prompts (a mean token probability
below ~0.43 puts the cascade's confidence under its 0.6 threshold: it escalates, on about a quarter of
their answers), and of their own opinion on others (consensus disagrees)."""

STEADY_QUALITY = {"sim-nano": 0.45, "sim-mini": 0.62, "sim-pro": 0.8, "sim-ultra": 0.93, "sim-claude": 0.9}
"""What a rating of each model's answers is near: steady, so the routing matrix converges."""

FAULT_CYCLE_S = 60.0
FAULTS: tuple[tuple[float, str, list[dict[str, Any]] | None, int], ...] = (
    # sim-claude fails every call until 20 s, and two requests pinned to it (each tries it three times,
    # then fails over) make sure of five failures in a row: its circuit opens, however busy the daemon is
    # (a success finishing in between would restart the count). Cleared at 20 s, so the half-open probe
    # 30 s after opening finds it well again and the circuit closes.
    (2.0, "sim-claude", [{"kind": "unavailable", "times": None}], 2),
    (8.0, "sim-pro", [{"kind": "content_filter", "times": 1}], 0),  # a 400 no other model is asked: refused
    (20.0, "sim-claude", None, 0),
    (26.0, "sim-pro", [{"kind": "unavailable", "times": 3}], 0),  # retries run out: the fallback answers
    (34.0, "sim-pro", [{"kind": "rate_limit", "retry_after": 20, "times": 1}], 0),  # a long Retry-After: fail over
    (42.0, "sim-mini", [{"kind": "content_filter", "times": 1}], 0),
    (50.0, "sim-pro", [{"kind": "server_error", "times": 3}], 0),
    (58.0, "", None, 0),  # what a quiet model did not use up does not pile up into the next cycle
)
"""(seconds into each cycle, model, faults, requests pinned to the model right after): the trouble the
demo's providers get into; None clears the model's queue ("" every model's)."""


def steady_score(model: str, trace_id: str) -> float:
    """A rating near the model's fixed quality (± 0.05, stable per trace)."""
    jitter = (zlib.crc32(trace_id.encode()) % 1000) / 1000 - 0.5
    return round(min(1.0, max(0.0, STEADY_QUALITY.get(model, 0.6) + 0.1 * jitter)), 3)


async def prepare_demo(client) -> None:  # type: ignore[no-untyped-def]
    """Give the simulated models their demo character."""
    for model, changes in CHARACTER.items():
        await client.demo_profile(model, **changes)


async def demo_faults(client, *, cycle_s: float = FAULT_CYCLE_S) -> None:  # type: ignore[no-untyped-def]
    """Script the cycle of provider faults until cancelled (the first cycle starts at once)."""
    from daemon.errors import DaemonUnavailableError, SwitchboardError
    from daemon.wire import AskRequest

    scale = cycle_s / FAULT_CYCLE_S
    while True:
        elapsed = 0.0
        for at, model, faults, pinned in FAULTS:
            await asyncio.sleep(max(0.0, at * scale - elapsed))
            elapsed = at * scale
            try:
                if faults is None:
                    await client.demo_clear_faults(model or None)
                else:
                    await client.demo_faults(model, faults)
                for n in range(pinned):
                    await client.ask(AskRequest(prompt=f"Summarise the on-call handover, part {n + 1}.", model=model,
                                                surface="api", max_tokens=64))
            except DaemonUnavailableError:
                await asyncio.sleep(1.0)
            except SwitchboardError:
                pass  # a request that found no model, or a model the config no longer has: the show goes on
        await asyncio.sleep(max(0.0, cycle_s - elapsed))


async def demo_workload(client, *, rng: random.Random | None = None, pace_s: float = 0.8) -> None:  # type: ignore[no-untyped-def]
    """Varied requests until cancelled: ``auto`` on every surface, a third of them cascades, every sixth
    request a consensus, and a steady rating for a third of the answers."""
    from daemon.errors import DaemonUnavailableError, SwitchboardError
    from daemon.wire import AskRequest, ConsensusRequest, FeedbackRequest

    rng = rng or random.Random()
    n = 0
    while True:
        n += 1
        surface, prompt = rng.choice(DEMO_PROMPTS)
        try:
            if n % 6 == 0:
                await client.consensus(ConsensusRequest(
                    prompt=f"{CONSENSUS_PROMPTS[(n // 6) % len(CONSENSUS_PROMPTS)]} (demo request {n})",
                    models=list(CONSENSUS_MODELS), surface="mcp"))
            else:
                answer = await client.ask(AskRequest(
                    prompt=f"{prompt}\n(demo request {n})", surface=surface,  # type: ignore[arg-type]
                    model="auto:cascade" if n % 3 == 1 else "auto",
                    priority="critical" if rng.random() < 0.05 else "normal", max_tokens=rng.choice((64, 256, 512)),
                ))
                if n % 3 == 0:
                    await client.feedback(FeedbackRequest(
                        trace_id=answer.trace_id, score=steady_score(answer.model, answer.trace_id),
                        source="agent" if surface == "mcp" else "editor"))
        except DaemonUnavailableError:
            await asyncio.sleep(1.0)
        except SwitchboardError:
            pass  # refusals and provider faults are part of the show: the dashboard displays them
        await asyncio.sleep(rng.uniform(0.2, 2.0) * pace_s)


async def run_demo(client, *, pace_s: float = 0.8, workers: int = 1,  # type: ignore[no-untyped-def]
                   cycle_s: float = FAULT_CYCLE_S) -> None:
    """The whole demo: character, faults and workload, until cancelled."""
    await prepare_demo(client)
    tasks = [asyncio.create_task(demo_faults(client, cycle_s=cycle_s), name="demo-faults")]
    tasks += [asyncio.create_task(demo_workload(client, pace_s=pace_s), name=f"demo-workload-{i}")
              for i in range(workers)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
