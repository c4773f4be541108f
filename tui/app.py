"""The dashboard app: one event-stream connection, a modest metrics refresh, batched tail updates.

Data flow: a single long-lived worker follows ``GET /api/events`` (reconnecting with backoff and
showing the disconnected state meanwhile); trace events are buffered and flushed into the tail a
few times a second, so 100 events a second cost a handful of table updates, not a hundred. Metrics
and budgets are fetched on a timer only when events said something changed (and every 30 s
regardless). Every daemon call runs in a worker, so a slow daemon never freezes the screen.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from daemon.errors import DaemonUnavailableError, SwitchboardError
from daemon.wire import Event, Metrics, Status, TraceSummary
from tui.format import trace_from_event
from tui.screens.overview import OverviewScreen
from tui.widgets.tail import MAX_ROWS, TailFilter

if TYPE_CHECKING:
    from daemon.client import DaemonClient

WINDOWS = ("1h", "24h", "7d", "30d")
FLUSH_EVERY_S = 0.2
"""How often buffered trace events reach the tail."""
REFRESH_CHECK_S = 2.0
"""How often the app considers refreshing metrics (it does only when something changed)."""
REFRESH_ANYWAY_S = 30.0
"""Refresh metrics this often even when no event said so (windows slide, periods reset)."""
RECONNECT_MAX_S = 5.0
TAIL_RELOAD = 200


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        raise exc
    return exc.message if isinstance(exc, SwitchboardError) else f"{type(exc).__name__}: {exc}"


class SwitchboardApp(App[None]):
    """``switchboard tui``: live spend, routing and traces of one daemon."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "Switchboard"
    MODES: ClassVar = {"overview": "overview", "reviews": "reviews", "matrix": "matrix"}
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar = [(0, "-short"), (36, "-tall")]
    BINDINGS: ClassVar = [
        Binding("o", "show('overview')", "Overview"),
        Binding("r", "show('reviews')", "Reviews"),
        Binding("m", "show('matrix')", "Matrix"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, client: DaemonClient | None, *, window: str = "24h", demo_workload: bool = False,
                 attached: bool = False, clock: Callable[[], float] = time.time) -> None:
        """``client`` None shows whatever is fed to the screens (tests, screenshots) and calls nothing.
        ``attached``: ``make run`` found a daemon running that it did not start (the status line says so)."""
        super().__init__()
        self.client = client
        self.window = window
        self.clock = clock
        self.demo_workload = demo_workload
        self.attached = attached
        self.status: Status | None = None
        self.metrics: Metrics | None = None
        """The figures on screen (the last ``/api/metrics`` answer)."""
        self.everyone = False
        self.paused = False
        self.tail_filter = TailFilter()
        self.connection = "connecting"
        self.overview = OverviewScreen()
        self._pending: deque[TraceSummary] = deque(maxlen=MAX_ROWS)
        self._dirty = True
        self._refreshed_at = 0.0
        self._refreshing = False
        self._stale_modes: set[str] = set()
        self.models: list[str] = []
        self.developers: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.install_screen(self.overview, "overview")
        await self.switch_mode("overview")
        self.overview.connection.set(window=self.window, demo_workload=self.demo_workload)
        self.set_interval(FLUSH_EVERY_S, self.flush_pending)
        if self.client is not None:
            self.follow_events()
            self.set_interval(REFRESH_CHECK_S, self._maybe_refresh)

    # -- the event stream ------------------------------------------------------------------------

    @work(exclusive=True, group="events")
    async def follow_events(self) -> None:
        """Follow the daemon's events forever: one connection, re-opened with backoff when lost."""
        assert self.client is not None
        delay = 0.25
        while True:
            try:
                status = await self.client.status()
                async for event in self.client.events():
                    if event.type == "hello":  # sent once the daemon's subscription is in place
                        delay = 0.25
                        self._connected(status)
                    else:
                        self.handle_event(event)
                reason = "the daemon closed the event stream"
            except DaemonUnavailableError:
                reason = "the daemon is not answering"
            except SwitchboardError as exc:
                reason = exc.message
            except (OSError, ValueError) as exc:  # an HTTP-level or decoding failure: say it, then retry
                reason = f"{type(exc).__name__}: {exc}"
            self._disconnected(reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    def _connected(self, status: Status) -> None:
        """The stream is live: nothing is missed from here, so fill the gaps and fetch the figures."""
        first = self.status is None
        self.status = status
        if first:
            self.everyone = status.is_admin
        self.models = [m.name for m in status.models]
        self.connection = "live"
        self.overview.remove_class("-disconnected")
        usable = sum(1 for m in status.models if m.available)
        self.overview.connection.set(state="live", detail="", developer=status.developer, everyone=self.everyone,
                                     simulated=status.simulated, attached_pid=status.pid if self.attached else None,
                                     usable_models=usable)
        if status.simulated:
            self.sub_title = "demo mode: simulated providers"
        if first and self.attached:
            mode = "the SIMULATED providers (demo mode)" if status.simulated else f"real providers ({usable} usable models)"
            advice = "" if usable else " No model is usable: set a provider key or a config, then restart that daemon."
            self.notify(f"Attached to the daemon already running (pid {status.pid}); it runs on {mode}. "
                        f"Quitting leaves it running.{advice}", title="Attached", timeout=12,
                        severity="information" if usable else "warning")
        self.reload_tail()
        self.refresh_figures()

    def _disconnected(self, reason: str, retry_in: float) -> None:
        self.connection = "disconnected"
        self.overview.add_class("-disconnected")  # the figures on screen are now stale: dim them
        self.overview.connection.set(state="disconnected", detail=f"{reason}; retrying in {retry_in:.1f}s")

    def handle_event(self, event: Event) -> None:
        """React to one live event; cheap, because it may run a hundred times a second."""
        if event.type == "trace":
            trace = trace_from_event(event.data)
            if trace is not None and self._wanted(trace):
                self._pending.append(trace)
            self._dirty = True
        elif event.type == "budget":
            self._dirty = True
            d = event.data
            message = f"{d.get('scope', '')} {d.get('name', '')}: {str(d.get('state', '')).replace('_', ' ')}"
            if d.get("next_action"):
                message += f" — {d['next_action']}"
            self.notify(message, title="Budget", severity="warning", timeout=8)
        elif event.type == "circuit":
            model, state = event.data.get("model", "?"), event.data.get("state", "?")
            self.notify(f"{model}: circuit {state}", title="Circuit", severity="warning" if state != "closed" else
                        "information")
        elif event.type == "review":
            if event.data.get("status") == "open":
                self.notify("a consensus disagreement waits for you (r: reviews)", title="Review")
            self._stale_modes.add("reviews")
        elif event.type == "matrix":
            self._stale_modes.add("matrix")
        elif event.type == "config":
            self.notify("the daemon reloaded its config", title="Config")

    def _reload_stale_screen(self) -> None:
        # Matrix and review events can come in bursts: the screen on view reloads at most once per tick.
        if self.current_mode in self._stale_modes:
            self._stale_modes.discard(self.current_mode)
            self.get_screen(self.current_mode).load()  # type: ignore[attr-defined]

    def _wanted(self, trace: TraceSummary) -> bool:
        if not self.everyone and self.status is not None and trace.developer != self.status.developer:
            return False
        return self.tail_filter.matches(trace)

    def flush_pending(self) -> None:
        """Move buffered traces into the tail in one batch (unless the tail is paused)."""
        if self.paused:
            self.overview.connection.set(pending=len(self._pending))
            return
        if self._pending:
            batch = list(self._pending)
            self._pending.clear()
            self.overview.add_traces(batch)

    # -- fetching --------------------------------------------------------------------------------

    def _maybe_refresh(self) -> None:
        self._reload_stale_screen()
        stale = self.clock() - self._refreshed_at >= REFRESH_ANYWAY_S
        if self.connection == "live" and not self._refreshing and (self._dirty or stale):
            self.refresh_figures()

    @property
    def _quitting(self) -> bool:
        # A fetch can finish while the app quits: the overview's widgets are already gone by then, and
        # showing the answer would end the quit with a traceback instead of a clean exit.
        return not self.overview.is_attached or not self.overview.children

    @work(exclusive=True, group="figures")
    async def refresh_figures(self) -> None:
        """Fetch metrics and budgets side by side and show them."""
        if self.client is None:
            return
        self._refreshing, self._dirty = True, False
        try:
            metrics, budgets, savings = await asyncio.gather(
                self.client.metrics(self.window, all=self.everyone), self.client.budget(all=self.everyone),
                self.client.savings(self.window, all=self.everyone), return_exceptions=True,
            )
        finally:
            self._refreshing = False
        if self._quitting:
            return
        self._refreshed_at = self.clock()
        if isinstance(metrics, BaseException):
            self.overview.show_metrics_error(f"metrics: {_describe(metrics)}")
        else:
            self.metrics = metrics
            self.overview.show_metrics(metrics)
            self.models = sorted({*self.models, *(m.model for m in metrics.by_model)})
            self.developers = sorted(metrics.spend_by_developer)
        if isinstance(savings, BaseException):
            self.overview.show_savings_error(f"savings: {_describe(savings)}")
        else:
            self.overview.show_savings(savings)
        if isinstance(budgets, BaseException):
            self.overview.show_budgets_error(f"budget: {_describe(budgets)}")
        else:
            self.overview.show_budgets(budgets.budgets, self.clock())

    @work(exclusive=True, group="tail")
    async def reload_tail(self, keep: TailFilter | None = None) -> None:
        """Fill the tail with recent traces (after connecting or when the filter changes)."""
        if self.client is None:
            return
        f = self.tail_filter
        try:
            listing = await self.client.traces(
                limit=TAIL_RELOAD, developer=f.developer or None, model=f.model or None, surface=f.surface or None,
                outcome=f.stored_outcome, all="1" if self.everyone and not f.developer else None,
            )
        except SwitchboardError as exc:
            self.notify(f"could not load recent traces: {exc.message}", severity="error", timeout=6)
            return
        if self._quitting:
            return
        self.overview.tail.merge([t for t in listing.traces if self._wanted(t)], keep=keep)

    # -- navigation and actions ------------------------------------------------------------------

    def set_demo_workload(self, running: bool) -> None:
        """Say on the status line that a demo workload is (not) feeding the daemon."""
        self.demo_workload = running
        if self.overview.is_mounted:
            self.overview.connection.set(demo_workload=running)

    async def action_show(self, mode: str) -> None:
        """Switch to a screen; the review queue and the matrix are built (and imported) on first use,
        so that the overview paints sooner."""
        self.refresh_bindings()
        if not self.is_screen_installed(mode):
            if mode == "reviews":
                from tui.screens.reviews import ReviewScreen

                self.install_screen(ReviewScreen(), mode)
            elif mode == "matrix":
                from tui.screens.matrix import MatrixScreen

                self.install_screen(MatrixScreen(), mode)
        await self.switch_mode(mode)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer does not offer the screen already on view (room for the quit key at 80 columns)."""
        if action == "show" and parameters and parameters[0] == self.current_mode and \
                self.screen is self.get_screen(self.current_mode):
            return False
        return True

    def action_help(self) -> None:
        """What the keys do and what the figures mean, for the screen on view."""
        from tui.screens.help import HelpScreen

        names = {"OverviewScreen": "overview", "TraceScreen": "trace", "ReviewScreen": "reviews",
                 "MatrixScreen": "matrix"}
        name = names.get(type(self.screen).__name__)
        if name is not None:
            self.push_screen(HelpScreen(name))

    def open_trace(self, trace_id: str) -> None:
        """Show one trace in full."""
        from tui.screens.trace import TraceScreen

        self.push_screen(TraceScreen(trace_id))

    def action_set_window(self, window: str) -> None:
        """Show figures over another window (1h, 24h, 7d, 30d)."""
        self.window = window
        self.overview.connection.set(window=window)
        self.refresh_figures()

    def action_toggle_pause(self) -> None:
        """Freeze the tail to read it; events keep arriving and show when resumed."""
        self.paused = not self.paused
        self.overview.connection.set(paused=self.paused, pending=len(self._pending))
        if not self.paused:
            self.flush_pending()

    def action_toggle_everyone(self) -> None:
        """Admins: switch between my figures and every developer's."""
        if self.status is None or not self.status.is_admin:
            self.notify("only an admin sees other developers' figures", severity="warning")
            return
        self.everyone = not self.everyone
        self.overview.connection.set(everyone=self.everyone)
        self.overview.tail.merge([], keep=TailFilter(developer=self.status.developer) if not self.everyone else None)
        self.reload_tail()
        self.refresh_figures()

    def action_edit_filter(self) -> None:
        """Ask for a developer / model / surface filter for the tail."""
        from tui.screens.filter import FilterScreen

        self.push_screen(FilterScreen(self.tail_filter, models=self.models, developers=self.developers),
                         self.apply_filter)

    def apply_filter(self, new: TailFilter | None) -> None:
        """Show only the traces that pass ``new`` (None keeps the current filter)."""
        if new is None or new == self.tail_filter:
            return
        self.tail_filter = new
        self._pending = deque((t for t in self._pending if new.matches(t)), maxlen=MAX_ROWS)
        self.overview.connection.set(filters=new.describe())
        self.overview.tail.merge([], keep=new)
        self.reload_tail(keep=new)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Overview", "Spend, routing, rates, latency and the live tail",
                            lambda: self.run_action("show('overview')"))
        yield SystemCommand("Review queue", "Consensus disagreements waiting for a person",
                            lambda: self.run_action("show('reviews')"))
        yield SystemCommand("Routing matrix", "Task type × model quality, latency and cost",
                            lambda: self.run_action("show('matrix')"))
        for window in WINDOWS:
            yield SystemCommand(f"Window {window}", f"Show figures over the last {window}",
                                lambda w=window: self.action_set_window(w))
        yield SystemCommand("Pause / resume the tail", "Freeze the live tail to read it", self.action_toggle_pause)
        yield SystemCommand("Filter the tail", "By developer, model, surface or outcome", self.action_edit_filter)
        yield SystemCommand("Help", "What the keys do and what the figures mean", self.action_help)
        yield SystemCommand("Mine / all developers", "Admins: whose figures to show", self.action_toggle_everyone)


async def run(client: DaemonClient, *, window: str = "24h", demo_workload: bool = False) -> None:
    """Run the dashboard in the foreground until the user quits."""
    await SwitchboardApp(client, window=window, demo_workload=demo_workload).run_async()
