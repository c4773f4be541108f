"""Latency p50/p95, time to first token and error rate per model, and the cost per quality point."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from daemon.wire import Metrics
from tui.format import DASH, pct, usd


def ms_cell(value: float | None) -> str:
    """Milliseconds without the unit (the panel says ms), seconds past one second."""
    if value is None:
        return DASH
    return f"{value:.0f}" if value < 1000 else f"{value / 1000:.1f}s"


class LatencyTable(Widget):
    """A compact table of per-model latency figures."""

    DEFAULT_CSS = """
    LatencyTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: Metrics | None = None

    def show(self, metrics: Metrics) -> None:
        """Show the latency figures of these metrics."""
        self._metrics = metrics
        self.refresh()

    def render(self) -> RenderableType:
        m = self._metrics
        if m is None:
            return Text("…", style="dim")
        wide = self.content_size.width >= 44
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_edge=False, header_style="bold dim")
        table.add_column("model", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column("p50", justify="right", no_wrap=True)
        table.add_column("p95", justify="right", no_wrap=True)
        table.add_column("ttft", justify="right", no_wrap=True)
        if wide:
            table.add_column("err", justify="right", no_wrap=True)
            table.add_column("spend", justify="right", no_wrap=True)
        room = max(1, self.content_size.height - 2)
        for model in sorted(m.by_model, key=lambda x: -x.requests)[:room]:
            row = [model.model, ms_cell(model.latency_p50_ms), ms_cell(model.latency_p95_ms), ms_cell(model.ttft_p50_ms)]
            if wide:
                err_style = "red" if model.error_rate > 0.05 else ""
                row += [Text(pct(model.error_rate), err_style), usd(model.spend_usd)]
            table.add_row(*row)
        cpq = Text("$ / quality pt ", "bold")
        cpq.append(usd(m.cost_per_quality_point) if m.cost_per_quality_point is not None else "– (nothing rated)")
        cpq.no_wrap, cpq.overflow = True, "ellipsis"
        return Group(table, cpq)
