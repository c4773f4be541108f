"""Budget periods, aligned to the calendar in a configured time zone.

A day starts at local midnight, a week on Monday at local midnight, a month on the 1st at local
midnight. The bounds are computed from local calendar dates (not by adding 86 400 s), so a day
that crosses a daylight-saving change is 23 or 25 hours long, as the calendar says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for a configured name, or ``ValueError`` saying what to use instead."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'") from None


def _first_day(period: str, today: date) -> date:
    if period == "day":
        return today
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    raise ValueError(f"unknown budget period {period!r}; use one of {', '.join(PERIODS)}")


def _next_first_day(period: str, first: date) -> date:
    if period == "day":
        return first + timedelta(days=1)
    if period == "week":
        return first + timedelta(days=7)
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def _midnight(day: date, tz: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def period_bounds(period: str, now: float, tz: str = "UTC") -> tuple[float, float]:
    """(start, end) in Unix seconds of the ``period`` containing ``now`` in time zone ``tz``."""
    zone_info = zone(tz)
    today = datetime.fromtimestamp(now, zone_info).date()
    first = _first_day(period, today)
    return _midnight(first, zone_info), _midnight(_next_first_day(period, first), zone_info)
