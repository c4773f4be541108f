"""Fallback, escalation, error and refusal rates over the window: a sparkline each, and a plot when there is room."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from daemon.wire import Metrics
from tui.format import pct

SERIES = (("fallback_rate", "fallback", "dark_orange", "orange"), ("escalation_rate", "escalate", "cyan", "cyan"),
          ("error_rate", "error", "red", "red"), ("refusal_rate", "refused", "magenta", "magenta"))
"""(metrics field, label, Rich colour, plotext colour)."""


class RatePlot(Vertical):
    """One line per rate (its figure and a sparkline of its series), then a plotext plot of all three.

    The plot hides on short terminals (CSS); textual-plotext is imported when the widget mounts,
    not when the app starts, so the first frame does not pay for plotext's import.
    """

    DEFAULT_CSS = """
    RatePlot { height: 1fr; }
    RatePlot .rate-row { height: 1; }
    RatePlot .rate-figure { width: 15; }
    RatePlot .rate-spark { width: 1fr; }
    RatePlot #fallback_rate-spark > .sparkline--max-color { color: orange; }
    RatePlot #fallback_rate-spark > .sparkline--min-color { color: orange 40%; }
    RatePlot #escalation_rate-spark > .sparkline--max-color { color: cyan; }
    RatePlot #escalation_rate-spark > .sparkline--min-color { color: cyan 40%; }
    RatePlot #error_rate-spark > .sparkline--max-color { color: red; }
    RatePlot #error_rate-spark > .sparkline--min-color { color: red 40%; }
    RatePlot #refusal_rate-spark > .sparkline--max-color { color: magenta; }
    RatePlot #refusal_rate-spark > .sparkline--min-color { color: magenta 40%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: Metrics | None = None
        self._plot: Any = None

    def compose(self) -> ComposeResult:
        for key, *_ in SERIES:
            with Horizontal(classes="rate-row"):
                yield Static(Text("…", "dim"), id=f"{key}-figure", classes="rate-figure")
                yield Sparkline([], id=f"{key}-spark", classes="rate-spark", summary_function=max)

    async def on_mount(self) -> None:
        from textual_plotext import PlotextPlot

        self._plot = PlotextPlot(id="rate-plot")
        await self.mount(self._plot)
        self._draw()

    def show(self, metrics: Metrics) -> None:
        """Show the rates of these metrics."""
        self._metrics = metrics
        for key, label, colour, _ in SERIES:
            figure = Text(no_wrap=True, overflow="ellipsis")
            figure.append(f"{label:<8} ", colour)
            figure.append(pct(getattr(metrics, key)), "bold")
            self.query_one(f"#{key}-figure", Static).update(figure)
            self.query_one(f"#{key}-spark", Sparkline).data = metrics.series.get(key, [])
        self._draw()

    def _draw(self) -> None:
        if self._plot is None or self._metrics is None:
            return
        plt = self._plot.plt
        plt.clear_data()
        plt.clear_figure()
        peak, longest = 5.0, 1
        for key, _label, _, colour in SERIES:
            values = [v * 100 for v in self._metrics.series.get(key, [])]
            if any(values):
                peak, longest = max(peak, *values), max(longest, len(values))
                plt.plot(values, color=colour, marker="hd")
        plt.ylim(0, peak)
        plt.xlim(1, longest)
        plt.xticks([])
        plt.yfrequency(2)
        plt.ylabel("%")
        if peak == 5.0 and not any(any(self._metrics.series.get(key, [])) for key, *_ in SERIES):
            plt.title("none in this window")
        self._plot.refresh()
