"""Budgets: GET/PUT /api/budget.

``GET`` shows the caller's budgets (their own and their team's); an admin may ask for one
developer's (``?developer=NAME``) or every budget (``?all=1``). ``PUT`` sets a developer's or a
team's limit and is for admins only (the socket's owner, or a TCP key marked admin).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from daemon import accounting
from daemon.api.http import developer_of, json_response, parse_body, services_of
from daemon.api.wire import BudgetInfo, BudgetSet, BudgetStatus, DeveloperSpend
from daemon.budgets import BudgetFigures, period_bounds
from daemon.errors import InvalidRequestError, PermissionDeniedError
from daemon.services import Services
from daemon.store.records import Budget, Developer, micros_to_usd


def budget_info(f: BudgetFigures) -> BudgetInfo:
    """A budget's figures on the wire."""
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
    )


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
        f = await accounting.figures(services, budget, _owner_name(budget, developers, teams))
        out.append(budget_info(f))
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
    infos = [
        budget_info(await accounting.figures(services, budget, name))
        for budget, name in await accounting.budgets_of(services, whose)
    ]
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
    return json_response(BudgetStatus(budgets=[budget_info(await accounting.figures(services, budget, name))]))


routes = [
    Route("/api/budget", get_budget, methods=["GET"]),
    Route("/api/budget", put_budget, methods=["PUT"]),
]
