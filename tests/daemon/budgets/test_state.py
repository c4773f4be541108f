"""Budget states, the router's view, crossings and the refusal message."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.budgets import BudgetFigures, crossed, exceeded_message, router_state
from daemon.budgets.state import state_at, tightest
from daemon.router.types import NO_BUDGET

RESET = datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC")).timestamp()


def figures(settled: int, reserved: int = 0, *, limit: int = 50_000_000, scope: str = "developer", name: str = "alice",
            period: str = "month", critical: float | None = 0.95) -> BudgetFigures:
    return BudgetFigures(scope=scope, name=name, period=period, limit_micros=limit, settled_micros=settled,
                         reserved_micros=reserved, soft_threshold=0.8, critical_only_threshold=critical,
                         period_start=RESET - 30 * 86400, resets_at=RESET)


def test_states_by_fraction_used_count_open_reservations():
    assert figures(10_000_000).state == "ok"
    assert figures(39_000_000, 1_000_000).state == "stepped_down"  # 80% with the reservation
    assert figures(47_500_000).state == "critical_only"
    assert figures(49_000_000, 1_000_000).state == "exhausted"
    assert figures(47_500_000, critical=None).state == "stepped_down"
    assert figures(0, limit=0).state == "exhausted"


def test_state_at_thresholds_are_inclusive():
    assert state_at(0.8, 0.8, 0.95) == "stepped_down"
    assert state_at(0.7999, 0.8, 0.95) == "ok"
    assert state_at(0.95, 0.8, 0.95) == "critical_only"
    assert state_at(1.0, 0.8, 0.95) == "exhausted"


def test_router_state_is_the_tightest_budget():
    mine = figures(10_000_000)
    team = figures(90_000_000, limit=100_000_000, scope="team", name="platform", period="week")
    state = router_state([mine, team])
    assert tightest([mine, team]) is team
    assert state.fraction_used == 0.9 and state.soft_threshold == 0.8 and state.critical_only_threshold == 0.95
    assert not state.hard_exceeded
    assert state.budget_name == "team platform's weekly budget"
    assert state.remaining_usd == 10.0
    assert router_state([]) is NO_BUDGET
    refused = router_state([figures(50_000_000)])
    assert refused.hard_exceeded
    assert refused.budget_name == "alice's monthly budget ($50.00 of $50.00 spent; resets 2026-12-01 00:00 UTC)"


def test_next_action_says_what_happens_to_the_next_request():
    assert figures(10_000_000).next_action().startswith("routed normally; steps down to cheaper tiers at 80%")
    assert "critical requests keep the frontier tier until 95%" in figures(41_000_000).next_action()
    assert "just requests marked critical may use the frontier" in figures(48_000_000).next_action()
    assert "refused until the budget resets at 2026-12-01 00:00 UTC" in figures(50_000_000).next_action()


def test_refusal_says_whose_budget_how_much_is_spent_and_when_it_resets():
    message = exceeded_message(figures(49_990_000, 5_000), 20_000, "sim-nano")
    assert "used up" not in message  # half a cent is left
    assert "alice's monthly budget cannot pay for this request: $0.005000 of $50.00 is left" in message
    assert "($49.99 spent, $0.005000 reserved by requests in flight)" in message
    assert "could cost up to $0.02 (even the cheapest model that could serve it, sim-nano," in message
    assert "resets at 2026-12-01 00:00 UTC" in message
    assert "switchboard budget set alice --monthly" in message
    held = exceeded_message(figures(40_000_000, 10_000_000), 20_000)
    assert "has nothing left to reserve: $40.00 of $50.00 is spent and $10.00 is reserved by requests in flight" in held
    assert "Try again in a moment" in held and "used up" not in held
    assert "is used up: $50.00 of $50.00 is spent" in exceeded_message(figures(50_000_000), 20_000)
    team = exceeded_message(figures(100, limit=100, scope="team", name="platform", period="week"))
    assert "team platform's weekly budget" in team and "--team platform --weekly" in team


def test_any_state_change_is_a_crossing():
    assert crossed("ok", "stepped_down") and crossed("exhausted", "ok") and not crossed("ok", "ok")


def test_a_budget_full_of_reservations_in_flight_is_not_used_up():
    full = figures(40_000_000, 10_000_000)
    assert full.state == "exhausted" and not full.used_up
    assert not router_state([full]).hard_exceeded  # what may still be reserved is worked out model by model
    assert "requests in flight hold the rest" in full.next_action()
    assert router_state([figures(50_000_000)]).hard_exceeded
