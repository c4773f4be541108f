"""The spend bar: thresholds, projection, overshoot."""

from __future__ import annotations

from tests.tui.dataset import BUDGETS, NOW
from tui.widgets.budget_bars import bar, projection


def test_projection_is_the_daemons_burn_rate_projection() -> None:
    budget = BUDGETS[0]  # $2.95 (spent + reserved), $0.06/h over the last hour, 8 h to the reset
    assert abs(projection(budget) - (2.95 + 0.48)) < 1e-9


def test_projection_is_the_spend_itself_when_the_daemon_cannot_tell_a_rate() -> None:
    budget = BUDGETS[0].model_copy(update={"projected_usd": None, "burn_since": None})
    assert projection(budget) == budget.spent_usd + budget.reserved_usd


def test_headline_and_cli_line_say_the_same_figures() -> None:
    from daemon.client.figures import budget_line
    from tui.widgets.budget_bars import headline

    tui, cli = headline(BUDGETS[1], NOW).plain, budget_line(BUDGETS[1], NOW)
    figures = "$172 spent of $200 (86%) · $28.50 left"
    assert figures in tui and figures in cli
    assert "limit reached at" in tui and "limit reached at" in cli


def test_bar_marks_soft_and_critical_thresholds_and_the_projection() -> None:
    text = bar(BUDGETS[0], 40, NOW).plain
    assert len(text) == 40
    assert text[31] == "┃" and text[37] == "┃"  # 80 % and 95 % of 40 cells
    assert text.index("◆") == round(3.43 / 5.0 * 40) - 1
    assert text.startswith("█" * 23)


def test_bar_shows_an_overshooting_projection_at_its_end() -> None:
    assert bar(BUDGETS[1], 40, NOW).plain.endswith("»")
