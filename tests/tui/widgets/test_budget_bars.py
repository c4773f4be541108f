"""The spend bar: thresholds, projection, overshoot."""

from __future__ import annotations

from tests.tui.dataset import BUDGETS, NOW
from tui.widgets.budget_bars import bar, projection


def test_projection_extrapolates_the_rate_so_far_to_the_end_of_the_period() -> None:
    budget = BUDGETS[0]  # $2.95 (spent + reserved) two thirds into the day
    assert abs(projection(budget, NOW) - 2.95 * 1.5) < 1e-9


def test_projection_is_the_spend_itself_in_the_first_minutes_of_a_period() -> None:
    budget = BUDGETS[0].model_copy(update={"period_start": NOW - 60})
    assert projection(budget, NOW) == budget.spent_usd + budget.reserved_usd


def test_bar_marks_soft_and_critical_thresholds_and_the_projection() -> None:
    text = bar(BUDGETS[0], 40, NOW).plain
    assert len(text) == 40
    assert text[31] == "┃" and text[37] == "┃"  # 80 % and 95 % of 40 cells
    assert text.index("◆") == round(2.95 * 1.5 / 5.0 * 40) - 1
    assert text.startswith("█" * 23)


def test_bar_shows_an_overshooting_projection_at_its_end() -> None:
    assert bar(BUDGETS[1], 40, NOW).plain.endswith("»")
