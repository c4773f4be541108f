"""Fixtures of the dashboard tests: a real daemon on the simulated providers, and text of widgets."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.widget import Widget
from textual.widgets import Static

from daemon.sim import instant_profiles
from tests.support import DaemonProcess, SimServer, running_daemon, sim_config, write_config

WAIT_S = 20.0


@pytest.fixture
async def daemon(sim_config_file: Path) -> AsyncIterator[DaemonProcess]:
    """A daemon subprocess routing to the (instant) simulated providers."""
    async with running_daemon(sim_config_file) as process:
        yield process


@pytest.fixture
async def split_sim() -> AsyncIterator[SimServer]:
    """Simulated providers whose models all answer differently, so a consensus disagrees."""
    profiles = [p.model_copy(update={"answer_seed": p.name}) for p in instant_profiles()]
    async with SimServer(profiles) as server:
        yield server


@pytest.fixture
async def split_daemon(tmp_path: Path, split_sim: SimServer) -> AsyncIterator[DaemonProcess]:
    """A daemon over ``split_sim``."""
    profiles = [p.model_copy(update={"answer_seed": p.name}) for p in instant_profiles()]
    config = write_config(tmp_path / "split.toml", sim_config(split_sim.url, profiles=profiles))
    async with running_daemon(config) as process:
        yield process


def text_of(widget: Widget) -> str:
    """What a widget shows, as plain text."""
    console = Console(width=max(widget.content_size.width, 40), file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content if isinstance(widget, Static) else widget.render())
    return console.export_text()


async def until(condition: Callable[[], object], pilot, what: str, limit_s: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``condition()`` holds; fail with ``what`` after ``limit_s`` seconds."""
    try:
        async with asyncio.timeout(limit_s):
            while not condition():
                await pilot.pause(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {limit_s:.0f}s waiting for {what}") from None
