"""Budget step-down on top of every policy: soft threshold, critical-only threshold, hard limit."""

from __future__ import annotations

import pytest

from daemon.errors import BudgetExceededError, NoRouteError
from daemon.router.engine import decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.types import BudgetState, Tier
from tests.daemon.router.router_fixtures import NO_EXPLORE, cand, chat, cls, trio


def _budget(used: float, **kw: object) -> BudgetState:
    return BudgetState(fraction_used=used, soft_threshold=0.8, critical_only_threshold=0.95, budget_name="team-monthly", **kw)  # type: ignore[arg-type]


def test_budget_steps_down_one_tier_past_the_soft_threshold_and_says_so() -> None:
    hard_task = cls(complexity=0.95)
    before = decide(chat(), trio(), RoutingMatrix(), _budget(0.5), NO_EXPLORE, classification=hard_task)
    after = decide(chat(), trio(), RoutingMatrix(), _budget(0.83), NO_EXPLORE, classification=hard_task)
    assert before.model == "sim-ultra" and not before.stepped_down
    assert after.model == "sim-mid" and after.stepped_down
    assert after.reason.startswith("budget team-monthly 83% used (soft 80%) → stepped down to medium tier")
    assert "sim-ultra" not in after.fallbacks


def test_step_down_applies_to_other_policies_too() -> None:
    d = decide(chat(policy="specialist"), trio(), RoutingMatrix(), _budget(0.85), NO_EXPLORE, classification=cls())
    assert d.model == "sim-mid" and d.stepped_down


def test_critical_request_keeps_the_frontier_past_the_soft_threshold() -> None:
    d = decide(chat(priority="critical"), trio(), RoutingMatrix(), _budget(0.9), NO_EXPLORE, classification=cls(complexity=0.95))
    assert d.model == "sim-ultra" and not d.stepped_down


def test_past_critical_only_threshold_frontier_is_reserved_for_critical_requests() -> None:
    normal = decide(chat(), trio(), RoutingMatrix(), _budget(0.96), NO_EXPLORE, classification=cls(complexity=0.95))
    assert normal.model != "sim-ultra"
    assert "frontier tier is reserved for critical requests" in (normal.candidate("sim-ultra").excluded_reason or "")
    critical = decide(chat(priority="critical"), trio(), RoutingMatrix(), _budget(0.96), NO_EXPLORE, classification=cls(complexity=0.95))
    assert critical.model == "sim-ultra"


def test_only_frontier_models_past_critical_only_threshold_is_a_no_route_with_the_reason() -> None:
    frontier_only = [cand("sim-ultra", Tier.FRONTIER, 5.0)]
    with pytest.raises(NoRouteError, match="sim-ultra: budget team-monthly 96% used: frontier tier is reserved"):
        decide(chat(), frontier_only, RoutingMatrix(), _budget(0.96), NO_EXPLORE, classification=cls())


def test_hard_limit_raises_budget_exceeded_naming_the_budget_even_for_critical() -> None:
    with pytest.raises(BudgetExceededError, match="team-monthly") as err:
        decide(chat(priority="critical"), trio(), RoutingMatrix(), _budget(1.0, hard_exceeded=True), NO_EXPLORE, classification=cls())
    assert err.value.code == "budget_exceeded"


def test_small_tier_choice_does_not_step_down_further() -> None:
    d = decide(chat(), trio(), RoutingMatrix(), _budget(0.85), NO_EXPLORE, classification=cls(complexity=0.0))
    assert d.model == "sim-nano" and not d.stepped_down


def test_a_pinned_frontier_model_held_back_by_the_budget_is_a_budget_refusal_not_a_retryable_503() -> None:
    # Issue 16, finding 13: this answered 503 overloaded_error, which clients retry for minutes.
    with pytest.raises(BudgetExceededError, match="sim-ultra cannot serve this request: budget team-monthly 96% used") as err:
        decide(chat(pinned_model="sim-ultra"), trio(), RoutingMatrix(), _budget(0.96), NO_EXPLORE, classification=cls())
    assert err.value.status == 402
