"""Traces and their attempts round-trip through every store, exactly."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from daemon.errors import NotFoundError
from daemon.store import Store
from daemon.store.records import AttemptRecord, TraceQuery, TraceRecord


def _full_trace(developer_id: int, trace_id: str = "trace-1", created_at: float = 1_767_225_600.25) -> TraceRecord:
    return TraceRecord(
        id=trace_id, developer_id=developer_id, surface="mcp", created_at=created_at, outcome="ok",
        latency_ms=812.5, requested_model="auto", chosen_model="fast", answered_model="strong",
        task_type="code_edit", complexity=0.625, policy="cascade", matrix_version=3, reason="escalated on low confidence",
        decision={"chosen": "fast", "fallbacks": ["strong"], "scores": {"fast": 0.7, "strong": 0.9}},
        ttft_ms=120.0, input_tokens=1200, output_tokens=340, cached_tokens=800, reasoning_tokens=12,
        cost_micros=4_321, error_code=None, error_message=None, prompt="fix [REDACTED]", prompt_hash="ph",
        prompt_chars=14, answer="done [end]", answer_hash="ah", answer_chars=10, guard={"redacted": 1},
        fallback_used=True, escalated=True, host="laptop-7", embedding=bytes(range(128)), difficulty=-0.75,
        attempts=(
            AttemptRecord(seq=0, model="fast", status="error", started_at=created_at, latency_ms=300.0,
                          error_code="provider_timeout", error_message="stalled", http_status=None),
            AttemptRecord(seq=1, model="strong", status="ok", started_at=created_at + 0.3, latency_ms=512.5,
                          ttft_ms=120.0, http_status=200, input_tokens=1200, output_tokens=340, cost_micros=4_321),
        ),
    )


async def test_trace_with_attempts_round_trips_exactly(store: Store) -> None:
    dev = await store.create_developer("ada")
    trace = _full_trace(dev.id)
    await store.record_traces([trace])
    assert await store.get_trace(trace.id) == trace


async def test_trace_written_again_replaces_the_old_one(store: Store) -> None:
    dev = await store.create_developer("ada")
    trace = _full_trace(dev.id)
    await store.record_traces([trace])
    again = dataclasses.replace(trace, outcome="error", attempts=trace.attempts[:1])
    await store.record_traces([again])
    assert await store.get_trace(trace.id) == again


async def test_unknown_trace_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.get_trace("nope")


async def test_trace_listing_filters_and_orders_newest_first(store: Store) -> None:
    ada = await store.create_developer("ada")
    bob = await store.create_developer("bob")
    await store.record_traces([
        _full_trace(ada.id, "a1", 100.0),
        dataclasses.replace(_full_trace(ada.id, "a2", 200.0), surface="lsp", answered_model="fast"),
        dataclasses.replace(_full_trace(bob.id, "b1", 300.0), outcome="error"),
    ])
    ids = lambda traces: [t.id for t in traces]  # noqa: E731
    assert ids(await store.list_traces(TraceQuery())) == ["b1", "a2", "a1"]
    assert ids(await store.list_traces(TraceQuery(developer_id=ada.id))) == ["a2", "a1"]
    assert ids(await store.list_traces(TraceQuery(model="fast"))) == ["a2"]
    assert ids(await store.list_traces(TraceQuery(surface="mcp", outcome="error"))) == ["b1"]
    assert ids(await store.list_traces(TraceQuery(since=150.0, limit=1))) == ["b1"]
    assert (await store.list_traces(TraceQuery(developer_id=bob.id)))[0].attempts == ()


async def test_prune_drops_old_traces_then_the_oldest_beyond_the_count(store: Store) -> None:
    dev = await store.create_developer("ada")
    await store.record_traces([_full_trace(dev.id, f"t{i}", float(i)) for i in range(1, 7)])
    assert await store.prune_traces(older_than=2.0, keep_at_most=3) == 3
    assert [t.id for t in await store.list_traces(TraceQuery())] == ["t6", "t5", "t4"]
    with pytest.raises(NotFoundError):
        await store.get_trace("t1")


async def test_team_store_records_the_serving_host_when_the_trace_has_none(postgres_url: str, tmp_path) -> None:
    from daemon.store import open_store

    store = open_store(postgres_url, tmp_path)
    await store.open()
    try:
        dev = await store.create_developer("ada")
        await store.record_traces([dataclasses.replace(_full_trace(dev.id), host=None)])
        import socket

        assert (await store.get_trace("trace-1")).host == socket.gethostname()
    finally:
        await store.close()


async def test_a_trace_is_found_right_after_it_is_written_while_other_reads_are_in_flight(store: Store) -> None:
    """A burst of reads (the editor sends its feedback for every shown suggestion when it closes) must
    not hide a trace committed meanwhile: on SQLite, an unfinished read kept the reader's old snapshot."""
    dev = await store.create_developer("ada")
    await store.record_traces([_full_trace(dev.id, f"old-{i}", created_at=1_767_225_600.0 + i) for i in range(50)])
    query = TraceQuery(developer_id=dev.id, limit=50)
    for _ in range(5):
        burst = [asyncio.ensure_future(store.list_traces(query)) for _ in range(20)]
        await asyncio.sleep(0)  # the burst's reads are under way
        fresh = _full_trace(dev.id, f"fresh-{_}", created_at=1_767_230_000.0)
        await store.record_traces([fresh])
        found = await store.get_trace(fresh.id)
        await asyncio.gather(*burst)
        assert found.id == fresh.id
