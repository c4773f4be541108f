"""Budget accounting at the I/O edge: reserve before a call, settle after, release on failure.

The pure rules live in ``daemon.budgets``; this module reads budgets and spend from the store and
writes the ledger. A request counts toward its developer's budget and, when the developer is in a
team, the team's budget too. ``reserve`` claims the worst-case cost against all of them in one
store transaction (checked against settled + open reservations, so concurrent requests cannot
overspend); ``settle`` records the true cost and frees the rest; ``release`` frees everything.
Reservations a crash left open are reconciled by the store when the daemon starts.

Budget state changes (e.g. crossing the soft threshold, running out, a new period) are published
as ``budget`` events on the event bus.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daemon.budgets import BudgetFigures, exceeded_message, period_bounds, router_state, usd
from daemon.budgets.state import State
from daemon.errors import BudgetExceededError, InvalidRequestError, NotFoundError
from daemon.router.types import BudgetState
from daemon.store.records import Budget, Developer, micros_to_usd, usd_to_micros

if TYPE_CHECKING:
    from daemon.services import Services

log = logging.getLogger("switchboard.budgets")


@dataclass
class _Book:
    """Per-daemon memory: each budget's last published state, and which budgets a request claimed."""

    states: dict[int, tuple[float, State]] = field(default_factory=dict)
    claims: dict[str, tuple[list[tuple[Budget, str]], int]] = field(default_factory=dict)
    """trace id → (the budgets it reserved against, the amount reserved)."""


_books: weakref.WeakKeyDictionary[Any, _Book] = weakref.WeakKeyDictionary()


def _book(services: Services) -> _Book:
    book = _books.get(services.store)
    if book is None:
        book = _books[services.store] = _Book()
    return book


# -- reading budgets -------------------------------------------------------------------------------


async def budgets_of(services: Services, developer: Developer) -> list[tuple[Budget, str]]:
    """Every (budget, owner name) a developer's requests count toward: their own, then their team's.

    A developer without a budget gets ``[budgets] default_monthly_usd`` (when it is not 0) the first
    time one is needed. Team membership is read from the store, not from a cached identity.
    """
    store = services.store
    current = await store.get_developer(developer.id)
    own = await store.budget_for("developer", current.id)
    default_usd = services.settings.budgets.default_monthly_usd
    if own is None and default_usd > 0:
        own = await store.set_budget("developer", current.id, "month", usd_to_micros(default_usd))
    found: list[tuple[Budget, str]] = [(own, current.name)] if own is not None else []
    if current.team_id is not None:
        team_budget = await store.budget_for("team", current.team_id)
        if team_budget is not None:
            found.append((team_budget, (await store.get_team(current.team_id)).name))
    return found


async def figures(services: Services, budget: Budget, name: str, *, now: float | None = None) -> BudgetFigures:
    """A budget's rules and spend in the period containing ``now``."""
    settings = services.settings.budgets
    start, end = period_bounds(budget.period, time.time() if now is None else now, settings.timezone)
    settled, reserved = await services.store.spend(budget.id, start)
    return BudgetFigures(
        scope=budget.scope, name=name, period=budget.period, limit_micros=budget.limit_micros,
        settled_micros=settled, reserved_micros=reserved,
        soft_threshold=budget.soft_threshold if budget.soft_threshold is not None else settings.soft_threshold,
        critical_only_threshold=(
            budget.critical_only_threshold
            if budget.critical_only_threshold is not None
            else settings.critical_only_threshold
        ),
        period_start=start, resets_at=end, timezone=settings.timezone,
    )


def budget_event_data(f: BudgetFigures, previous: State | None) -> dict[str, Any]:
    """The ``data`` of a ``budget`` event (``developer`` or ``team`` names whom it concerns)."""
    return {
        "scope": f.scope,
        "name": f.name,
        ("team" if f.scope == "team" else "developer"): f.name,
        "period": f.period,
        "state": f.state,
        "previous_state": previous,
        "fraction_used": f.fraction_used,
        "limit_usd": micros_to_usd(f.limit_micros),
        "spent_usd": micros_to_usd(f.settled_micros),
        "reserved_usd": micros_to_usd(f.reserved_micros),
        "resets_at": f.resets_at,
        "next_action": f.next_action(),
    }


def note_state(services: Services, budget_id: int, f: BudgetFigures) -> None:
    """Publish a ``budget`` event when a budget's state differs from the last one seen."""
    book = _book(services)
    last = book.states.get(budget_id)
    book.states[budget_id] = (f.period_start, f.state)
    if last is None:
        if f.state == "ok":
            return  # first sight of a healthy budget is not news
        services.events.publish("budget", budget_event_data(f, None))
    elif last != (f.period_start, f.state):
        services.events.publish("budget", budget_event_data(f, last[1]))


async def _recheck(services: Services, claimed: list[tuple[Budget, str]]) -> None:
    for budget, name in claimed:
        note_state(services, budget.id, await figures(services, budget, name))


# -- the request path ------------------------------------------------------------------------------


async def budget_state(services: Services, developer: Developer) -> BudgetState:
    """The budget state the router sees: settled spend plus open reservations, worst budget first."""
    found = await budgets_of(services, developer)
    if not found:
        return BudgetState.unlimited()
    all_figures = []
    for budget, name in found:
        f = await figures(services, budget, name)
        note_state(services, budget.id, f)
        all_figures.append(f)
    return router_state(all_figures)


async def reserve(
    services: Services, developer: Developer, trace_id: str, worst_case_micros: int, *, now: float | None = None
) -> None:
    """Reserve a request's worst-case cost against every budget it counts toward, or raise
    ``BudgetExceededError`` (saying whose budget, how much is spent, and when it resets)."""
    found = await budgets_of(services, developer)
    if not found:
        return
    when = time.time() if now is None else now
    tz = services.settings.budgets.timezone
    claims = [(budget, period_bounds(budget.period, when, tz)[0]) for budget, _ in found]
    try:
        await services.store.reserve(trace_id, claims, max(0, worst_case_micros))
    except BudgetExceededError as exc:
        failed_id = (exc.details or {}).get("budget_id")
        budget, name = next(((b, n) for b, n in found if b.id == failed_id), found[0])
        f = await figures(services, budget, name, now=when)
        note_state(services, budget.id, f)
        raise BudgetExceededError(
            exceeded_message(f, worst_case_micros),
            details={
                "budget": f.label, "scope": f.scope, "name": f.name, "period": f.period,
                "spent_usd": micros_to_usd(f.settled_micros), "reserved_usd": micros_to_usd(f.reserved_micros),
                "limit_usd": micros_to_usd(f.limit_micros), "request_usd": micros_to_usd(worst_case_micros),
                "resets_at": f.resets_at, "trace_id": trace_id,
            },
        ) from None
    _book(services).claims[trace_id] = (found, worst_case_micros)


async def settle(services: Services, trace_id: str, actual_micros: int) -> None:
    """Close a request's reservations with its true cost."""
    claimed, reserved = _book(services).claims.pop(trace_id, ([], 0))
    if claimed and actual_micros > reserved:
        log.warning(
            "request %s cost %s, more than its reservation of %s: check the model's prices and max_tokens",
            trace_id, usd(actual_micros), usd(reserved),
        )
    await services.store.settle(trace_id, max(0, actual_micros))
    await _recheck(services, claimed)


async def release(services: Services, trace_id: str) -> None:
    """Drop a request's reservations (the call failed or was cancelled)."""
    claimed, _ = _book(services).claims.pop(trace_id, ([], 0))
    await services.store.release(trace_id)
    await _recheck(services, claimed)


# -- admin -----------------------------------------------------------------------------------------


async def set_budget(
    services: Services,
    *,
    developer: str | None = None,
    team: str | None = None,
    period: str = "month",
    limit_usd: float,
    soft_threshold: float | None = None,
    critical_only_threshold: float | None = None,
) -> tuple[Budget, str]:
    """Create or replace a developer's or a team's budget; returns it with its owner's name."""
    store = services.store
    if team is not None:
        try:
            owner = await store.team_by_name(team)
        except NotFoundError:
            owner = await store.create_team(team)  # a budget is how a team comes to exist
        scope, scope_id, name = "team", owner.id, owner.name
    elif developer is not None:
        person = await store.developer_by_name(developer)
        scope, scope_id, name = "developer", person.id, person.name
    else:
        raise InvalidRequestError("say whose budget to set: a developer name or a team")
    budget = await store.set_budget(
        scope, scope_id, period, usd_to_micros(limit_usd),
        soft_threshold=soft_threshold, critical_only_threshold=critical_only_threshold,
    )
    note_state(services, budget.id, await figures(services, budget, name))
    return budget, name
