"""Fixtures for gateway tests: the real daemon served on loopback in front of the sim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

FAST_GATEWAY = {
    "connect_timeout": 2.0, "first_token_timeout": 2.0, "stall_timeout": 0.5, "total_timeout": 8.0,
    "max_retries": 2, "backoff_base": 0.05, "backoff_max": 0.4, "circuit_failures": 3, "circuit_reset_seconds": 0.5,
}


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    """The daemon with fast timeouts, routing only to the sim's instant models."""
    async with serve_daemon(sim, tmp_path, {"gateway": FAST_GATEWAY}) as daemon:
        yield daemon
