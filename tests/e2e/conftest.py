"""Fixtures of the SDK tests: the real daemon served on loopback in front of the sim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    """The daemon with the shipped gateway settings, routing only to the sim's instant models."""
    async with serve_daemon(sim, tmp_path) as daemon:
        yield daemon
