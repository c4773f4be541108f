"""Screenshots of the overview and the trace view at 80×24 and 160×48, from a fixed dataset.

The screens get fixed wire values (``tests/tui/dataset.py``) and a fixed clock; no daemon is needed
and none is faked. Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at
the SVGs under ``tests/tui/__snapshots__`` before accepting them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from tests.tui.dataset import BUDGETS, METRICS, NOW, TRACE, TRACES
from tui.app import SwitchboardApp
from tui.screens.trace import TraceScreen

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times render in UTC whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def dashboard() -> SwitchboardApp:
    """The app with no daemon: it shows only what the test feeds it."""
    return SwitchboardApp(None, clock=lambda: NOW)


async def fill_overview(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, SwitchboardApp)
    app.overview.connection.set(state="live", developer="alice", everyone=True, simulated=True)
    app.overview.show_metrics(METRICS)
    app.overview.show_budgets(BUDGETS, NOW)
    app.overview.add_traces(TRACES)
    await pilot.pause()


async def open_trace(pilot: Pilot) -> None:
    await fill_overview(pilot)
    await pilot.app.push_screen(TraceScreen(TRACE.id, TRACE))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview_snapshot(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(dashboard(), terminal_size=size, run_before=fill_overview)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trace_view_snapshot(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(dashboard(), terminal_size=size, run_before=open_trace)
