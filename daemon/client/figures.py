"""How figures read, the same in the CLI and the dashboard: money, and a budget's standing.

One budget truth: ``spent`` is settled spend, ``reserved`` what in-flight requests hold, and the
percentage is of both (it is what the next reservation is checked against), so the dollars and the
percentage on one line always agree. The forecast comes from the daemon's recent burn rate.
Pure functions of wire values: the thin clients import this module.
"""

from __future__ import annotations

import time

from daemon.wire import BudgetInfo, Savings

DASH = "–"


def usd(value: float | None) -> str:
    """Money with as many decimals as a small amount needs to be readable."""
    if value is None:
        return DASH
    if value == 0:
        return "$0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"${value:,.0f}"
    if magnitude >= 1:
        return f"${value:.2f}"
    if magnitude >= 0.01:
        return f"${value:.3f}"
    return f"${value:.5f}"


def _clock(ts: float, now: float) -> str:
    fmt = "%H:%M" if abs(ts - now) < 86_400 else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.localtime(ts))


def budget_amounts(b: BudgetInfo, *, compact: bool = False) -> str:
    """``$0.014 spent + $0.004 reserved of $0.150 (12%) · $0.132 left`` (compact: ``$0.014+$0.004 res/$0.150 12%
    · $0.132 left``, the same figures for an 80-column screen)."""
    if compact:
        reserved = f"+{usd(b.reserved_usd)} res" if b.reserved_usd else ""
        return f"{usd(b.spent_usd)}{reserved}/{usd(b.limit_usd)} {b.fraction_used:.0%} · {usd(b.remaining_usd)} left"
    reserved = f" + {usd(b.reserved_usd)} reserved" if b.reserved_usd else ""
    return (f"{usd(b.spent_usd)} spent{reserved} of {usd(b.limit_usd)} ({b.fraction_used:.0%}) · "
            f"{usd(b.remaining_usd)} left")


def budget_forecast(b: BudgetInfo, now: float, *, compact: bool = False) -> str:
    """Where the recent burn rate leads: ``limit reached at 14:10 at $0.02/h`` or ``→ $0.09 by reset 00:00``."""
    if b.state == "exhausted":
        return f"limit reached · resets {_clock(b.resets_at, now)}"
    if b.projected_usd is None:
        return f"resets {_clock(b.resets_at, now)}"
    if b.burn_usd_per_hour <= 0:
        return f"no spend lately · resets {_clock(b.resets_at, now)}"
    rate = "" if compact else f" at {usd(b.burn_usd_per_hour)}/h"
    if b.limit_reached_at is not None:
        return f"limit reached at {_clock(b.limit_reached_at, now)}{rate}"
    return f"→ {usd(b.projected_usd)} by {'' if compact else 'reset '}{_clock(b.resets_at, now)}{rate}"


def budget_owner(b: BudgetInfo) -> str:
    """``alice's daily budget`` / ``team core's monthly budget``."""
    who = f"team {b.name}" if b.scope == "team" else ("the evaluation job" if b.scope == "eval" else b.name)
    period = {"day": "daily", "week": "weekly", "month": "monthly"}.get(b.period, b.period)
    return f"{who}'s {period} budget"


def budget_line(b: BudgetInfo, now: float) -> str:
    """The whole standing in one line (the CLI's; the dashboard styles the same parts)."""
    return f"{budget_owner(b)}: {budget_amounts(b)} · {budget_forecast(b, now)} · {b.state.replace('_', ' ')}"


def savings_text(s: Savings) -> tuple[str, str]:
    """(money, evidence): ``saved $0.41 (82%): $0.09 spent, $0.50 if everything had gone to sim-ultra`` and
    ``quality 0.81 over 40 rated vs sim-ultra 0.88 (its own 5 rated) / 0.90 (matrix estimate)``."""
    share = f" ({s.saved_usd / s.baseline_usd:.0%})" if s.baseline_usd > 0 else ""
    verb = "saved" if s.saved_usd >= 0 else "overspent"
    money = (f"{verb} {usd(abs(s.saved_usd))}{share}: {usd(s.spend_usd)} spent, {usd(s.baseline_usd)} if everything "
             f"had gone to {s.baseline_model}")
    if s.quality is None:
        return money, "quality: nothing rated yet (rate answers to compare)"
    theirs = []
    if s.baseline_quality_observed is not None:
        theirs.append(f"{s.baseline_quality_observed:.2f} on its own {s.baseline_rated} rated")
    if s.baseline_quality_estimated is not None:
        theirs.append(f"{s.baseline_quality_estimated:.2f} matrix estimate")
    evidence = f"quality {s.quality:.2f} over {s.rated} rated"
    if theirs:
        evidence += f" vs {s.baseline_model} " + " / ".join(theirs)
    return money, evidence
