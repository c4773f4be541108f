"""Where a budget stands in its period, what that means for the next request, and how to say so.

States, by the fraction used ((settled + reserved) / limit):
  ok              below the soft threshold: routed normally
  stepped_down    past the soft threshold: the router steps down to cheaper tiers (not for critical)
  critical_only   past the critical-only threshold: only critical requests may use the frontier tier
  exhausted       at or past the limit: requests are refused until the period resets
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from daemon.budgets.periods import zone
from daemon.router.types import NO_BUDGET, BudgetState

State = Literal["ok", "stepped_down", "critical_only", "exhausted"]
_ORDER: dict[str, int] = {"ok": 0, "stepped_down": 1, "critical_only": 2, "exhausted": 3}
_PERIOD_WORD = {"day": "daily", "week": "weekly", "month": "monthly"}


def usd(micros: int) -> str:
    """Micro-dollars as dollars for people: cents, or more digits below a cent."""
    dollars = micros / 1_000_000
    return f"${dollars:,.2f}" if micros == 0 or abs(dollars) >= 0.01 else f"${dollars:.6f}"


def describe_reset(resets_at: float, tz: str) -> str:
    """The reset time in the budget's time zone, e.g. ``2026-12-01 00:00 UTC``."""
    return datetime.fromtimestamp(resets_at, zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    """One budget in its current period: its rules and its spend (everything in micro-dollars)."""

    scope: str
    """developer, team or eval."""
    name: str
    """The developer's or team's name."""
    period: str
    limit_micros: int
    settled_micros: int
    reserved_micros: int
    soft_threshold: float
    critical_only_threshold: float | None
    period_start: float
    resets_at: float
    timezone: str = "UTC"

    @property
    def used_micros(self) -> int:
        """Settled plus reserved: what the next reservation is checked against."""
        return self.settled_micros + self.reserved_micros

    @property
    def remaining_micros(self) -> int:
        """What is left to reserve (never negative)."""
        return max(0, self.limit_micros - self.used_micros)

    @property
    def used_up(self) -> bool:
        """Whether what is settled alone has reached the limit (reservations in flight aside)."""
        return self.settled_micros >= self.limit_micros

    @property
    def fraction_used(self) -> float:
        """(settled + reserved) / limit; a zero limit counts as fully used."""
        if self.limit_micros <= 0:
            return 1.0
        return self.used_micros / self.limit_micros

    @property
    def state(self) -> State:
        """Which rule applies to the next request."""
        return state_at(self.fraction_used, self.soft_threshold, self.critical_only_threshold)

    @property
    def label(self) -> str:
        """e.g. ``alice's monthly budget`` or ``team platform's weekly budget``."""
        who = f"team {self.name}" if self.scope == "team" else self.name
        return f"{who}'s {_PERIOD_WORD.get(self.period, self.period)} budget"

    @property
    def reset_text(self) -> str:
        """When this period ends, in words."""
        return describe_reset(self.resets_at, self.timezone)

    def next_action(self) -> str:
        """What the router will do with the next request, in words."""
        used = f"{self.fraction_used:.0%} of {usd(self.limit_micros)} used"
        state = self.state
        if state == "exhausted" and not self.used_up:
            return f"full for now: requests in flight hold the rest; new ones are refused until they end ({used})"
        if state == "exhausted":
            return f"requests are refused until the budget resets at {self.reset_text} ({used}), unless an admin raises it"
        if state == "critical_only":
            return f"cheaper tiers only; just requests marked critical may use the frontier tier ({used})"
        if state == "stepped_down":
            keep = (
                f" until {self.critical_only_threshold:.0%}" if self.critical_only_threshold is not None else ""
            )
            return f"requests step down to cheaper tiers; critical requests keep the frontier tier{keep} ({used})"
        return f"routed normally; steps down to cheaper tiers at {self.soft_threshold:.0%} ({used})"


def state_at(fraction: float, soft: float, critical_only: float | None) -> State:
    """The state of a budget at a given fraction used."""
    if fraction >= 1.0:
        return "exhausted"
    if critical_only is not None and fraction >= critical_only:
        return "critical_only"
    if fraction >= soft:
        return "stepped_down"
    return "ok"


def crossed(before: State, after: State) -> bool:
    """Whether a change of state is worth an event (any change, up or down, e.g. after a reset)."""
    return before != after


def _severity(f: BudgetFigures) -> tuple[int, float]:
    return _ORDER[f.state], f.fraction_used


def tightest(figures: list[BudgetFigures]) -> BudgetFigures | None:
    """The budget that constrains the next request most: worst state, then highest fraction."""
    return max(figures, key=_severity, default=None)


def router_state(figures: list[BudgetFigures]) -> BudgetState:
    """What the pure router needs: the tightest budget reduced to its fraction and thresholds.

    It is refused outright (``hard_exceeded``) only when its spend has reached the limit: a budget whose
    rest is held by reservations in flight is full for now, not used up (what a request may still
    reserve is the request path's to work out, model by model)."""
    worst = tightest(figures)
    if worst is None:
        return NO_BUDGET
    exhausted = worst.used_up
    # The router's refusal names the budget; when it refuses, the name also carries the spend and
    # the reset time, so the error says whose budget, how much is spent and when it resets.
    name = (
        f"{worst.label} ({usd(worst.settled_micros)} of {usd(worst.limit_micros)} spent; resets {worst.reset_text})"
        if exhausted
        else worst.label
    )
    return BudgetState(
        fraction_used=worst.fraction_used,
        soft_threshold=worst.soft_threshold,
        critical_only_threshold=worst.critical_only_threshold,
        hard_exceeded=exhausted,
        budget_name=name,
        remaining_usd=min(f.remaining_micros for f in figures) / 1_000_000,
    )


def exceeded_message(f: BudgetFigures, request_micros: int | None = None, model: str | None = None) -> str:
    """Why a request was refused, with the real figures: whose budget, what is spent, reserved and left of
    the limit, what the request could cost (on ``model``, the cheapest that could serve it), when the
    budget resets, and what to do. "Used up" only when the spend has really reached the limit."""
    raise_it = (f"ask an admin to raise it (`switchboard budget set "
                f"{'--team ' + f.name if f.scope == 'team' else f.name} --{_PERIOD_WORD.get(f.period, 'monthly')} USD`)")
    reset = f"It resets at {f.reset_text}"
    if f.used_up:
        return (f"{f.label} is used up: {usd(f.settled_micros)} of {usd(f.limit_micros)} is spent. {reset}. "
                f"Wait for the reset, or {raise_it}.")
    left = f.remaining_micros
    held = f"{usd(f.reserved_micros)} is reserved by requests in flight (what they do not spend comes back when they end)"
    if left <= 0:
        return (f"{f.label} has nothing left to reserve: {usd(f.settled_micros)} of {usd(f.limit_micros)} is spent "
                f"and {held}. Try again in a moment, or {raise_it}. {reset}.")
    figures = f"{usd(left)} of {usd(f.limit_micros)} is left ({usd(f.settled_micros)} spent"
    figures += f", {usd(f.reserved_micros)} reserved by requests in flight)" if f.reserved_micros else ")"
    on = f"even the cheapest model that could serve it, {model}," if model else "it"
    need = f"; this request could cost up to {usd(request_micros)} ({on} at its full input and max_tokens)" \
        if request_micros else ""
    return (f"{f.label} cannot pay for this request: {figures}{need}. Lower max_tokens or shorten the prompt, "
            f"wait for the reset, or {raise_it}. {reset}.")
