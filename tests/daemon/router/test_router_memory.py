"""What the router learns from outcomes: similar past prompts and per-model online models move the
predicted quality of the right model, the decision says so, and the index finds what exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from daemon.router.classify import classify
from daemon.router.embedding import MEMORY_DIMS, shipped_embedder
from daemon.router.engine import decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.memory import INDEX_FROM, Knowledge, Outcome, OutcomeMemory, memory_vector
from daemon.router.settings import RoutingSettings
from daemon.router.types import Candidate, RouteRequest, TaskType

NO_EXPLORE = RoutingSettings(exploration_rate=0.0)
PAIR = [Candidate("cheap", "small", 0.1, 0.4, 128_000), Candidate("strong", "frontier", 3.0, 15.0, 128_000)]


def unit(rng: np.random.Generator, n: int, dims: int = 256) -> np.ndarray:
    v = rng.normal(size=(n, dims)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_neighbours_report_each_models_weighted_quality_and_ignore_unrelated_prompts() -> None:
    rng = np.random.default_rng(0)
    topic = unit(rng, 1)[0]
    near = [topic + 0.05 * v for v in unit(rng, 6)]
    far = unit(rng, 20)
    outcomes = [Outcome(v, "cheap", 0.2) for v in near[:3]] + [Outcome(v, "strong", 0.9) for v in near[3:]]
    outcomes += [Outcome(v, "cheap", 1.0) for v in far]
    found = OutcomeMemory.build(outcomes).neighbours(topic)
    assert set(found) == {"cheap", "strong"}
    assert found["cheap"].quality == pytest.approx(0.2, abs=1e-6) and found["cheap"].count == 3
    assert found["strong"].quality == pytest.approx(0.9, abs=1e-6)
    assert OutcomeMemory().neighbours(topic) == {}


def test_the_index_finds_what_exact_search_finds() -> None:
    rng = np.random.default_rng(1)
    centres = unit(rng, 40)
    points = np.concatenate([c + 0.15 * unit(rng, 150) for c in centres])
    outcomes = [Outcome(p, f"m{i % 3}", float(i % 5) / 4) for i, p in enumerate(points)]
    assert len(outcomes) > INDEX_FROM
    indexed = OutcomeMemory.build(outcomes)
    exact = OutcomeMemory.build(outcomes, index=False)
    assert indexed.centroids is not None and exact.centroids is None
    agree = 0
    for query in centres[:20]:
        a, b = indexed.neighbours(query), exact.neighbours(query)
        agree += a.keys() == b.keys() and all(abs(a[m].quality - b[m].quality) < 0.05 for m in a)
    assert agree >= 18


def test_outcomes_added_after_indexing_are_found_and_the_memory_asks_for_a_new_index_when_the_tail_grows() -> None:
    rng = np.random.default_rng(2)
    base = OutcomeMemory.build([Outcome(v, "cheap", 0.5) for v in unit(rng, INDEX_FROM + 100)])
    probe = unit(rng, 1)[0]
    grown = base.adding([Outcome(probe, "strong", 1.0)])
    assert grown.neighbours(probe)["strong"].quality == 1.0
    assert not grown.needs_reindex
    assert base.adding([Outcome(v, "cheap", 0.5) for v in unit(rng, INDEX_FROM)]).needs_reindex


def test_the_online_model_learns_that_a_model_is_weak_at_one_task_type() -> None:
    rng = np.random.default_rng(3)
    outcomes = []
    for v in unit(rng, 120):
        outcomes.append(Outcome(v, "cheap", 0.1, difficulty=0.0, task_type=TaskType.MATH))
        outcomes.append(Outcome(v, "cheap", 0.9, difficulty=0.0, task_type=TaskType.PROSE))
    online = Knowledge.build(outcomes).online
    from daemon.router.memory import online_features

    math = online.predict("cheap", online_features(0.0, TaskType.MATH, None))
    prose = online.predict("cheap", online_features(0.0, TaskType.PROSE, None))
    assert math is not None and prose is not None
    assert math[0] < 0.3 < 0.7 < prose[0]
    assert online.predict("never-seen", online_features(0.0, TaskType.MATH, None)) is None


@pytest.mark.skipif(shipped_embedder() is None, reason="the wordllama wheel (embedding files) is not installed")
def test_past_outcomes_of_similar_prompts_move_the_prediction_and_the_reason_names_them() -> None:
    asked = "Write a SQL query for the top 10 customers by total orders."
    similar = ["Write a SQL query listing the five products with the most returns this year.",
               "Write a SQL query that finds the top customers by revenue for last quarter.",
               "Give me a SQL query for the ten biggest orders placed last week."]
    knowledge = Knowledge()
    for text in similar:
        cls = classify(RouteRequest.from_prompt(text))
        knowledge = knowledge.adding([
            Outcome(cls.embedding, "cheap", 0.1, difficulty=cls.difficulty, task_type=cls.task_type),
            Outcome(cls.embedding, "strong", 0.95, difficulty=cls.difficulty, task_type=cls.task_type),
        ])
    request = RouteRequest.from_prompt(asked)
    before = decide(request, PAIR, RoutingMatrix(), settings=NO_EXPLORE)
    after = decide(request, PAIR, RoutingMatrix(), settings=NO_EXPLORE, knowledge=knowledge)
    assert after.candidate("cheap").predicted_quality < before.candidate("cheap").predicted_quality - 0.1
    assert after.candidate("cheap").evidence > 0
    assert "similar past outcomes" in after.reason and "cheap 0.1" in after.reason
    assert (before.model, after.model) == ("cheap", "strong")


def test_memory_vectors_are_the_renormalised_leading_dimensions() -> None:
    rng = np.random.default_rng(4)
    v = unit(rng, 1)[0]
    head = memory_vector(v)
    assert head.shape == (MEMORY_DIMS,)
    assert abs(float(np.linalg.norm(head)) - 1.0) < 1e-5
    assert np.allclose(head, v[:MEMORY_DIMS] / np.linalg.norm(v[:MEMORY_DIMS]))
