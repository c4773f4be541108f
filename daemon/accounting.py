"""Budget accounting at the I/O edge: reserve before a call, settle after, release on failure.

PLACEHOLDER until the budgets issue: every function here is a no-op with its final signature, so
the request path already calls them in the right places.
"""

from __future__ import annotations

from daemon.router.types import BudgetState
from daemon.services import Services
from daemon.store.records import Developer


async def budget_state(services: Services, developer: Developer) -> BudgetState:
    """The budget state the router sees: settled spend plus open reservations, worst budget first."""
    return BudgetState.unlimited()


async def reserve(services: Services, developer: Developer, trace_id: str, worst_case_micros: int) -> None:
    """Reserve a request's worst-case cost against every budget it counts toward, or raise
    ``BudgetExceededError`` (saying whose budget, how much is spent, and when it resets)."""


async def settle(services: Services, trace_id: str, actual_micros: int) -> None:
    """Close a request's reservations with its true cost."""


async def release(services: Services, trace_id: str) -> None:
    """Drop a request's reservations (the call failed or was cancelled)."""
