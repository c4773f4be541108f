"""The dashboard against a real daemon on the simulated providers, driven by Textual's pilot."""

from __future__ import annotations

import asyncio

from daemon.client import DaemonClient
from daemon.wire import AskRequest, ConsensusRequest, FeedbackRequest
from tests.support import DaemonProcess, start_daemon, stop_daemon
from tests.tui.conftest import text_of, until
from tui.app import SwitchboardApp
from tui.format import usd
from tui.screens.reviews import ReviewScreen
from tui.screens.trace import TraceScreen
from tui.widgets.distribution import Distribution
from tui.widgets.latency import LatencyTable
from tui.widgets.trace_detail import TraceDetailView

SIZE = (160, 48)


async def _ask(daemon: DaemonProcess, prompt: str, surface: str = "cli") -> str:
    async with daemon.client() as client:
        return (await client.ask(AskRequest(prompt=prompt, surface=surface))).trace_id  # type: ignore[arg-type]


async def test_overview_figures_match_the_metrics_endpoint(daemon: DaemonProcess) -> None:
    for i, surface in enumerate(("cli", "mcp", "lsp", "api")):
        await _ask(daemon, f"write a haiku about routers, take {i}", surface)
    async with daemon.client() as client:
        app = SwitchboardApp(client, window="1h")
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.metrics is not None and app.metrics.requests >= 4, pilot, "metrics on screen")
            expected = await client.metrics("1h", all=True)
            shown = app.metrics
            assert shown is not None
            assert (shown.requests, shown.spend_usd, shown.by_surface) == (
                expected.requests, expected.spend_usd, expected.by_surface)
            overview = app.overview
            assert usd(expected.spend_usd) in text_of(overview.query_one("#spend-total"))
            routing = text_of(overview.query_one(Distribution))
            latency = text_of(overview.query_one(LatencyTable))
            for model in expected.by_model:
                assert model.model in routing and f"{model.share * 100:.0f}%" in routing
                assert model.model in latency
            for surface in ("cli", "mcp", "lsp", "api"):
                assert f"{surface} 25%" in routing


async def test_new_trace_appears_in_the_tail_and_opens_with_its_decision_and_rating_records_feedback(
    daemon: DaemonProcess,
) -> None:
    async with daemon.client() as client:
        app = SwitchboardApp(client)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.connection == "live", pilot, "the live state")
            trace_id = await _ask(daemon, "explain what a circuit breaker does in a gateway", "mcp")
            await until(lambda: trace_id in app.overview.tail.trace_ids, pilot, "the new trace in the tail")
            tail = app.overview.tail
            tail.focus()
            tail.select(trace_id)
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, TraceScreen) and app.screen.detail is not None, pilot,
                        "the trace view")
            screen = app.screen
            assert isinstance(screen, TraceScreen) and screen.detail is not None and screen.trace_id == trace_id
            shown = text_of(screen.query_one(TraceDetailView))
            assert "Decision" in shown and screen.detail.reason and screen.detail.reason[:40] in " ".join(shown.split())
            assert screen.detail.model and screen.detail.model in shown

            await pilot.press("5")
            async with asyncio.timeout(20):
                while not (await client.trace(trace_id)).feedback:
                    await pilot.pause(0.05)
            feedback = (await client.trace(trace_id)).feedback
            assert [(f["source"], f["score"]) for f in feedback] == [("user", 1.0)]
            await until(lambda: screen.detail is not None and screen.detail.feedback, pilot, "the rating on screen")
            assert "user 1.00" in text_of(screen.query_one(TraceDetailView))


async def test_a_review_item_can_be_resolved_from_the_queue(split_daemon: DaemonProcess) -> None:
    async with split_daemon.client() as client:
        verdict = await client.consensus(ConsensusRequest(prompt="tabs or spaces? answer in one line", n=3))
        assert verdict.verdict == "disagree" and verdict.review_id is not None
        app = SwitchboardApp(client)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.connection == "live", pilot, "the live state")
            await pilot.press("r")
            await until(lambda: isinstance(app.screen, ReviewScreen) and app.screen.reviews, pilot, "the queue")
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            assert [r.id for r in screen.reviews] == [verdict.review_id]
            assert len(screen.query(".answer")) == len(verdict.answers)
            await pilot.press("2")
            await until(lambda: not screen.reviews, pilot, "the queue to empty")
        resolved = await client.reviews(status="resolved")
        assert [(r.id, r.chosen_index) for r in resolved] == [(verdict.review_id, 1)]


async def test_daemon_going_away_shows_disconnected_and_coming_back_recovers(daemon: DaemonProcess) -> None:
    client = DaemonClient(daemon.socket)
    app = SwitchboardApp(client)
    replacement: DaemonProcess | None = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.connection == "live", pilot, "the live state")
            daemon.process.kill()
            await daemon.wait_exit()
            await until(lambda: app.connection == "disconnected", pilot, "the disconnected state")
            assert "disconnected" in text_of(app.overview.connection)
            assert app.overview.has_class("-disconnected"), "stale figures are dimmed"
            replacement = await start_daemon(daemon.config, socket=daemon.socket, data_dir=daemon.data_dir)
            await until(lambda: app.connection == "live", pilot, "the live state again")
            assert not app.overview.has_class("-disconnected")
            trace_id = await _ask(replacement, "are we back?")
            await until(lambda: trace_id in app.overview.tail.trace_ids, pilot, "a trace from the new daemon")
    finally:
        await client.aclose()
        if replacement is not None:
            await stop_daemon(replacement)


async def test_window_switch_pause_filter_and_matrix_view_work_from_the_keyboard(daemon: DaemonProcess) -> None:
    mcp_id = await _ask(daemon, "summarise the ledger design in one line", "mcp")
    lsp_id = await _ask(daemon, "def parse(line):\n    ", "lsp")
    async with daemon.client() as client:
        app = SwitchboardApp(client)
        async with app.run_test(size=SIZE) as pilot:
            tail = app.overview.tail
            await until(lambda: {mcp_id, lsp_id} <= set(tail.trace_ids), pilot, "both traces in the tail")

            await pilot.press("3")
            await until(lambda: app.metrics is not None and app.metrics.window == "7d", pilot, "7d figures")
            assert "7d" in text_of(app.overview.connection)

            await pilot.press("p")
            paused_id = await _ask(daemon, "one more while paused", "api")
            await until(lambda: "(+1)" in text_of(app.overview.connection), pilot, "the paused count")
            assert paused_id not in tail.trace_ids
            await pilot.press("p")
            await until(lambda: paused_id in tail.trace_ids, pilot, "the held trace after resuming")

            await pilot.press("f")
            await until(lambda: app.screen.id is None and app.screen.query("#filter-surface"), pilot, "the filter")
            app.screen.query_one("#filter-surface").focus()
            await pilot.press("m", "c", "p", "enter")
            await until(lambda: tail.trace_ids == [mcp_id], pilot, "only the mcp trace")
            assert "via=mcp" in text_of(app.overview.connection)

            await client.feedback(FeedbackRequest(trace_id=mcp_id, score=1.0, source="agent"))
            await pilot.press("m")
            expected = await client.matrix()
            assert expected.cells, "the rating gave the matrix evidence"
            await until(lambda: app.get_screen("matrix").matrix is not None, pilot, "the matrix")  # type: ignore[attr-defined]
            table = app.get_screen("matrix").query_one("#matrix-table")
            assert table.row_count == len({(c.task_type, c.band) for c in expected.cells})
            assert len(table.columns) == 1 + len(expected.models)  # every usable model, evidence or not
            cell = expected.cells[0]
            rated = table.get_cell(f"{cell.task_type}:{cell.band}", cell.model)
            shown = next(q for q in expected.grid if (q.task_type, q.band, q.model) == (cell.task_type, cell.band,
                                                                                           cell.model))
            assert rated.plain.strip().startswith(f"{shown.quality:.2f}"), "the quality the router uses"
            assert not rated.plain.startswith("●"), "the first look is the baseline: nothing has changed yet"
            await client.feedback(FeedbackRequest(trace_id=mcp_id, score=0.0, source="agent"))
            await until(lambda: table.get_cell(f"{cell.task_type}:{cell.band}", cell.model).plain.startswith("●"),
                        pilot, "the cell a new rating moved, marked as changed")
