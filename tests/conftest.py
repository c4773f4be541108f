"""Fixtures every test module may use: the simulated providers and a config that routes to them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import SimServer, sim_config, write_config

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """The simulated providers with instant profiles, on a free port."""
    async with SimServer() as server:
        yield server


@pytest.fixture
def sim_config_file(tmp_path: Path, sim: SimServer) -> Path:
    """A config file routing only to the sim's models, TCP on a free loopback port."""
    return write_config(tmp_path / "config.toml", sim_config(sim.url))
