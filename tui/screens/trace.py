"""The trace view: why a request went where it went, what it cost, and a place to rate it."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from daemon.errors import SwitchboardError
from daemon.wire import FeedbackRequest, TraceDetail
from tui.widgets.trace_detail import TraceDetailView

SCORES = {"1": 0.0, "2": 0.25, "3": 0.5, "4": 0.75, "5": 1.0}


class TraceScreen(Screen[None]):
    """One trace in full. Given a ``TraceDetail`` it shows that; given only an id it loads it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        *(Binding(key, f"rate({score})", f"Rate {key}", show=key in ("1", "5")) for key, score in SCORES.items()),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, trace_id: str, detail: TraceDetail | None = None) -> None:
        super().__init__()
        self.trace_id = trace_id
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="trace-scroll"):
            yield TraceDetailView(Text(f"loading trace {self.trace_id}…", "dim"), id="trace-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = f"trace {self.trace_id}"
        if self.detail is not None:
            self.query_one(TraceDetailView).show(self.detail)
        else:
            self.load()

    @work(exclusive=True, group="trace-load")
    async def load(self) -> None:
        """Fetch the trace without blocking the screen."""
        client = self.app.client  # type: ignore[attr-defined]
        view = self.query_one(TraceDetailView)
        if client is None:
            view.update(Text("no daemon to ask (offline)", "red"))
            return
        try:
            self.detail = await client.trace(self.trace_id)
        except SwitchboardError as exc:
            view.update(Text(f"could not load trace {self.trace_id}: {exc.message}", "red"))
            return
        view.show(self.detail)

    def action_reload(self) -> None:
        """Fetch the trace again."""
        self.load()

    def action_rate(self, score: float) -> None:
        """Send a user rating for this trace (it feeds the routing matrix)."""
        self.rate(score)

    @work(exclusive=True, group="trace-rate")
    async def rate(self, score: float) -> None:
        """Record the rating, then show the trace again with it."""
        client = self.app.client  # type: ignore[attr-defined]
        if client is None:
            self.notify("offline: the rating was not sent", severity="error")
            return
        try:
            await client.feedback(FeedbackRequest(trace_id=self.trace_id, score=score, source="user"))
        except SwitchboardError as exc:
            self.notify(f"the rating was not recorded: {exc.message}", severity="error", timeout=6)
            return
        self.notify(f"rated {score:.2f} — thanks, the routing matrix learns from it")
        self.load()
