"""The routing step at the I/O edge: build candidates from config and live health, ask the pure
router for a decision, and hand the request path a ``RoutePlan``.

PLACEHOLDER until the router issue lands here: cheapest usable model, pinned models honoured.
The ``RoutePlan`` shape is final; the request path depends only on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daemon.candidates import availability
from daemon.errors import InvalidRequestError, NoRouteError
from daemon.router.types import BudgetState
from daemon.services import Services


@dataclass(frozen=True)
class RoutingInput:
    """What the routing step needs to know about a request, whatever surface it came from."""

    messages: tuple[dict[str, Any], ...]
    requested_model: str = "auto"
    surface: str = "api"
    max_output_tokens: int | None = None
    priority: str = "normal"
    task_hint: str | None = None
    has_tools: bool = False
    wants_json: bool = False
    is_fim: bool = False
    input_tokens: int = 0


@dataclass(frozen=True)
class RoutePlan:
    """The models to try, in order, and everything the trace records about why."""

    chosen: str
    fallbacks: tuple[str, ...]
    reason: str
    policy: str
    policy_kind: str = "placeholder"
    matrix_version: int = 0
    task_type: str | None = None
    complexity: float | None = None
    stepped_down: bool = False
    decision: dict[str, Any] = field(default_factory=dict)
    """The decision as a JSON-able dict (``DecisionInfo`` fields), stored in the trace."""

    @property
    def route(self) -> tuple[str, ...]:
        """Chosen model first, then the fallbacks."""
        return (self.chosen, *self.fallbacks)


def plan_route(services: Services, request: RoutingInput, budget: BudgetState) -> RoutePlan:
    """Decide where a request goes (raises ``NoRouteError``/``BudgetExceededError``/``InvalidRequestError``)."""
    settings = services.settings
    usable = availability(settings)
    requested = request.requested_model
    if requested not in ("auto", "") and not requested.startswith("auto:"):
        if requested not in settings.models:
            raise InvalidRequestError(
                f"unknown model {requested!r}; use 'auto' or one of: {', '.join(sorted(settings.models))}"
            )
        if usable[requested] is not None:
            raise NoRouteError(f"model {requested!r} cannot be used: {usable[requested]}")
        fallbacks = tuple(f for f in settings.models[requested].fallbacks if usable.get(f) is None)
        return RoutePlan(requested, fallbacks, f"pinned to {requested}", "pinned", "pinned")
    ok = [name for name, reason in usable.items() if reason is None]
    if not ok:
        why = "; ".join(f"{n}: {r}" for n, r in usable.items()) or "no models are configured"
        raise NoRouteError(f"no model can serve this request: {why}")

    def price(name: str) -> tuple[float, str]:
        m = settings.models[name]
        return (m.input_usd_per_mtok + m.output_usd_per_mtok, name)

    ranked = sorted(ok, key=price)
    return RoutePlan(ranked[0], tuple(ranked[1:3]), f"cheapest usable model: {ranked[0]}", "cheapest", "cheapest")
