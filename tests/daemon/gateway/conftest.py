"""Fixtures for gateway tests: the real daemon served on loopback in front of the sim."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from daemon.config import merge
from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

FAST_GATEWAY = {
    "connect_timeout": 1.0, "first_token_timeout": 0.5, "stall_timeout": 0.3, "total_timeout": 6.0,
    "max_retries": 2, "backoff_base": 0.05, "backoff_max": 0.5, "circuit_failures": 3, "circuit_reset_seconds": 0.5,
}
FALLBACKS = {"models": {"sim-nano": {"fallbacks": ["sim-mini"]}}}


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    """The daemon with fast timeouts, routing only to the sim's instant models; sim-nano falls back to sim-mini."""
    async with serve_daemon(sim, tmp_path, merge({"gateway": FAST_GATEWAY}, FALLBACKS)) as daemon:
        yield daemon


@pytest.fixture
async def serve(sim: SimServer, tmp_path: Path) -> AsyncIterator[Callable[[dict[str, Any]], Any]]:
    """Start the daemon with extra config: ``async with serve({...}) as daemon``."""
    async with contextlib.AsyncExitStack() as stack:
        count = 0

        async def start(extra: dict[str, Any]) -> Served:
            nonlocal count
            count += 1
            folder = tmp_path / f"d{count}"
            folder.mkdir()
            config = merge(merge({"gateway": FAST_GATEWAY}, FALLBACKS), extra)
            return await stack.enter_async_context(serve_daemon(sim, folder, config))

        yield start
