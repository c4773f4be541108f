"""Budgets, pure: calendar periods in a time zone, thresholds, the state a budget is in and what
happens to the next request, and how to say so. No I/O: ``daemon.core.accounting`` does the reading and
writing and hands plain values in. (What a call costs is the gateway's: ``daemon/gateway/cost.py``.)

    periods.py   period_bounds(): where a day / week / month starts and ends in a time zone
    state.py     BudgetFigures → state, next action, router BudgetState, crossing detection, refusal text
"""

from daemon.budgets.periods import PERIODS, period_bounds
from daemon.budgets.state import (
    BudgetFigures,
    crossed,
    describe_reset,
    exceeded_message,
    router_state,
    usd,
)

__all__ = [
    "PERIODS", "BudgetFigures", "crossed", "describe_reset", "exceeded_message", "period_bounds", "router_state",
    "usd",
]
