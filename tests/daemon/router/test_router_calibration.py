"""With the shipped config (three tiers) and no outcomes yet, `auto` sends trivial requests to the small
tier and hard ones to the frontier, and a coding agent's envelope does not decide for its ask."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from daemon.config import load_settings
from daemon.router.batch import request_from_line
from daemon.router.classify import classify
from daemon.router.engine import decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.types import Candidate, RouteRequest, Tier

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REFACTOR = (
    "Refactor the payment service across these 14 files to replace the callback-based retry logic with an async "
    "state machine, keep the public API stable, and prove with tests that idempotency keys still dedupe "
    "concurrent charges."
)


@pytest.fixture(scope="module")
def shipped() -> tuple[list[Candidate], object]:
    """The shipped models as candidates (every key set), and the shipped routing settings with exploration off."""
    settings = load_settings()
    candidates = [
        Candidate(name, model.tier, model.input_usd_per_mtok, model.output_usd_per_mtok,  # type: ignore[arg-type]
                  model.context_window, frozenset(model.capabilities), quality_prior=model.quality,
                  provider=model.provider)
        for name, model in settings.models.items() if model.enabled
    ]
    assert {c.tier for c in candidates} == set(Tier), "the shipped config should configure all three tiers"
    return candidates, settings.routing.model_copy(update={"exploration_rate": 0.0})


def tier_for(request: RouteRequest, shipped) -> tuple[Tier, float]:  # type: ignore[no-untyped-def]
    candidates, settings = shipped
    decision = decide(request, candidates, RoutingMatrix(), settings=settings)
    return decision.candidate(decision.model).tier, decision.classification.complexity


@pytest.mark.parametrize("prompt", ["What is the capital of France?", "Say hello.", "What is 7 times 8?",
                                    "thanks, that worked!"])
def test_trivial_requests_reach_the_small_tier_under_auto(prompt: str, shipped) -> None:  # type: ignore[no-untyped-def]
    tier, complexity = tier_for(RouteRequest.from_prompt(prompt), shipped)
    assert tier is Tier.SMALL
    assert complexity < 0.4


@pytest.mark.parametrize("prompt", [
    REFACTOR,
    "Prove that every group of order 15 is cyclic, justifying each step rigorously.",
    "Design the architecture for exactly-once settlement across our payment, ledger and notification services: "
    "analyze the failure modes of crashes and retries in each, compare an outbox with two-phase commit, and propose "
    "a migration plan that keeps the current APIs backward compatible.",
])
def test_hard_requests_reach_the_frontier_under_auto(prompt: str, shipped) -> None:  # type: ignore[no-untyped-def]
    tier, complexity = tier_for(RouteRequest.from_prompt(prompt), shipped)
    assert tier is Tier.FRONTIER
    assert complexity > 0.7


def test_complexity_spreads_across_the_range_instead_of_clustering() -> None:
    easy, middling, hard = (
        [classify(RouteRequest.from_prompt(p)).complexity for p in group]
        for group in (["hi", "What is the capital of France?", "Write a haiku about coffee."],
                      ["Write a Python function that reverses a linked list and explain its complexity.",
                       "Explain the difference between a process and a thread, with an example of each."],
                      [REFACTOR])
    )
    assert max(easy) < min(middling) and max(middling) < min(hard)
    assert min(easy) < 0.2 and max(hard) > 0.8


def claude_code_request(ask: str | None = None) -> RouteRequest:
    """The request Claude Code 2.1.332 sent for `claude -p "say hello"` (its default model, recorded at the
    provider boundary: a 5.9k-character system prompt, a system note, 12 tool schemas, a reminder block in
    the user turn, max_tokens 128000), as the daemon routes it; ``ask`` replaces the user's text."""
    body = json.loads((FIXTURES / "claude_code_say_hello.json").read_text())
    if ask is not None:
        body = copy.deepcopy(body)
        for message in body["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else ():
                if block.get("text") == "say hello":
                    block["text"] = ask
    return request_from_line({"id": "claude-code", "messages": body["messages"], "system": body["system"],
                              "tools": body["tools"], "max_output_tokens": body["max_tokens"]})


def test_claude_code_saying_hello_is_not_sent_to_the_frontier_for_its_system_prompt(shipped) -> None:  # type: ignore[no-untyped-def]
    request = claude_code_request()
    assert request.prompt_tokens > 9000, "the recorded envelope should be a real agent's (system prompt + tools)"
    tier, complexity = tier_for(request, shipped)
    assert tier is not Tier.FRONTIER
    assert complexity < 0.4


def test_the_same_agent_envelope_with_a_hard_ask_goes_to_the_frontier(shipped) -> None:  # type: ignore[no-untyped-def]
    tier, _ = tier_for(claude_code_request(REFACTOR), shipped)
    assert tier is Tier.FRONTIER
