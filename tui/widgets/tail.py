"""The live tail of traces: newest at the bottom, coloured by what happened, cheap to update.

A line-API widget rather than a ``DataTable``: each trace is rendered once into a strip and kept,
so a batch of new traces costs those rows, not a re-render of the whole table. That is what lets
a hundred trace events a second leave the UI responsive (``bench/tui_events.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from daemon.wire import TraceSummary
from tui.format import DASH, clock, ms, outcome_label, outcome_style, usd

MAX_ROWS = 500
"""Rows kept; older ones are dropped so a busy day never grows the tail without bound."""
TRIM_SLACK = 100
"""Rows allowed past ``MAX_ROWS`` before trimming, so trimming happens once per hundred rows."""


@dataclass(frozen=True)
class TailFilter:
    """What the tail shows; empty fields match everything."""

    developer: str = ""
    model: str = ""
    surface: str = ""
    outcome: str = ""
    """ok, error, refused or cancelled; also ``fallback`` and ``escalated`` (answered, with that on the way)."""

    def matches(self, trace: TraceSummary) -> bool:
        """Whether a trace passes this filter."""
        return (
            (not self.developer or trace.developer == self.developer)
            and (not self.model or trace.model == self.model)
            and (not self.surface or trace.surface == self.surface)
            and (not self.outcome or _outcome_matches(self.outcome, trace))
        )

    @property
    def stored_outcome(self) -> str | None:
        """The outcome the daemon can filter on (the others are filtered here)."""
        return self.outcome if self.outcome in STORED_OUTCOMES else None

    def describe(self) -> str:
        """``dev=alice model=sim-pro`` or an empty string."""
        parts = [f"{k}={v}" for k, v in (("dev", self.developer), ("model", self.model), ("via", self.surface),
                                        ("outcome", self.outcome)) if v]
        return " ".join(parts)


STORED_OUTCOMES = ("ok", "error", "refused", "cancelled")
OUTCOMES = (*STORED_OUTCOMES, "fallback", "escalated")
"""What the tail can be filtered to: a trace's outcome, or answered after a fallback / an escalation."""


def _outcome_matches(outcome: str, trace: TraceSummary) -> bool:
    if outcome == "fallback":
        return trace.fallback_used
    if outcome == "escalated":
        return trace.escalated
    return trace.outcome == outcome


@dataclass(frozen=True)
class Column:
    """One column of the tail: a title, a width range and an alignment."""

    title: str
    width: int
    grow: int = 0
    right: bool = False


COLUMNS = (
    Column("time", 8), Column("via", 3), Column("dev", 5, grow=7), Column("task", 8, grow=8),
    Column("policy", 5, grow=6), Column("model", 9, grow=9), Column("ms", 5, right=True),
    Column("cost", 8, right=True), Column("outcome", 8, grow=20),
)
"""Fits 76 cells (an 80-column terminal's tail panel); wider terminals grow the named columns."""

POLICY_SHORT = {"balanced": "bal", "cascade": "casc", "specialist": "spec", "consensus": "cons", "cheapest": "cheap",
                "pinned": "pin", "complexity-gated": "gated", "latency": "fast"}


def column_widths(width: int) -> list[int]:
    """Widths of the columns for ``width`` cells (one space between columns)."""
    widths = [c.width for c in COLUMNS]
    spare = width - sum(widths) - (len(COLUMNS) - 1)
    for i, column in enumerate(COLUMNS):
        if spare <= 0:
            break
        extra = min(column.grow, spare)
        widths[i] += extra
        spare -= extra
    return widths


def cells(trace: TraceSummary) -> list[str]:
    """The values of a trace's row."""
    return [
        clock(trace.created_at), trace.surface, trace.developer, (trace.task_type or DASH).replace("code_", "c."),
        trace.policy or DASH, trace.model or DASH, ms(trace.latency_ms), usd(trace.cost_usd), outcome_label(trace),
    ]


def short_cells(trace: TraceSummary) -> list[str]:
    """``cells`` with the policy abbreviated, for narrow columns."""
    values = cells(trace)
    values[4] = POLICY_SHORT.get(values[4], values[4])
    return values


def _fit(value: str, width: int, right: bool) -> str:
    if len(value) > width:
        value = value[: max(0, width - 1)] + "…"
    return value.rjust(width) if right else value.ljust(width)


class TraceTail(ScrollView, can_focus=True):
    """Traces as they finish. Up/down to move, enter (or a click) to open one."""

    class Selected(Message):
        """The user chose a trace in the tail."""

        def __init__(self, trace_id: str) -> None:
            super().__init__()
            self.trace_id = trace_id

    class FollowChanged(Message):
        """The tail started or stopped following the newest trace, or more arrived while it did not."""

        def __init__(self, following: bool, unseen: int) -> None:
            super().__init__()
            self.following = following
            self.unseen = unseen

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor(-1000000)", "First", show=False),
        Binding("end", "cursor(1000000)", "Newest", show=False),
        Binding("escape", "cursor(1000000)", "Follow", show=False),
        Binding("enter", "open", "Open trace", show=False),
    ]
    COMPONENT_CLASSES = {"trace-tail--header", "trace-tail--cursor"}
    DEFAULT_CSS = """
    TraceTail { height: 1fr; overflow-x: hidden; }
    TraceTail > .trace-tail--header { text-style: bold; color: $text-muted; background: $boost; }
    TraceTail > .trace-tail--cursor { background: $accent 40%; text-style: bold; }
    TraceTail:focus > .trace-tail--cursor { background: $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._traces: dict[str, TraceSummary] = {}
        """Shown traces by id, in row order (oldest first)."""
        self._order: list[str] = []
        self._strips: dict[str, Strip] = {}
        self._strip_width = 0
        self.cursor = -1
        """Index of the highlighted row (-1 when empty)."""
        self.unseen = 0
        """Traces that arrived below the cursor while it was not on the newest row."""
        self._reported: tuple[bool, int] = (True, 0)

    # -- content ---------------------------------------------------------------------------------

    @property
    def trace_ids(self) -> list[str]:
        """Ids of the rows shown, oldest first."""
        return list(self._order)

    @property
    def traces(self) -> list[TraceSummary]:
        """The rows shown, oldest first."""
        return [self._traces[i] for i in self._order]

    @property
    def row_count(self) -> int:
        """How many rows the tail holds."""
        return len(self._order)

    @property
    def following(self) -> bool:
        """Whether the cursor sits on the newest row (so new rows move it along)."""
        return self.cursor >= len(self._order) - 1

    def add_traces(self, traces: list[TraceSummary]) -> None:
        """Append a batch of new traces (oldest first). The fast path of the live stream."""
        following = self.following
        for trace in traces:
            if trace.id not in self._traces:
                self._traces[trace.id] = trace
                self._order.append(trace.id)
                self.unseen += not following
        if len(self._order) > MAX_ROWS + TRIM_SLACK:
            dropped = self._order[: len(self._order) - MAX_ROWS]
            del self._order[: len(dropped)]
            for trace_id in dropped:
                del self._traces[trace_id]
                self._strips.pop(trace_id, None)
            self.cursor = max(0, self.cursor - len(dropped))
            self.scroll_to(y=max(0, self.scroll_y - len(dropped)), animate=False, immediate=True)
        self._resized_content(follow=following)

    def merge(self, traces: list[TraceSummary], keep: TailFilter | None = None) -> None:
        """Show the union of what is shown (only what passes ``keep``, when given) and ``traces``,
        in time order: a reload after a reconnect or a filter change fills the gaps without losing
        what the live stream already delivered."""
        selected = None if self.following else self.selected_id
        shown = [t for t in self._traces.values() if keep is None or keep.matches(t)]
        merged = sorted({t.id: t for t in [*shown, *traces]}.values(), key=lambda t: t.created_at)[-MAX_ROWS:]
        self._traces = {t.id: t for t in merged}
        self._order = [t.id for t in merged]
        self._strips = {k: v for k, v in self._strips.items() if k in self._traces}
        self.cursor = self._order.index(selected) if selected in self._traces else len(self._order) - 1
        self._resized_content(follow=selected is None)

    def _resized_content(self, *, follow: bool) -> None:
        self.virtual_size = Size(self.size.width, len(self._order) + 1)
        if follow:
            self.cursor = len(self._order) - 1
            # After the next layout, when the new virtual size is known to the scrollbars.
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()
        self._report()

    def _report(self) -> None:
        """Tell the screen when following starts or stops, and how many traces came in meanwhile."""
        if self.following:
            self.unseen = 0
        state = (self.following, self.unseen)
        if state != self._reported:
            self._reported = state
            self.post_message(self.FollowChanged(*state))

    # -- cursor and selection ----------------------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        """The id of the highlighted trace."""
        return self._order[self.cursor] if 0 <= self.cursor < len(self._order) else None

    def select(self, trace_id: str) -> None:
        """Highlight a trace (and scroll it into view)."""
        self._move_to(self._order.index(trace_id))

    def _move_to(self, row: int) -> None:
        if not self._order:
            return
        self.cursor = max(0, min(row, len(self._order) - 1))
        line = self.cursor + 1  # the header is line 0
        height = self.scrollable_content_region.height
        if line < self.scroll_y + 1:
            self.scroll_to(y=line - 1, animate=False, immediate=True)
        elif line >= self.scroll_y + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)
        self.refresh()
        self._report()

    def action_cursor(self, delta: int) -> None:
        """Move the highlight by ``delta`` rows."""
        self._move_to(self.cursor + delta)

    def action_open(self) -> None:
        """Open the highlighted trace."""
        if self.selected_id is not None:
            self.post_message(self.Selected(self.selected_id))

    def on_click(self, event: events.Click) -> None:
        row = event.y + round(self.scroll_y) - 1
        if 0 <= row < len(self._order) and event.y > 0:
            if row == self.cursor:
                self.action_open()
            else:
                self._move_to(row)

    # -- rendering -------------------------------------------------------------------------------

    def _row_strip(self, trace_id: str, width: int) -> Strip:
        if width != self._strip_width:
            self._strips.clear()
            self._strip_width = width
        strip = self._strips.get(trace_id)
        if strip is None:
            trace = self._traces[trace_id]
            style = Style.parse(outcome_style(trace) or "none")
            widths = column_widths(width)
            values = cells(trace) if len(trace.policy or "") <= widths[4] else short_cells(trace)
            text = " ".join(_fit(v, w, c.right) for v, w, c in zip(values, widths, COLUMNS, strict=True))
            strip = Strip([Segment(_fit(text, width, False), style)], width)
            self._strips[trace_id] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:  # the header stays put while the rows scroll under it
            titles = " ".join(_fit(c.title, w, c.right) for c, w in zip(COLUMNS, column_widths(width), strict=True))
            header = self.get_component_rich_style("trace-tail--header")
            return Strip([Segment(_fit(titles, width, False), base + header)], width)
        row = y - 1 + round(self.scroll_y)
        if row >= len(self._order):
            return Strip.blank(width, base)
        if row == self.cursor:
            base = base + self.get_component_rich_style("trace-tail--cursor")
        return self._row_strip(self._order[row], width).apply_style(base)
