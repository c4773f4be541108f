"""Spend against budget: a bar per budget with its soft and hard thresholds and the projection."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from daemon.client.figures import budget_amounts, budget_forecast
from daemon.wire import BudgetInfo

STATE_STYLE = {"ok": "green", "stepped_down": "yellow", "critical_only": "dark_orange", "exhausted": "bold red"}

def projection(budget: BudgetInfo) -> float:
    """Spent + reserved at the reset at the daemon's recent burn rate (the spend itself when it cannot tell)."""
    used = budget.spent_usd + budget.reserved_usd
    return used if budget.projected_usd is None else budget.projected_usd


def bar(budget: BudgetInfo, width: int, now: float) -> Text:
    """``width`` cells: spent █, reserved ▒, free ░; ┃ at the soft and critical thresholds, ◆ at
    the projection at the recent burn rate (» at the end when it overshoots the limit)."""
    width = max(width, 4)
    limit = budget.limit_usd or 1e-12
    cells = [("░", "grey37")] * width

    def at(fraction: float) -> int:
        return min(width - 1, max(0, round(fraction * width) - 1))

    spent_cells = min(width, round(budget.spent_usd / limit * width))
    reserved_cells = min(width, round((budget.spent_usd + budget.reserved_usd) / limit * width))
    style = STATE_STYLE.get(budget.state, "green")
    for i in range(reserved_cells):
        cells[i] = ("█", style) if i < spent_cells else ("▒", style)
    for threshold, colour in ((budget.soft_threshold, "yellow"), (budget.critical_only_threshold, "dark_orange")):
        if threshold and 0 < threshold < 1:
            i = at(threshold)
            cells[i] = ("┃", f"bold {colour}")
    projected = projection(budget) / limit
    if projected > 1:
        cells[width - 1] = ("»", "bold red")
    elif projected > budget.spent_usd / limit:
        cells[at(projected)] = ("◆", "bold cyan")
    text = Text()
    for char, char_style in cells:
        text.append(char, char_style)
    return text


def headline(budget: BudgetInfo, now: float, *, compact: bool = False) -> Text:
    """``alice · day  $0.014 spent + $0.004 reserved of $0.150 (12%) · $0.132 left  limit reached at 14:10 … · ok``:
    the CLI's words (``daemon.client.figures``), styled."""
    text = Text()
    text.append(budget.name if compact else f"{budget.scope} {budget.name}", "bold")
    text.append(f" {budget.period} " if compact else f" · {budget.period}  ")
    text.append(budget_amounts(budget, compact=compact), "bold")
    text.append(" · " if compact else "  ")
    text.append(budget_forecast(budget, now, compact=compact), "bold red" if budget.limit_reached_at else "cyan")
    if not compact or budget.state != "ok":
        text.append("  ")
        text.append(budget.state.replace("_", " "), STATE_STYLE.get(budget.state, ""))
    return text


class BudgetBars(Widget):
    """Every budget the viewer may see, two lines each: the figures, then the bar."""

    DEFAULT_CSS = """
    BudgetBars { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._budgets: list[BudgetInfo] = []
        self._now = 0.0
        self._note = "waiting for the daemon…"

    def show(self, budgets: list[BudgetInfo], now: float) -> None:
        """Show these budgets as of ``now`` (Unix seconds)."""
        self._budgets, self._now = budgets, now
        self._note = "" if budgets else "no budget set: switchboard budget set NAME --daily USD (or --monthly)"
        self.refresh(layout=True)

    def show_note(self, note: str) -> None:
        """Show a line instead of the bars (e.g. why the budget could not be read)."""
        self._budgets, self._note = [], note
        self.refresh(layout=True)

    def _shown(self) -> list[BudgetInfo]:
        # On a short terminal only the first budget (the viewer's own) keeps its bar.
        return self._budgets[:1] if self.screen.has_class("-short") else self._budgets

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return max(1, 2 * len(self._shown()))

    def render(self) -> RenderableType:
        if not self._budgets:
            return Text(self._note, style="dim")
        width = self.content_size.width
        shown = self._shown()
        lines = []
        for budget in shown:
            lines += [headline(budget, self._now, compact=width < 110), bar(budget, width, self._now)]
        if len(shown) < len(self._budgets):
            lines[0].append(f"  +{len(self._budgets) - len(shown)} more (taller terminal)", "dim")
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return Group(*lines)
