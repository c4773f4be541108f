"""The live tail of traces: newest at the bottom, coloured by what happened, updated in batches."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from daemon.api.wire import TraceSummary
from tui.format import DASH, clock, ms, outcome_label, outcome_style, usd

MAX_ROWS = 500
"""Rows kept in the table; older ones are dropped so a busy day never grows it without bound."""


@dataclass(frozen=True)
class TailFilter:
    """What the tail shows; empty fields match everything."""

    developer: str = ""
    model: str = ""
    surface: str = ""

    def matches(self, trace: TraceSummary) -> bool:
        """Whether a trace passes this filter."""
        return (
            (not self.developer or trace.developer == self.developer)
            and (not self.model or trace.model == self.model)
            and (not self.surface or trace.surface == self.surface)
        )

    def describe(self) -> str:
        """``developer=alice model=sim-pro`` or an empty string."""
        parts = [f"{k}={v}" for k, v in (("dev", self.developer), ("model", self.model), ("via", self.surface)) if v]
        return " ".join(parts)


class TraceTail(DataTable[Text]):
    """Traces as they finish. Select one (enter or click) to open its trace view."""

    class Selected(Message):
        """The user chose a trace in the tail."""

        def __init__(self, trace_id: str) -> None:
            super().__init__()
            self.trace_id = trace_id

    COLUMNS = ("time", "via", "task", "model", "latency", "cost", "outcome")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._traces: dict[str, TraceSummary] = {}
        """Shown traces by id, in row order (oldest first)."""

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column, key=column)

    @property
    def trace_ids(self) -> list[str]:
        """Ids of the rows shown, oldest first."""
        return list(self._traces)

    @property
    def traces(self) -> list[TraceSummary]:
        """The rows shown, oldest first."""
        return list(self._traces.values())

    def add_traces(self, traces: list[TraceSummary]) -> None:
        """Append a batch of new traces (oldest first); follow the newest when the cursor was on
        the last row. This is the fast path the live stream uses."""
        fresh = [t for t in traces if t.id not in self._traces]
        if not fresh:
            return
        following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        for trace in fresh:
            self.add_row(*self._cells(trace), key=trace.id)
            self._traces[trace.id] = trace
        overflow = len(self._traces) - MAX_ROWS
        if overflow > 0:
            for trace_id in list(self._traces)[:overflow]:
                self.remove_row(trace_id)
                del self._traces[trace_id]
        if following:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def merge(self, traces: list[TraceSummary], keep: TailFilter | None = None) -> None:
        """Show the union of what is shown (only what passes ``keep``, when given) and ``traces``,
        in time order: how a reload after a reconnect or a filter change fills the gaps without
        losing what the live stream already delivered."""
        shown = [t for t in self._traces.values() if keep is None or keep.matches(t)]
        merged = {t.id: t for t in sorted([*shown, *traces], key=lambda t: t.created_at)}
        selected = None
        if self.row_count and self.cursor_row < self.row_count - 1:  # not following the newest: stay put
            selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.clear()
        self._traces.clear()
        self.add_traces(list(merged.values())[-MAX_ROWS:])
        if selected and selected in self._traces:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    @staticmethod
    def _cells(trace: TraceSummary) -> list[Text]:
        style = outcome_style(trace)
        values = [
            clock(trace.created_at), trace.surface, (trace.task_type or DASH).replace("code_", "c."),
            trace.model or DASH, ms(trace.latency_ms), usd(trace.cost_usd), outcome_label(trace),
        ]
        cells = [Text(v, style=style) for v in values]
        for i in (4, 5):
            cells[i].justify = "right"
        return cells

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Selected(event.row_key.value))
