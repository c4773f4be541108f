"""Fallback, escalation and error rates over the window: the figures and a small plot."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from daemon.api.wire import Metrics
from tui.format import pct

SERIES = (("fallback_rate", "fallback", "yellow"), ("escalation_rate", "escalation", "magenta"),
          ("error_rate", "error", "red"))


class RatePlot(Vertical):
    """Three rates as figures on one line and as lines on a plotext plot below.

    textual-plotext is imported when the widget mounts, not when the app starts, so that the
    dashboard paints its first frame without paying for plotext's import.
    """

    DEFAULT_CSS = """
    RatePlot { height: 1fr; }
    RatePlot > #rate-figures { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: Metrics | None = None
        self._plot = None

    def compose(self) -> ComposeResult:
        yield Static(Text("…", "dim"), id="rate-figures")

    async def on_mount(self) -> None:
        from textual_plotext import PlotextPlot

        self._plot = PlotextPlot(id="rate-plot")
        await self.mount(self._plot)
        self._draw()

    def show(self, metrics: Metrics) -> None:
        """Show the rates of these metrics."""
        self._metrics = metrics
        figures = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, label, colour) in enumerate(SERIES):
            if i:
                figures.append("  ")
            figures.append(f"{label[:3]} ", colour)
            figures.append(pct(getattr(metrics, key)), "bold")
        self.query_one("#rate-figures", Static).update(figures)
        self._draw()

    def _draw(self) -> None:
        if self._plot is None or self._metrics is None:
            return
        plt = self._plot.plt
        plt.clear_data()
        plt.clear_figure()
        longest = 0
        for key, label, colour in SERIES:
            values = [v * 100 for v in self._metrics.series.get(key, [])]
            if values:
                longest = max(longest, len(values))
                plt.plot(values, color=colour, marker="braille")
        plt.ylim(0, max(5.0, *(max((v * 100 for v in self._metrics.series.get(k, [])), default=0) for k, _, _ in SERIES)))
        plt.xticks([])
        plt.yfrequency(2)
        if not longest:
            plt.title("no series yet")
        self._plot.refresh()
