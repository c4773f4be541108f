"""The tail never freezes silently: it says when it is not following, counts what arrives below, and
follows again on end/esc; it can be filtered by outcome."""

from __future__ import annotations

from daemon.wire import Event
from tests.tui.dataset import TRACES
from tui.app import SwitchboardApp
from tui.widgets.tail import TailFilter


def later(n: int, **changes: object):  # type: ignore[no-untyped-def]
    return [TRACES[i % len(TRACES)].model_copy(update={"id": f"late{i}", "created_at": 1e10 + i, **changes})
            for i in range(n)]


async def test_the_tail_says_it_stopped_following_counts_new_traces_and_resumes() -> None:
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.overview.add_traces(TRACES)
        await pilot.pause()
        panel = app.overview.query_one("#tail-panel")
        assert "following" in str(panel.border_title) and "Not" not in str(panel.border_title)
        await pilot.press("up")
        app.overview.add_traces(later(4))
        await pilot.pause()
        assert "Not following" in str(panel.border_title) and "4 new below" in str(panel.border_title)
        assert app.overview.tail.selected_id == TRACES[-2].id  # the cursor stayed where the reader put it
        await pilot.press("escape")
        await pilot.pause()
        assert "Not following" not in str(panel.border_title)
        assert app.overview.tail.selected_id == "late3"
        app.overview.add_traces(later(6)[4:])
        await pilot.pause()
        assert app.overview.tail.selected_id == "late5"  # following again: new rows move the cursor along


async def test_the_tail_filters_by_outcome_including_fallbacks_and_escalations() -> None:
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 40)) as pilot:
        app.overview.add_traces(TRACES)
        await pilot.pause()
        app.apply_filter(TailFilter(outcome="error"))
        await pilot.pause()
        assert [t.outcome for t in app.overview.tail.traces] == ["error"]
        assert "outcome=error" in app.overview.connection.line.filters
        app.apply_filter(TailFilter(outcome="fallback"))
        for trace in later(8, fallback_used=False) + later(12, fallback_used=True)[8:]:  # live trace events
            app.handle_event(Event(type="trace", at=trace.created_at, data=trace.model_dump()))
        app.flush_pending()
        await pilot.pause()
        assert app.overview.tail.traces and all(t.fallback_used for t in app.overview.tail.traces)
        assert TailFilter(outcome="fallback").stored_outcome is None  # filtered here, not by the daemon
        assert TailFilter(outcome="refused").stored_outcome == "refused"
