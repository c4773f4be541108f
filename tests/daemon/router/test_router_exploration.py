"""Bounded, deterministic exploration: rate, cost bound, evidence bound, and when it never happens."""

from __future__ import annotations

from daemon.router.engine import decide
from daemon.router.settings import RoutingSettings
from daemon.router.types import BudgetState, Tier
from tests.daemon.router.router_fixtures import cand, chat, cls, matrix_with

SETTINGS = RoutingSettings(exploration_rate=0.05, exploration_max_cost_ratio=2.0)
POOL = [
    cand("known", Tier.SMALL, 1.0),
    cand("newcomer", Tier.SMALL, 1.5),  # no evidence, within the cost bound
    cand("pricey-new", Tier.FRONTIER, 10.0),  # no evidence, beyond the cost bound
]
MATRIX = matrix_with({"known": 0.9}, complexity=0.0)


def _decide(i: int, **kw: object):  # type: ignore[no-untyped-def]
    return decide(chat(request_id=f"req-{i}", **kw), POOL, MATRIX, settings=SETTINGS, classification=cls(complexity=0.0))


def test_exploration_share_is_bounded_by_the_rate_and_cost_ratio() -> None:
    decisions = [_decide(i) for i in range(4000)]
    explored = [d for d in decisions if d.explored]
    assert 0.025 < len(explored) / len(decisions) < 0.075
    assert {d.model for d in explored} == {"newcomer"}
    assert all(d.fallbacks[0] == "known" for d in explored)
    assert all(d.reason.startswith("exploring newcomer") for d in explored)
    assert {d.model for d in decisions if not d.explored} == {"known"}


def test_exploration_is_deterministic_per_request() -> None:
    first = [_decide(i).model for i in range(300)]
    again = [_decide(i).model for i in range(300)]
    assert first == again


def test_no_exploration_for_critical_requests_or_past_the_soft_threshold() -> None:
    assert not any(_decide(i, priority="critical").explored for i in range(1000))
    tight = BudgetState(fraction_used=0.85, soft_threshold=0.8)
    assert not any(
        decide(chat(request_id=f"req-{i}"), POOL, MATRIX, tight, SETTINGS, classification=cls(complexity=0.0)).explored
        for i in range(1000)
    )


def test_zero_rate_never_explores() -> None:
    off = RoutingSettings(exploration_rate=0.0)
    assert not any(
        decide(chat(request_id=f"r{i}"), POOL, MATRIX, settings=off, classification=cls(complexity=0.0)).explored for i in range(500)
    )
