"""Budget periods are calendar-aligned in the configured time zone (explicit ``now`` values, no clocks)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from daemon.budgets import period_bounds

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")


def ts(*args: int, tz: ZoneInfo = UTC) -> float:
    return datetime(*args, tzinfo=tz).timestamp()


def test_day_runs_from_local_midnight_to_the_next():
    assert period_bounds("day", ts(2026, 3, 10, 15, 30), "UTC") == (ts(2026, 3, 10), ts(2026, 3, 11))


def test_week_starts_on_monday():
    # 2026-11-25 is a Wednesday
    assert period_bounds("week", ts(2026, 11, 25, 12), "UTC") == (ts(2026, 11, 23), ts(2026, 11, 30))
    assert period_bounds("week", ts(2026, 11, 23, 0, 0), "UTC")[0] == ts(2026, 11, 23)


def test_month_rolls_over_at_the_first_including_december():
    assert period_bounds("month", ts(2026, 11, 30, 23, 59, 59), "UTC") == (ts(2026, 11, 1), ts(2026, 12, 1))
    assert period_bounds("month", ts(2026, 12, 1, 0, 0, 0), "UTC") == (ts(2026, 12, 1), ts(2027, 1, 1))
    assert period_bounds("month", ts(2027, 2, 14), "UTC") == (ts(2027, 2, 1), ts(2027, 3, 1))


def test_period_rolls_over_so_the_next_instant_is_a_new_period():
    start, end = period_bounds("month", ts(2026, 11, 15), "UTC")
    assert period_bounds("month", end - 0.001, "UTC")[0] == start
    assert period_bounds("month", end, "UTC")[0] == end


def test_periods_follow_the_configured_time_zone():
    # 23:30 UTC on Nov 30 is already Dec 1 in Paris: a new day and a new month there.
    now = ts(2026, 11, 30, 23, 30)
    assert period_bounds("month", now, "UTC")[0] == ts(2026, 11, 1)
    assert period_bounds("month", now, "Europe/Paris") == (ts(2026, 12, 1, tz=PARIS), ts(2027, 1, 1, tz=PARIS))
    assert period_bounds("day", now, "Europe/Paris")[0] == ts(2026, 11, 30, 23, 0)  # Paris midnight in UTC


def test_a_day_across_daylight_saving_change_follows_the_calendar():
    start, end = period_bounds("day", ts(2026, 3, 29, 12, tz=PARIS), "Europe/Paris")  # clocks go forward
    assert end - start == 23 * 3600
    start, end = period_bounds("day", ts(2026, 10, 25, 12, tz=PARIS), "Europe/Paris")  # clocks go back
    assert end - start == 25 * 3600


def test_unknown_zone_or_period_is_refused_with_what_to_use():
    with pytest.raises(ValueError, match="IANA name"):
        period_bounds("day", 0, "Mars/Olympus")
    with pytest.raises(ValueError, match="day, week, month"):
        period_bounds("year", 0, "UTC")


def test_config_refuses_an_unknown_budget_time_zone_naming_the_key():
    from daemon.config import validate
    from daemon.errors import ConfigError

    with pytest.raises(ConfigError, match="budgets.timezone: unknown time zone 'Mars/Olympus'"):
        validate({"budgets": {"timezone": "Mars/Olympus"}}, source="test.toml")
