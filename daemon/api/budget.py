"""Budgets: GET/PUT /api/budget.

``GET`` shows the caller's budgets (their own and their team's); an admin may ask for one
developer's (``?developer=NAME``) or every budget (``?all=1``). ``PUT`` sets a developer's or a
team's limit and is for admins only (the socket's owner, or a TCP key marked admin).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon.api.http import developer_of, json_response, parse_body, services_of
from daemon.budgets import BudgetFigures, period_bounds
from daemon.core import accounting
from daemon.core.services import Services
from daemon.errors import InvalidRequestError, PermissionDeniedError
from daemon.store.records import Budget, Developer, micros_to_usd
from daemon.wire import BudgetInfo, BudgetSet, BudgetStatus, DeveloperSpend

BURN_WINDOW_S = 3600.0
"""The burn rate is the spend of the last hour: recent enough to follow a change of pace, long
enough not to swing with every request."""
MIN_BURN_WINDOW_S = 120.0
"""Below two minutes of history (a period that just began) there is no rate worth projecting."""


@dataclass(frozen=True, slots=True)
class Burn:
    """Recent spend of a budget's owner: the rate, and the window it was measured over."""

    usd_per_hour: float = 0.0
    since: float | None = None


async def recent_burn(services: Services, budget: Budget, name: str, f: BudgetFigures, now: float) -> Burn:
    """The owner's spend per hour over the last hour of this period, from its traces."""
    if budget.scope == "eval":
        return Burn()
    since = max(f.period_start, now - BURN_WINDOW_S)
    if now - since < MIN_BURN_WINDOW_S:
        return Burn()
    if budget.scope == "developer":
        facts = await services.store.trace_facts(since, developer_id=budget.scope_id)
    else:
        facts = [t for t in await services.store.trace_facts(since) if t.get("team") == name]
    spent = sum(int(t.get("cost_micros") or 0) for t in facts) / 1e6
    return Burn(usd_per_hour=spent * 3600.0 / (now - since), since=since)


def budget_info(f: BudgetFigures, burn: Burn = Burn(), now: float | None = None) -> BudgetInfo:
    """A budget's figures on the wire, with the projection at the recent burn rate."""
    now = time.time() if now is None else now
    used, limit = micros_to_usd(f.used_micros), micros_to_usd(f.limit_micros)
    projected = reached = None
    if burn.since is not None:
        per_s = burn.usd_per_hour / 3600.0
        projected = used + per_s * max(0.0, f.resets_at - now)
        if per_s > 0 and used < limit:
            at = now + (limit - used) / per_s
            reached = at if at < f.resets_at else None
    return BudgetInfo(
        scope=f.scope,  # type: ignore[arg-type]
        name=f.name,
        period=f.period,  # type: ignore[arg-type]
        limit_usd=micros_to_usd(f.limit_micros),
        spent_usd=micros_to_usd(f.settled_micros),
        reserved_usd=micros_to_usd(f.reserved_micros),
        fraction_used=f.fraction_used,
        soft_threshold=f.soft_threshold,
        critical_only_threshold=f.critical_only_threshold,
        period_start=f.period_start,
        resets_at=f.resets_at,
        state=f.state,
        next_action=f.next_action(),
        remaining_usd=micros_to_usd(f.remaining_micros),
        burn_usd_per_hour=burn.usd_per_hour,
        burn_since=burn.since,
        projected_usd=projected,
        limit_reached_at=reached,
    )


async def shown(services: Services, budget: Budget, name: str) -> BudgetInfo:
    """One budget as every client shows it: figures, remaining, burn rate and projection."""
    now = time.time()
    f = await accounting.figures(services, budget, name, now=now)
    return budget_info(f, await recent_burn(services, budget, name, f, now), now)


def _owner_name(budget: Budget, developers: dict[int, str], teams: dict[int, str]) -> str:
    if budget.scope == "developer":
        return developers.get(budget.scope_id, str(budget.scope_id))
    if budget.scope == "team":
        return teams.get(budget.scope_id, str(budget.scope_id))
    return "evaluation"


async def _every_budget(services: Services) -> list[BudgetInfo]:
    store = services.store
    developers = {d.id: d.name for d in await store.list_developers()}
    teams = {t.id: t.name for t in await store.list_teams()}
    out = []
    for budget in await store.list_budgets():
        out.append(await shown(services, budget, _owner_name(budget, developers, teams)))
    return out


async def _spend(services: Services, developers: list[Developer]) -> list[DeveloperSpend]:
    """Each developer's spend this month, and whether a budget limits them."""
    budgets = await services.store.list_budgets()
    mine = {b.scope_id for b in budgets if b.scope == "developer"}
    teams = {b.scope_id for b in budgets if b.scope == "team"}
    start, end = period_bounds("month", time.time(), services.settings.budgets.timezone)
    return [
        DeveloperSpend(developer=d.name, spent_usd=micros_to_usd(cost), requests=count,
                       limited=d.id in mine or d.team_id in teams, period_start=start, resets_at=end)
        for d, cost, count in await accounting.spend_this_period(services, developers, start)
    ]


async def get_budget(request: Request) -> Response:
    """Mine by default; one developer's or everyone's for an admin, with each one's spend this month."""
    services = services_of(request)
    me = developer_of(request)
    params = request.query_params
    if params.get("all") in ("1", "true"):
        if not me.is_admin:
            raise PermissionDeniedError("only an admin may see every budget; drop --all to see your own")
        everyone = await services.store.list_developers()
        return json_response(BudgetStatus(budgets=await _every_budget(services),
                                          spend=await _spend(services, everyone)))
    whose = me
    if params.get("developer") and params["developer"] != me.name:
        if not me.is_admin:
            raise PermissionDeniedError("only an admin may see another developer's budget")
        whose = await services.store.developer_by_name(params["developer"])
    infos = [await shown(services, budget, name) for budget, name in await accounting.budgets_of(services, whose)]
    return json_response(BudgetStatus(budgets=infos, spend=await _spend(services, [whose])))


async def put_budget(request: Request) -> Response:
    """Set a developer's or a team's limit (admin)."""
    services = services_of(request)
    me = developer_of(request)
    if not me.is_admin:
        raise PermissionDeniedError("only an admin may set budgets; ask the owner of the daemon")
    body = await parse_body(request, BudgetSet)
    if (body.developer is None) == (body.team is None):
        raise InvalidRequestError("set either a developer's budget or a team's, not both and not neither")
    soft = body.soft_threshold if body.soft_threshold is not None else services.settings.budgets.soft_threshold
    if body.critical_only_threshold is not None and body.critical_only_threshold < soft:
        raise InvalidRequestError(
            f"critical_only_threshold ({body.critical_only_threshold:g}) must not be below the soft threshold ({soft:g})"
        )
    budget, name = await accounting.set_budget(
        services, developer=body.developer, team=body.team, period=body.period, limit_usd=body.limit_usd,
        soft_threshold=body.soft_threshold, critical_only_threshold=body.critical_only_threshold,
        members=body.members,
    )
    return json_response(BudgetStatus(budgets=[await shown(services, budget, name)]))


routes = [
    Route("/api/budget", get_budget, methods=["GET"]),
    Route("/api/budget", put_budget, methods=["PUT"]),
]
