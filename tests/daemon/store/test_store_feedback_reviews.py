"""Quality signals and the review queue in every store."""

from __future__ import annotations

import time

import pytest

from daemon.errors import NotFoundError
from daemon.store import Store
from daemon.store.records import TraceRecord


async def _traced(store: Store, trace_id: str = "t1") -> int:
    dev = await store.developer_for_os_user("ada")
    await store.record_traces([TraceRecord(trace_id, dev.id, "lsp", time.time(), "ok", 10.0)])
    return dev.id


async def test_feedback_is_listed_per_trace_oldest_first(store: Store) -> None:
    dev_id = await _traced(store)
    first = await store.add_feedback("t1", "editor", 1.0, developer_id=dev_id)
    second = await store.add_feedback("t1", "agent", 0.25, comment="missed the edge case")
    assert await store.list_feedback("t1") == [first, second]
    assert second.comment == "missed the edge case" and second.developer_id is None
    assert await store.list_feedback("other") == []


async def test_feedback_for_an_unknown_trace_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no trace"):
        await store.add_feedback("ghost", "editor", 1.0)


async def test_review_is_queued_then_resolved_once(store: Store) -> None:
    dev_id = await _traced(store)
    answers = [{"model": "fast", "answer": "4"}, {"model": "strong", "answer": "5"}]
    item = await store.add_review("t1", dev_id, answers)
    assert item.status == "open" and item.answers == tuple(answers)
    assert await store.list_reviews() == [item]
    resolved = await store.resolve_review(item.id, 1)
    assert resolved.status == "resolved" and resolved.chosen_index == 1 and resolved.resolved_at is not None
    assert resolved.answers == tuple(answers)
    assert await store.list_reviews() == []
    assert await store.list_reviews(status=None, developer_id=dev_id) == [resolved]
    with pytest.raises(NotFoundError):
        await store.resolve_review(item.id, 0)


async def test_dismissed_review_has_no_chosen_answer(store: Store) -> None:
    dev_id = await _traced(store)
    item = await store.add_review("t1", dev_id, [{"answer": "a"}, {"answer": "b"}])
    dismissed = await store.resolve_review(item.id, None)
    assert dismissed.status == "dismissed" and dismissed.chosen_index is None
    assert await store.list_reviews(status="dismissed") == [dismissed]
    assert await store.list_reviews(developer_id=dev_id + 1, status=None) == []
