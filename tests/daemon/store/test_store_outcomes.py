"""Learned outcomes in every store: they round-trip, load newest-first-bounded, and are pruned by count."""

from __future__ import annotations

import time

import pytest

from daemon.errors import InvalidRequestError
from daemon.store import Store
from daemon.store.records import OutcomeRecord, TraceRecord


def _outcome(n: int, **changes: object) -> OutcomeRecord:
    values: dict = dict(model=f"m{n % 3}", quality=(n % 5) / 4, weight=1.0 + n % 2, source="judge",
                        task_type="code_edit", difficulty=n / 10 - 1, embedding=bytes([n % 256]) * 128,
                        created_at=1_767_225_600.0 + n, trace_id=f"t{n}")
    values.update(changes)
    return OutcomeRecord(**values)


async def test_outcomes_round_trip_in_the_order_they_were_learned(store: Store) -> None:
    written = [_outcome(n) for n in range(5)] + [_outcome(5, trace_id=None)]
    await store.add_outcomes(written[:2])
    await store.add_outcomes(written[2:])
    loaded = await store.load_outcomes()
    assert [o.id for o in loaded] == sorted(o.id for o in loaded)
    assert [o.__class__(**{**o.__dict__, "id": 0}) for o in loaded] == written


async def test_loading_is_bounded_to_the_newest(store: Store) -> None:
    await store.add_outcomes([_outcome(n) for n in range(10)])
    newest = await store.load_outcomes(limit=3)
    assert [o.trace_id for o in newest] == ["t7", "t8", "t9"]


async def test_pruning_keeps_the_newest_outcomes(store: Store) -> None:
    await store.add_outcomes([_outcome(n) for n in range(10)])
    assert await store.prune_outcomes(4) == 6
    assert [o.trace_id for o in await store.load_outcomes()] == ["t6", "t7", "t8", "t9"]
    assert await store.prune_outcomes(4) == 0


async def test_outcomes_outlive_their_traces(store: Store) -> None:
    dev = await store.create_developer("ada")
    await store.record_traces([TraceRecord("t1", dev.id, "api", time.time() - 90 * 86_400, "ok", 5.0)])
    await store.add_outcomes([_outcome(1)])
    assert await store.prune_traces(time.time() - 86_400, 1000) == 1
    assert [o.trace_id for o in await store.load_outcomes()] == ["t1"]


async def test_an_outcome_out_of_range_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(InvalidRequestError, match=r"quality is in \[0, 1\]"):
        await store.add_outcomes([_outcome(1), _outcome(2, quality=1.5)])
    assert await store.load_outcomes() == []
