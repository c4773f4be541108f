"""Budget accounting at the I/O edge: reserve before a call, settle after, release on failure.

The pure rules live in ``daemon.budgets``; this module reads budgets and spend from the store and
writes the ledger. A request counts toward its developer's budget and, when the developer is in a
team, the team's budget too. ``reserve`` claims the worst-case cost against all of them in one
store transaction (checked against settled + open reservations, so concurrent requests cannot
overspend); ``settle`` records the true cost and frees the rest; ``release`` frees everything.
Reservations a crash left open are reconciled by the store when the daemon starts.

The request path must stay cheap, so this module keeps a short-lived view in memory: which budgets
a developer has (re-read every ``BUDGETS_TTL`` seconds, and at once after ``set_budget``) and each
budget's spend (re-read every ``SPEND_TTL`` seconds, adjusted in between by this daemon's own
reserve/settle/release). That view only steers the router (step-down, critical-only, early
refusal); the limit itself is enforced by the store's atomic ``reserve``, never by the view.

Budget state changes (crossing the soft threshold, running out, a new period) are published as
``budget`` events on the event bus.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from daemon.budgets import BudgetFigures, crossed, period_bounds, router_state, usd
from daemon.budgets.afford import budget_refusal
from daemon.budgets.state import State
from daemon.core.services import Services
from daemon.errors import BudgetExceededError, InvalidRequestError, NotFoundError
from daemon.router.types import BudgetState
from daemon.store.records import Budget, Developer, micros_to_usd, usd_to_micros

log = logging.getLogger("switchboard.budgets")

BUDGETS_TTL = 5.0
"""Seconds a developer's list of budgets (and team membership) is reused before it is read again."""
SPEND_TTL = 1.0
"""Seconds a budget's spend is reused before it is read again (other daemons sharing the store)."""

Owned = list[tuple[Budget, str]]
"""(budget, its owner's name) pairs."""


@dataclass
class _Claim:
    budgets: Owned
    period_starts: list[float]
    amount: int


@dataclass
class _Book:
    """Per-daemon memory of budgets, spend, open claims and the last published state of each budget."""

    budgets: dict[int, tuple[float, Owned]] = field(default_factory=dict)
    """developer id → (read at, their budgets)."""
    spend: dict[tuple[int, float], tuple[float, BudgetFigures]] = field(default_factory=dict)
    """(budget id, period start) → (read at, figures, adjusted since by this daemon)."""
    claims: dict[str, _Claim] = field(default_factory=dict)
    """trace id → what it reserved."""
    states: dict[int, tuple[float, State, bool]] = field(default_factory=dict)
    """budget id → (period start, state, used up) last published."""


_books: weakref.WeakKeyDictionary[Any, _Book] = weakref.WeakKeyDictionary()


def _book(services: Services) -> _Book:
    # Looked up several times per request: remembered on the services (a WeakKeyDictionary lookup
    # showed up in profiles), keyed by the store so every Services over one store shares one book.
    store = services.store
    cached = services.__dict__.get("_budget_book")
    if cached is not None and cached[0] is store:
        return cached[1]
    book = _books.get(store)
    if book is None:
        book = _books[store] = _Book()
    services.__dict__["_budget_book"] = (store, book)
    return book


def forget(services: Services) -> None:
    """Drop the in-memory view (after budgets or teams were changed behind this module's back)."""
    book = _book(services)
    book.budgets.clear()
    book.spend.clear()


# -- reading budgets -------------------------------------------------------------------------------


async def _read_budgets(services: Services, developer: Developer) -> Owned:
    store = services.store
    current = await store.get_developer(developer.id)
    own = await store.budget_for("developer", current.id)
    default_usd = services.settings.budgets.default_monthly_usd
    if own is None and default_usd > 0:
        own = await store.set_budget("developer", current.id, "month", usd_to_micros(default_usd))
        await carry_over(services, own, [current.id])
    found: Owned = [(own, current.name)] if own is not None else []
    if current.team_id is not None:
        team_budget = await store.budget_for("team", current.team_id)
        if team_budget is not None:
            found.append((team_budget, (await store.get_team(current.team_id)).name))
    return found


async def budgets_of(services: Services, developer: Developer, *, fresh: bool = False) -> Owned:
    """Every (budget, owner name) a developer's requests count toward: their own, then their team's.

    A developer without a budget gets ``[budgets] default_monthly_usd`` (when it is not 0) the first
    time one is needed. Team membership is read from the store, not from a cached identity.
    """
    book = _book(services)
    now = time.monotonic()
    cached = book.budgets.get(developer.id)
    if not fresh and cached is not None and now - cached[0] < BUDGETS_TTL:
        return cached[1]
    found = await _read_budgets(services, developer)
    book.budgets[developer.id] = (now, found)
    return found


def _thresholds(services: Services, budget: Budget) -> tuple[float, float | None]:
    settings = services.settings.budgets
    soft = budget.soft_threshold if budget.soft_threshold is not None else settings.soft_threshold
    critical = (
        budget.critical_only_threshold if budget.critical_only_threshold is not None else settings.critical_only_threshold
    )
    return soft, critical


async def figures(services: Services, budget: Budget, name: str, *, now: float | None = None) -> BudgetFigures:
    """A budget's rules and spend in the period containing ``now``, read from the store."""
    settings = services.settings.budgets
    start, end = period_bounds(budget.period, time.time() if now is None else now, settings.timezone)
    settled, reserved = await services.store.spend(budget.id, start)
    soft, critical = _thresholds(services, budget)
    f = BudgetFigures(
        scope=budget.scope, name=name, period=budget.period, limit_micros=budget.limit_micros,
        settled_micros=settled, reserved_micros=reserved, soft_threshold=soft, critical_only_threshold=critical,
        period_start=start, resets_at=end, timezone=settings.timezone,
    )
    _book(services).spend[(budget.id, start)] = (time.monotonic(), f)
    return f


async def _current(services: Services, budget: Budget, name: str) -> BudgetFigures:
    """Figures from the in-memory view when fresh enough, else from the store."""
    start, _ = period_bounds(budget.period, time.time(), services.settings.budgets.timezone)
    cached = _book(services).spend.get((budget.id, start))
    if cached is not None and time.monotonic() - cached[0] < SPEND_TTL:
        soft, critical = _thresholds(services, budget)
        return dataclasses.replace(
            cached[1], name=name, limit_micros=budget.limit_micros, soft_threshold=soft,
            critical_only_threshold=critical,
        )
    return await figures(services, budget, name)


def _adjust(services: Services, claim: _Claim, *, reserved: int, settled: int) -> None:
    """Move this daemon's own reserve/settle/release into the in-memory view, and publish crossings."""
    book = _book(services)
    for (budget, _), start in zip(claim.budgets, claim.period_starts, strict=True):
        cached = book.spend.get((budget.id, start))
        if cached is None:
            continue
        f = dataclasses.replace(
            cached[1],
            reserved_micros=max(0, cached[1].reserved_micros + reserved),
            settled_micros=cached[1].settled_micros + settled,
        )
        book.spend[(budget.id, start)] = (cached[0], f)
        note_state(services, budget.id, f)


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
    """Publish a ``budget`` event when a budget's state differs from the last one seen (a full budget
    becoming used up is news too: the next action changes from "wait a moment" to "wait for the reset")."""
    book = _book(services)
    last = book.states.get(budget_id)
    used_up = f.used_up
    book.states[budget_id] = (f.period_start, f.state, used_up)
    if last is None:
        if f.state == "ok":
            return  # first sight of a healthy budget is not news
        services.events.publish("budget", budget_event_data(f, None))
    elif last[0] != f.period_start or crossed(last[1], f.state) or last[2] != used_up:
        services.events.publish("budget", budget_event_data(f, last[1]))


# -- the request path ------------------------------------------------------------------------------


async def current_figures(services: Services, developer: Developer) -> list[BudgetFigures]:
    """Every budget a developer's requests count toward, as it stands now (settled and reserved)."""
    found = await budgets_of(services, developer)
    all_figures = []
    for budget, name in found:
        f = await _current(services, budget, name)
        note_state(services, budget.id, f)
        all_figures.append(f)
    return all_figures


async def budget_state(services: Services, developer: Developer) -> BudgetState:
    """The budget state the router sees: settled spend plus open reservations, worst budget first."""
    found = await current_figures(services, developer)
    return router_state(found) if found else BudgetState.unlimited()


async def reserve(
    services: Services, developer: Developer, trace_id: str, worst_case_micros: int, *, now: float | None = None
) -> int | None:
    """Reserve a request's worst-case cost against every budget it counts toward, or raise
    ``BudgetExceededError`` (saying whose budget, how much is spent, and when it resets). Returns what was
    reserved, None when no budget applies."""
    found = await budgets_of(services, developer)
    if not found:
        return None
    when = time.time() if now is None else now
    tz = services.settings.budgets.timezone
    amount = max(0, worst_case_micros)
    starts = [period_bounds(budget.period, when, tz)[0] for budget, _ in found]
    try:
        await services.store.reserve(trace_id, [(b, s) for (b, _), s in zip(found, starts, strict=True)], amount)
    except BudgetExceededError as exc:
        failed_id = (exc.details or {}).get("budget_id")
        budget, name = next(((b, n) for b, n in found if b.id == failed_id), found[0])
        f = await figures(services, budget, name, now=when)  # fresh: the caller may decide again on them
        note_state(services, budget.id, f)
        refusal = budget_refusal(f, worst_case_micros)
        refusal.details["trace_id"] = trace_id
        raise refusal from None
    claim = _Claim(found, starts, amount)
    _book(services).claims[trace_id] = claim
    _adjust(services, claim, reserved=amount, settled=0)
    return amount


async def settle(services: Services, trace_id: str, actual_micros: int) -> None:
    """Close a request's reservations with its true cost."""
    claim = _book(services).claims.pop(trace_id, None)
    if claim is None:
        return  # nothing was reserved: no budget applies to this request
    actual = max(0, actual_micros)
    if actual > claim.amount:
        log.warning(
            "request %s cost %s, more than its reservation of %s: check the model's prices and max_tokens",
            trace_id, usd(actual), usd(claim.amount),
        )
    await services.store.settle(trace_id, actual)
    _adjust(services, claim, reserved=-claim.amount, settled=actual)


async def close(services: Services, trace_id: str, spent_micros: int) -> None:
    """End a request that did not finish: charge what its attempts cost (a provider bills the part of an
    answer it sent before it broke off, or before the caller left), or release it all when that is nothing."""
    if spent_micros > 0:
        await settle(services, trace_id, spent_micros)
    else:
        await release(services, trace_id)


async def release(services: Services, trace_id: str) -> None:
    """Drop a request's reservations (the call failed or was cancelled)."""
    claim = _book(services).claims.pop(trace_id, None)
    if claim is None:
        return
    await services.store.release(trace_id)
    _adjust(services, claim, reserved=-claim.amount, settled=0)


# -- admin -----------------------------------------------------------------------------------------


async def carry_over(services: Services, budget: Budget, members: list[int]) -> int:
    """Count what ``members`` already spent this period toward a budget that starts counting mid-period
    (new, or given another period): a limit set on the 20th covers the month, not the rest of it.
    Returns what was carried (micro-dollars)."""
    start, _ = period_bounds(budget.period, time.time(), services.settings.budgets.timezone)
    spent = await services.store.spend_by_developer(start)
    already, _ = await services.store.spend(budget.id, start)  # rows of this period the budget already has
    carried = sum(spent.get(member, (0, 0))[0] for member in members) - already
    if carried > 0:
        await services.store.carry_spend(budget.id, start, carried)
    return max(0, carried)


async def spend_this_period(services: Services, developers: list[Developer],
                            since: float) -> list[tuple[Developer, int, int]]:
    """(developer, cost in micro-dollars, requests) since a period's start, for each of ``developers``,
    whether or not a budget limits them (from their traces)."""
    spent = await services.store.spend_by_developer(since)
    return [(d, *spent.get(d.id, (0, 0))) for d in developers]


async def set_budget(
    services: Services,
    *,
    developer: str | None = None,
    team: str | None = None,
    period: str = "month",
    limit_usd: float,
    soft_threshold: float | None = None,
    critical_only_threshold: float | None = None,
    members: list[str] | None = None,
) -> tuple[Budget, str]:
    """Create or replace a developer's or a team's budget (putting ``members`` in the team);
    returns it with its owner's name."""
    store = services.store
    if members and team is None:
        raise InvalidRequestError("members only go with a team: give --team TEAM too")
    if team is not None:
        people = [await store.developer_by_name(member) for member in members or ()]  # all known before any change
        try:
            owner = await store.team_by_name(team)
        except NotFoundError:
            owner = await store.create_team(team)  # a budget is how a team comes to exist
        for person in people:
            await store.set_team(person.id, owner.id)
        scope, scope_id, name = "team", owner.id, owner.name
    elif developer is not None:
        person = await store.developer_by_name(developer)
        scope, scope_id, name = "developer", person.id, person.name
    else:
        raise InvalidRequestError("say whose budget to set: a developer name or a team")
    before = await store.budget_for(scope, scope_id)
    budget = await store.set_budget(
        scope, scope_id, period, usd_to_micros(limit_usd),
        soft_threshold=soft_threshold, critical_only_threshold=critical_only_threshold,
    )
    if before is None or before.period != period:
        members = [scope_id] if scope == "developer" else [d.id for d in await store.list_developers()
                                                          if d.team_id == scope_id]
        await carry_over(services, budget, members)
    forget(services)
    note_state(services, budget.id, await figures(services, budget, name))
    return budget, name
