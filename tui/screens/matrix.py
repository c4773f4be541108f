"""The routing matrix as the router reads it: task type and complexity band × model, with the evidence."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from daemon.errors import SwitchboardError
from daemon.wire import MatrixCellInfo, MatrixInfo, MatrixQuality
from tui.format import ms, usd

RECENT_S = 120.0
"""A change this dashboard saw stays marked this long."""

Key = tuple[str, int, str]


def quality_style(quality: float) -> str:
    """Green for good, yellow for middling, red for poor."""
    return "green" if quality >= 0.8 else ("yellow" if quality >= 0.6 else "red")


def evidence_mark(q: MatrixQuality) -> str:
    """``(n)`` outcomes behind the cell, ``~`` backed off to the model's wider record, ``·`` the prior alone."""
    if q.evidence > 0:
        return f"({q.evidence:.1f})" if q.evidence < 10 else f"({q.evidence:.0f})"
    return "·" if q.source == "prior" else "~"


class MatrixScreen(Screen[None]):
    """The quality the router uses per (task type, band) and model, with its evidence; what changed
    since this dashboard last looked is marked ●."""

    BINDINGS = [Binding("b", "toggle_bands", "Every band"), Binding("ctrl+r", "reload", "Reload")]

    def __init__(self, *, name: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(name=name)
        self.clock = clock
        self.matrix: MatrixInfo | None = None
        self.every_band = False
        self._seen: dict[Key, float] = {}
        self._changed_at: dict[Key, float] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="panel", id="matrix-panel") as panel:
            panel.border_title = "Routing matrix: the quality the router uses"
            yield Static(id="matrix-legend")
            yield DataTable(id="matrix-table", cursor_type="cell", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_screen_resume(self) -> None:
        self.load()

    def action_reload(self) -> None:
        """Fetch the matrix again."""
        self.load()

    def action_toggle_bands(self) -> None:
        """Every complexity band, or only those with evidence."""
        self.every_band = not self.every_band
        if self.matrix is not None:
            self._render_table(self.matrix)

    @work(exclusive=True, group="matrix-load")
    async def load(self) -> None:
        """Fetch the matrix without blocking the screen."""
        client = self.app.client  # type: ignore[attr-defined]
        if client is None:
            return
        try:
            matrix = await client.matrix()
        except SwitchboardError as exc:
            self.query_one("#matrix-legend", Static).update(Text(f"could not read the matrix: {exc.message}", "red"))
            return
        self.show_matrix(matrix)

    def show_matrix(self, matrix: MatrixInfo) -> None:
        """Show this version; what moved since the previous look stays marked for a while."""
        now = self.clock()
        current = {(q.task_type, q.band, q.model): q.quality for q in matrix.grid}
        if self._seen:  # the first look is the baseline: nothing has "changed" in a fresh session
            for key, quality in current.items():
                if abs(self._seen.get(key, quality) - quality) > 5e-4:
                    self._changed_at[key] = now
        self._seen = current
        self._changed_at = {k: t for k, t in self._changed_at.items() if now - t < RECENT_S}
        self.matrix = matrix
        self._render_table(matrix)

    def _render_table(self, matrix: MatrixInfo) -> None:
        grid = {(q.task_type, q.band, q.model): q for q in matrix.grid}
        cells = {(c.task_type, c.band, c.model): c for c in matrix.cells}
        with_evidence = sorted({(t, b) for (t, b, _), q in grid.items() if q.evidence > 0})
        rows = with_evidence if with_evidence and not self.every_band else sorted({(t, b) for t, b, _ in grid})
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("task · complexity", key="task")
        for model in matrix.models:
            table.add_column(model, key=model)
        for task, band in rows:
            label = Text(f"{task} ", "bold")
            label.append(self._band_label(matrix, band), "dim")
            row: list[Text] = [label]
            for model in matrix.models:
                key = (task, band, model)
                row.append(self._cell(grid.get(key), cells.get(key), key in self._changed_at))
            table.add_row(*row, key=f"{task}:{band}", height=2)
        shown = "every band" if rows is not with_evidence else "bands with evidence (b: every band)"
        legend = Text(f"v{matrix.version} · {shown} · quality (n) outcomes · ~ backed off · · prior  ")
        legend.append("● changed since you looked", "bold yellow")
        legend.no_wrap, legend.overflow = True, "ellipsis"
        self.query_one("#matrix-legend", Static).update(legend)
        width = 20 + sum(max(len(m), 12) + 2 for m in matrix.models)
        more = " · ← → scroll for more models" if width > self.size.width - 4 else ""
        self.query_one("#matrix-panel").border_subtitle = f"{len(matrix.models)} models{more}"

    @staticmethod
    def _band_label(matrix: MatrixInfo, band: int) -> str:
        if band < len(matrix.bands):
            low = matrix.bands[band - 1] if band > 0 else 0.0
            return f"{low:.1f}–{matrix.bands[band]:.1f}"
        return f"b{band}"

    @staticmethod
    def _cell(q: MatrixQuality | None, raw: MatrixCellInfo | None, changed: bool) -> Text:
        if q is None:
            return Text("–", "dim")
        text = Text("● " if changed else "  ", "bold yellow")
        text.append(f"{q.quality:.2f}", ("bold " if q.evidence > 0 else "") + quality_style(q.quality))
        text.append(f" {evidence_mark(q)}\n", "yellow" if changed else "dim")
        if raw is not None:
            text.append(f"  {ms(raw.latency_p50_ms)} · {usd(raw.mean_cost_usd)}", "dim")
        return text
