"""What a request's budgets can still pay for: the models whose worst case fits what is left, and the
refusal, with the real figures, when not even the cheapest model that could serve the request fits.

The request path prices each model's worst case for the request (``daemon.gateway.worst_case_micros``)
and hands the figures in; routing then chooses among the models that fit (a step down, when the
dearer ones do not), and the reservation covers only the route it chose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from daemon.budgets.state import BudgetFigures, exceeded_message, usd
from daemon.errors import BudgetExceededError


@dataclass(frozen=True, slots=True)
class Headroom:
    """What one request may still reserve: the least any of its budgets has left, and that budget."""

    remaining_micros: int
    binding: BudgetFigures


def headroom(figures: Sequence[BudgetFigures]) -> Headroom | None:
    """The headroom of a request counting toward ``figures`` (None when no budget applies)."""
    if not figures:
        return None
    binding = min(figures, key=lambda f: f.remaining_micros)
    return Headroom(binding.remaining_micros, binding)


def unaffordable(worst: Mapping[str, int], room: Headroom) -> dict[str, str]:
    """model → why the budget cannot pay for it, for every model whose worst case is more than is left."""
    left = f"the {usd(room.remaining_micros)} left of {room.binding.label}"
    return {name: f"could cost up to {usd(cost)}, more than {left}" for name, cost in worst.items()
            if cost > room.remaining_micros}


def cheapest(worst: Mapping[str, int], names: Sequence[str]) -> tuple[str, int] | None:
    """The model among ``names`` with the smallest worst case, with it."""
    priced = [(worst[name], name) for name in names if name in worst]
    if not priced:
        return None
    cost, name = min(priced)
    return name, cost


def budget_refusal(f: BudgetFigures, request_micros: int | None = None, model: str | None = None) -> BudgetExceededError:
    """The refusal of a request by budget ``f``: the message and its figures as details."""
    return BudgetExceededError(
        exceeded_message(f, request_micros, model),
        details={
            "budget": f.label, "scope": f.scope, "name": f.name, "period": f.period,
            "spent_usd": f.settled_micros / 1_000_000, "reserved_usd": f.reserved_micros / 1_000_000,
            "limit_usd": f.limit_micros / 1_000_000, "left_usd": f.remaining_micros / 1_000_000,
            "request_usd": None if request_micros is None else request_micros / 1_000_000,
            "model": model, "resets_at": f.resets_at,
        },
    )
