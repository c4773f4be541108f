"""The app's handling of live events, fed ``Event`` values directly (no daemon needed)."""

from __future__ import annotations

import time

from daemon.wire import Event
from tests.tui.conftest import until
from tests.tui.dataset import TRACES
from tui.app import FLUSH_EVERY_S, SwitchboardApp
from tui.widgets.tail import MAX_ROWS, TailFilter


def _event(i: int, **changes: object) -> Event:
    data = {**TRACES[i % len(TRACES)].model_dump(mode="json"), "id": f"ev{i:06d}", "created_at": time.time(), **changes}
    return Event(type="trace", at=time.time(), data=data)


async def test_a_burst_of_trace_events_reaches_the_tail_in_batches_and_keeps_only_the_newest() -> None:
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 36)) as pilot:
        tail = app.overview.tail
        for i in range(2000):
            app.handle_event(_event(i))
        assert tail.row_count == 0, "nothing is drawn per event; the batch waits for the next flush"
        await until(lambda: tail.row_count > 0, pilot, "the batch", limit_s=FLUSH_EVERY_S * 20)
        assert tail.row_count <= MAX_ROWS and tail.trace_ids[-1] == "ev001999"
        assert tail.selected_id == "ev001999", "the cursor follows the newest trace"


async def test_paused_tail_holds_events_and_shows_them_on_resume() -> None:
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("p")
        app.handle_event(_event(1))
        await until(lambda: app.overview.connection.line.pending == 1, pilot, "the held count")
        assert app.overview.tail.row_count == 0
        await pilot.press("p")
        assert app.overview.tail.trace_ids == ["ev000001"]


async def test_filter_drops_events_that_do_not_match() -> None:
    app = SwitchboardApp(None)
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_filter(TailFilter(surface="lsp"))
        app.handle_event(_event(1, surface="mcp"))
        app.handle_event(_event(2, surface="lsp"))
        await until(lambda: app.overview.tail.row_count, pilot, "the matching trace")
        assert app.overview.tail.trace_ids == ["ev000002"]
