"""The overview: spend against budget, where requests went, how often things went wrong, the tail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from daemon.client.figures import savings_text
from daemon.wire import BudgetInfo, Metrics, Savings, TraceSummary
from tui.format import usd
from tui.widgets.budget_bars import BudgetBars
from tui.widgets.connection import ConnectionLine
from tui.widgets.distribution import Distribution
from tui.widgets.latency import LatencyTable
from tui.widgets.rates import RatePlot
from tui.widgets.tail import TraceTail


def savings_line(savings: Savings) -> Text:
    """``saved $0.41 (82%): $0.09 spent, $0.50 if everything had gone to sim-ultra · quality 0.81 (n=40) vs …``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if not savings.requests:
        text.append(f"savings vs {savings.baseline_model}: no answered requests in {savings.window}", "dim")
        return text
    money, evidence = savings_text(savings)
    text.append(money, "bold green" if savings.saved_usd >= 0 else "bold red")
    text.append(" · " + evidence, "dim")
    return text


TAIL_TITLE = "Live traces · following (↑↓ move, enter: open)"


class OverviewScreen(Screen[None]):
    """Everything at a glance. It does no I/O: the app feeds it what the daemon says."""

    BINDINGS = [
        Binding("1", "app.set_window('1h')", "1h/24h/7d/30d", key_display="1-4"),
        Binding("2", "app.set_window('24h')", "24h", show=False),
        Binding("3", "app.set_window('7d')", "7d", show=False),
        Binding("4", "app.set_window('30d')", "30d", show=False),
        Binding("p", "app.toggle_pause", "Pause/resume"),
        Binding("f", "app.edit_filter", "Filter"),
        Binding("a", "app.toggle_everyone", "Mine/all", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield ConnectionLine(id="connection")
        with Vertical(id="spend", classes="panel") as spend:
            spend.border_title = "Spend vs budget"
            yield BudgetBars(id="budgets")
            with Horizontal(id="spend-trend"):
                yield Static(id="spend-total")
                yield Sparkline([], id="spend-sparkline", summary_function=max)
            yield Static(id="savings")
        with Horizontal(id="middle"):
            with Vertical(classes="panel", id="routing-panel") as routing:
                routing.border_title = "Routing"
                yield Distribution(id="distribution")
            with Vertical(classes="panel", id="rates-panel") as rates:
                rates.border_title = "Rates"
                yield RatePlot(id="rates")
            with Vertical(classes="panel", id="latency-panel") as latency:
                latency.border_title = "Latency ms · TTFT"
                yield LatencyTable(id="latency")
        with Vertical(classes="panel", id="tail-panel") as tail:
            tail.border_title = TAIL_TITLE
            yield TraceTail(id="tail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(TraceTail).focus()

    @property
    def connection(self) -> ConnectionLine:
        """The status line."""
        return self.query_one(ConnectionLine)

    @property
    def tail(self) -> TraceTail:
        """The live tail."""
        return self.query_one(TraceTail)

    def show_metrics(self, metrics: Metrics) -> None:
        """Show a fresh ``/api/metrics`` answer."""
        self.query_one(Distribution).show(metrics)
        self.query_one(RatePlot).show(metrics)
        self.query_one(LatencyTable).show(metrics)
        total = Text(f"{usd(metrics.spend_usd)}", "bold")
        total.append(f" in {metrics.window} · {metrics.requests} req ", "dim")
        for group in (metrics.spend_by_team, metrics.spend_by_developer):
            if len(group) > 1:  # an admin's view: who spends it
                top = sorted(group.items(), key=lambda kv: -kv[1])[:3]
                total.append("· " + " ".join(f"{name} {usd(value)}" for name, value in top) + " ", "cyan")
        self.query_one("#spend-total", Static).update(total)
        self.query_one(Sparkline).data = metrics.series.get("spend", [])
        self.query_one("#routing-panel").border_subtitle = f"{metrics.requests} requests"

    def show_savings(self, savings: Savings) -> None:
        """Show what routing saved against the baseline model, with the quality evidence beside it."""
        self.query_one("#savings", Static).update(savings_line(savings))

    def show_savings_error(self, message: str) -> None:
        """Say why the savings could not be read."""
        self.query_one("#savings", Static).update(Text(message, "red", no_wrap=True, overflow="ellipsis"))

    def show_metrics_error(self, message: str) -> None:
        """Say why the figures could not be read (the last figures stay on screen)."""
        self.query_one("#spend-total", Static).update(Text(message, "red"))

    def show_budgets(self, budgets: list[BudgetInfo], now: float) -> None:
        """Show a fresh ``/api/budget`` answer as of ``now``."""
        self.query_one(BudgetBars).show(budgets, now)

    def show_budgets_error(self, message: str) -> None:
        """Say why the budgets could not be read."""
        self.query_one(BudgetBars).show_note(message)

    def add_traces(self, traces: list[TraceSummary]) -> None:
        """Append a batch of finished traces to the tail."""
        self.tail.add_traces(traces)

    def on_trace_tail_follow_changed(self, message: TraceTail.FollowChanged) -> None:
        panel = self.query_one("#tail-panel")
        if message.following:
            panel.border_title = TAIL_TITLE
        else:
            new = f"{message.unseen} new below" if message.unseen else "no new traces yet"
            panel.border_title = f"[b yellow]Not following[/] ({new}) · end/esc: follow · enter: open"

    def on_trace_tail_selected(self, message: TraceTail.Selected) -> None:
        self.app.open_trace(message.trace_id)  # type: ignore[attr-defined]
