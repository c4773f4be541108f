"""The routing matrix: task type (and complexity band) × model, with what changed recently."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from daemon.api.wire import MatrixCellInfo, MatrixInfo
from daemon.errors import SwitchboardError
from tui.format import ms, usd

RECENT_S = 120.0
"""A cell updated within this many seconds counts as a recent change."""

Key = tuple[str, int, str]


def _key(cell: MatrixCellInfo) -> Key:
    return cell.task_type, cell.band, cell.model


def quality_style(quality: float) -> str:
    """Green for good, yellow for middling, red for poor."""
    return "green" if quality >= 0.8 else ("yellow" if quality >= 0.6 else "red")


class MatrixScreen(Screen[None]):
    """The matrix as a table; cells that changed since the last look or recently are highlighted."""

    BINDINGS = [Binding("ctrl+r", "reload", "Reload")]

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.matrix: MatrixInfo | None = None
        self._seen: dict[Key, float] = {}
        self._changed: set[Key] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="panel", id="matrix-panel") as panel:
            panel.border_title = "Routing matrix"
            yield Static(id="matrix-legend")
            yield DataTable(id="matrix-table", cursor_type="cell", zebra_stripes=True)
        yield Footer()

    def on_screen_resume(self) -> None:
        self.load()

    def action_reload(self) -> None:
        """Fetch the matrix again."""
        self.load()

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
        self.show_matrix(matrix, time.time())

    def show_matrix(self, matrix: MatrixInfo, now: float) -> None:
        """Show this version of the matrix; remember its values to spot the next changes."""
        current = {_key(c): c.quality for c in matrix.cells}
        # What moved since the previous look (a matrix event or a reload), plus what the daemon
        # updated in the last couple of minutes.
        self._changed = {k for k, q in current.items() if self._seen and abs(self._seen.get(k, -1.0) - q) > 1e-9}
        self._seen = current
        self.matrix = matrix
        recent = {_key(c) for c in matrix.cells if c.updated_at and now - c.updated_at < RECENT_S} | self._changed
        models = sorted({c.model for c in matrix.cells})
        rows = sorted({(c.task_type, c.band) for c in matrix.cells})
        cells = {_key(c): c for c in matrix.cells}
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("task · band", key="task")
        for model in models:
            table.add_column(model, key=model)
        for task, band in rows:
            label = Text(f"{task} ", "bold")
            label.append(self._band_label(matrix, band), "dim")
            row: list[Text] = [label]
            for model in models:
                cell = cells.get((task, band, model))
                row.append(self._cell(cell, (task, band, model) in recent))
            table.add_row(*row, key=f"{task}:{band}", height=2)
        legend = Text(f"version {matrix.version} · {len(matrix.cells)} cells · quality (evidence) / p50 · mean cost  ")
        legend.append("● changed recently", "bold yellow")
        self.query_one("#matrix-legend", Static).update(legend)
        self.query_one("#matrix-panel").border_subtitle = f"v{matrix.version}"

    @staticmethod
    def _band_label(matrix: MatrixInfo, band: int) -> str:
        if band < len(matrix.bands):
            low = matrix.bands[band - 1] if band > 0 else 0.0
            return f"{low:.2f}–{matrix.bands[band]:.2f}"
        return f"b{band}"

    @staticmethod
    def _cell(cell: MatrixCellInfo | None, recent: bool) -> Text:
        if cell is None:
            return Text("–", "dim")
        text = Text("● " if recent else "  ", "bold yellow")
        text.append(f"{cell.quality:.2f}", "bold " + quality_style(cell.quality))
        text.append(f" ({cell.evidence:.0f})\n", "yellow" if recent else "dim")
        text.append(f"  {ms(cell.latency_p50_ms)} · {usd(cell.mean_cost_usd)}", "dim")
        return text
