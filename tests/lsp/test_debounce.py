"""Debounce that adapts to typing; one live request per document."""

from __future__ import annotations

import asyncio

import pytest

from lsp.debounce import Superseder, TypingRhythm


def test_without_typing_history_the_base_delay_applies() -> None:
    assert TypingRhythm().delay(0.075) == 0.075


def test_a_fast_typist_waits_a_little_longer_than_their_interval() -> None:
    rhythm = TypingRhythm()
    for i in range(10):
        rhythm.keystroke(now=i * 0.1)
    assert 0.12 < rhythm.delay(0.05) <= 0.15


def test_pauses_do_not_count_as_typing_speed_and_the_delay_is_capped() -> None:
    rhythm = TypingRhythm()
    for i in range(5):
        rhythm.keystroke(now=i * 5.0)
    assert rhythm.delay(0.05) == 0.05
    rhythm = TypingRhythm()
    for i in range(10):
        rhythm.keystroke(now=i * 0.9)
    assert rhythm.delay(0.05) == pytest.approx(0.15)


async def test_a_newer_claim_cancels_the_older_request_as_superseded() -> None:
    superseder = Superseder()
    started = asyncio.Event()
    outcome: list[str] = []

    async def request() -> None:
        ticket = superseder.claim("doc")
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("superseded" if ticket.superseded else "cancelled")
            raise

    older = asyncio.create_task(request())
    async with asyncio.timeout(5):
        await started.wait()
        newer = superseder.claim("doc")
        await superseder.unwound(newer)
        assert older.done()
        await asyncio.gather(older, return_exceptions=True)
    assert outcome == ["superseded"]


async def test_claims_on_different_documents_do_not_interfere() -> None:
    superseder = Superseder()
    first = superseder.claim("a")
    superseder.claim("b")
    assert not first.superseded
