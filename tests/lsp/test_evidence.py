"""Quality evidence: accepted suggestions score 1, dropped ones 0, one signal per trace."""

from __future__ import annotations

from lsp.evidence import ACCEPTED_SCORE, REJECTED_SCORE, Evidence


async def test_accepted_and_dropped_suggestions_each_send_one_signal() -> None:
    sent: list[tuple[str, float]] = []

    async def send(trace_id: str, score: float, comment: str) -> None:
        sent.append((trace_id, score))

    evidence = Evidence(send)
    evidence.shown("file:///a.py", "t-accepted")
    evidence.shown("file:///a.py", "t-dropped")
    evidence.accepted("t-accepted")
    evidence.accepted("t-accepted")
    evidence.dropped("file:///a.py")
    evidence.dropped("file:///a.py")
    await evidence.flush()
    assert sorted(sent) == [("t-accepted", ACCEPTED_SCORE), ("t-dropped", REJECTED_SCORE)]


async def test_typing_through_keeps_the_suggestion_pending_and_drops_the_others() -> None:
    sent: list[tuple[str, float]] = []

    async def send(trace_id: str, score: float, comment: str) -> None:
        sent.append((trace_id, score))

    evidence = Evidence(send)
    evidence.shown("file:///a.py", "t-old")
    evidence.shown("file:///a.py", "t-current")
    evidence.still_shown("file:///a.py", "t-current")
    await evidence.flush()
    assert sent == [("t-old", REJECTED_SCORE)]


async def test_a_failed_signal_is_logged_not_raised() -> None:
    async def send(trace_id: str, score: float, comment: str) -> None:
        raise ConnectionError("daemon gone")

    evidence = Evidence(send)
    evidence.shown("file:///a.py", "t-1")
    evidence.dropped("file:///a.py")
    await evidence.flush()
