"""Fixtures for the sim's own tests: a running SimServer with instant and paced models, and an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from daemon.sim import ModelProfile, SimServer, instant_profiles

TEST_PROFILES = (
    *instant_profiles(),
    # Paced so a stream is still running when a test acts on it (cancel, read a chunk, ...).
    ModelProfile(name="sim-trickle", tokens_per_second=40, chunk_tokens=2),
    ModelProfile(name="sim-tiny-context", context_window=20, wire_format="anthropic"),
)


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """A started sim on a free port, with `TEST_PROFILES`."""
    async with SimServer(TEST_PROFILES) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client with a short timeout, so a misbehaving test fails instead of hanging."""
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


def chat(prompt: str = "What is a router?", model: str = "sim-nano", **extra: object) -> dict[str, object]:
    """A chat completions body."""
    return {"model": model, "messages": [{"role": "user", "content": prompt}], **extra}


def messages(prompt: str = "What is a router?", model: str = "sim-claude", **extra: object) -> dict[str, object]:
    """An Anthropic messages body."""
    return {"model": model, "max_tokens": 1024, "messages": [{"role": "user", "content": prompt}], **extra}


@pytest.fixture
def chat_body():
    """Builder of chat completions bodies."""
    return chat


@pytest.fixture
def messages_body():
    """Builder of Anthropic messages bodies."""
    return messages
