"""Screenshots of every screen at 80×24 and 120×40, from a fixed dataset, with the quit key in each footer.

The screens get fixed wire values (``tests/tui/dataset.py``) and a fixed clock; no daemon is needed
and none is faked. Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at
the SVGs under ``tests/tui/__snapshots__`` before accepting them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.tui.dataset import BUDGETS, MATRIX, METRICS, NOW, REVIEWS, SAVINGS, TRACE, TRACES
from tui.app import SwitchboardApp
from tui.screens.help import HelpScreen
from tui.screens.matrix import MatrixScreen
from tui.screens.reviews import ReviewScreen
from tui.screens.trace import TraceScreen

SIZES = [(80, 24), (120, 40)]


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
    app.overview.connection.set(state="live", developer="alice", everyone=True, simulated=True, demo_workload=True)
    app.overview.show_metrics(METRICS)
    app.overview.show_budgets(BUDGETS, NOW)
    app.overview.show_savings(SAVINGS)
    app.overview.add_traces(TRACES)
    await pilot.pause()


async def not_following(pilot: Pilot) -> None:
    """The user moved up the tail; then three traces arrived below."""
    await fill_overview(pilot)
    await pilot.press("up", "up")
    app = pilot.app
    assert isinstance(app, SwitchboardApp)
    app.overview.add_traces([TRACES[i].model_copy(update={"id": f"late{i}", "created_at": NOW - 5 + i}) for i in range(3)])
    await pilot.pause()


async def open_trace(pilot: Pilot) -> None:
    await fill_overview(pilot)
    await pilot.app.push_screen(TraceScreen(TRACE.id, TRACE))
    await pilot.pause()


async def switch_to(pilot: Pilot, key: str) -> object:
    """Press a screen's key from the filled overview; the screen on view after it."""
    await fill_overview(pilot)
    await pilot.press(key)
    await pilot.pause()
    return pilot.app.screen


async def open_reviews(pilot: Pilot) -> None:
    screen = await switch_to(pilot, "r")
    assert isinstance(screen, ReviewScreen)
    screen.show_reviews(REVIEWS)
    await pilot.pause()


async def open_matrix(pilot: Pilot) -> None:
    screen = await switch_to(pilot, "m")
    assert isinstance(screen, MatrixScreen)
    screen.show_matrix(MATRIX)
    await pilot.pause()


async def open_help(pilot: Pilot) -> None:
    await fill_overview(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def open_filter(pilot: Pilot) -> None:
    await fill_overview(pilot)
    await pilot.press("f")
    await pilot.pause()


SCREENS = {"overview": fill_overview, "not_following": not_following, "trace": open_trace, "reviews": open_reviews,
           "matrix": open_matrix, "help": open_help, "filter": open_filter}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_snapshot(snap_compare, screen: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(dashboard(), terminal_size=size, run_before=SCREENS[screen])


QUIT_HIDDEN_BY_DIALOG = {"help", "filter"}
"""Modal dialogs cover the footer's keys with their own: escape closes them, then q quits."""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", [s for s in SCREENS if s not in QUIT_HIDDEN_BY_DIALOG])
async def test_the_footer_shows_the_quit_key_on_every_screen(screen: str, size: tuple[int, int]) -> None:
    app = dashboard()
    async with app.run_test(size=size) as pilot:
        await SCREENS[screen](pilot)
        footer = app.screen.query_one(Footer)
        keys = [(k.key_display, k.description, k.region) for k in footer.query(FooterKey)]
        quit_key = next((k for k in keys if k[1] == "Quit"), None)
        assert quit_key is not None, keys
        region = quit_key[2]
        assert region.width > 0 and region.right <= size[0], f"{screen} at {size}: {keys}"
        await pilot.press("q")
    assert app.return_code == 0 or app.return_code is None


async def test_help_lists_the_screens_keys_and_closes_with_escape() -> None:
    app = dashboard()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_overview(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.screen_name == "overview"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.overview
