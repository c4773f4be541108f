"""What the router learned from its own outcomes: similar past prompts, and a small model per model.

- ``OutcomeMemory``: every outcome (a past prompt's embedding, the model that answered, how good
  the answer was) in one matrix. A decision asks for the outcomes of the prompts most similar to
  its own (cosine over unit embeddings) and gets, per model, their weighted mean quality and how
  much evidence that is — "12 similar past prompts: sim-pro 0.83, sim-nano 0.41". The search is
  exact over a small memory and over an inverted-file index (k-means cells, the nearest few
  probed) once it grows, so 50,000 outcomes cost a few tens of microseconds.
- ``OnlineModels``: per model, a ridge regression of quality on a few features of the request
  (its difficulty, task type and the leading embedding dimensions), updated in closed form with
  every outcome (recursive least squares). It generalises where no close neighbour exists: "this
  model is weak at code" after a few dozen code outcomes.

Both are values the daemon builds from its store and replaces as outcomes arrive; a decision
only reads them (no I/O, no locks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from daemon.router.embedding import MEMORY_DIMS
from daemon.router.types import TaskType

K_NEIGHBOURS = 48
"""Most similar past outcomes read per decision (all models together)."""
MIN_SIMILARITY = 0.55
"""Outcomes of prompts less similar than this (cosine) are not neighbours."""
INDEX_FROM = 4096
"""Outcomes beyond which the memory is searched through its inverted-file index."""
_PROBE = 6
"""Index cells searched per query."""
_TASKS = tuple(TaskType)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One learned outcome: a prompt (as its embedding), the model that answered, and how well."""

    embedding: np.ndarray
    """Unit vector of ``MEMORY_DIMS`` float32 (see ``memory_vector``)."""
    model: str
    quality: float
    weight: float = 1.0
    difficulty: float = 0.0
    task_type: TaskType = TaskType.CHAT
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class NeighbourEvidence:
    """What similar past prompts say about one model."""

    quality: float
    """Similarity-weighted mean quality of the model on them."""
    weight: float
    """Effective evidence (sum of similarity weights)."""
    count: int
    """Neighbour outcomes of this model."""


def memory_vector(embedding: np.ndarray) -> np.ndarray:
    """The leading ``MEMORY_DIMS`` of an embedding, renormalised (the memory's search space)."""
    head = np.asarray(embedding[:MEMORY_DIMS], dtype=np.float32)
    norm = float(np.sqrt(head @ head))
    return head / norm if norm > 0 else head


def memory_vectors(outcomes: Sequence[Outcome]) -> np.ndarray:
    """``memory_vector`` of every outcome's embedding, as rows (one pass: 50,000 outcomes load at start)."""
    heads = np.stack([o.embedding[:MEMORY_DIMS] for o in outcomes]).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", heads, heads))[:, None]
    return np.divide(heads, norms, out=heads, where=norms > 0)


@dataclass(frozen=True, eq=False)
class OutcomeMemory:
    """An immutable snapshot of outcomes, searchable by similarity. Build with ``build``; grow with ``adding``."""

    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, MEMORY_DIMS), np.float32))
    model_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    qualities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    models: tuple[str, ...] = ()
    centroids: np.ndarray | None = None
    """Inverted-file index: cell centres (None: exact search)."""
    cells: tuple[np.ndarray, ...] = ()
    """Row indices of the outcomes in each cell."""
    indexed: int = 0
    """Rows covered by the index; later rows (the tail) are searched exactly."""
    cell_vectors: np.ndarray | None = None
    """The indexed rows' vectors in cell order, so a probed cell is a contiguous slice (gathering its
    rows by index was most of a search's time at 50,000 outcomes)."""
    cell_bounds: np.ndarray | None = None
    """Where each cell starts in ``cell_vectors`` (and ``cell_rows``); one more entry than cells."""
    cell_rows: np.ndarray | None = None
    """The row index of each entry of ``cell_vectors``."""

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @classmethod
    def build(cls, outcomes: Iterable[Outcome], *, index: bool = True, seed: int = 0) -> OutcomeMemory:
        """A memory of ``outcomes``, with an index when there are more than ``INDEX_FROM``."""
        items = list(outcomes)
        if not items:
            return cls()
        models = tuple(sorted({o.model for o in items}))
        at = {m: i for i, m in enumerate(models)}
        memory = cls(
            vectors=memory_vectors(items),
            model_ids=np.array([at[o.model] for o in items], np.int32),
            qualities=np.array([o.quality for o in items], np.float32),
            weights=np.array([o.weight for o in items], np.float32),
            models=models,
        )
        return memory.reindexed(seed=seed) if index and len(items) > INDEX_FROM else memory

    def adding(self, outcomes: Sequence[Outcome]) -> OutcomeMemory:
        """A new memory with ``outcomes`` appended to the exactly-searched tail (the index is kept)."""
        if not outcomes:
            return self
        models = list(self.models)
        at = {m: i for i, m in enumerate(models)}
        for o in outcomes:
            if o.model not in at:
                at[o.model] = len(models)
                models.append(o.model)
        return OutcomeMemory(
            vectors=np.concatenate([self.vectors, memory_vectors(outcomes)]),
            model_ids=np.concatenate([self.model_ids, np.array([at[o.model] for o in outcomes], np.int32)]),
            qualities=np.concatenate([self.qualities, np.array([o.quality for o in outcomes], np.float32)]),
            weights=np.concatenate([self.weights, np.array([o.weight for o in outcomes], np.float32)]),
            models=tuple(models), centroids=self.centroids, cells=self.cells, indexed=self.indexed,
            cell_vectors=self.cell_vectors, cell_bounds=self.cell_bounds, cell_rows=self.cell_rows,
        )

    @property
    def needs_reindex(self) -> bool:
        """The exactly-searched tail has grown past a quarter of the memory (and past ``INDEX_FROM``)."""
        tail = len(self) - self.indexed
        return len(self) > INDEX_FROM and tail > max(INDEX_FROM // 2, len(self) // 4)

    def reindexed(self, *, seed: int = 0, iterations: int = 4) -> OutcomeMemory:
        """The same outcomes with a fresh inverted-file index (k-means; run off the event loop)."""
        n = len(self)
        k = max(8, int(math.sqrt(n)))
        rng = np.random.default_rng(seed)
        centroids = self.vectors[rng.choice(n, size=k, replace=False)].copy()
        for _ in range(iterations):
            assign = np.argmax(self.vectors @ centroids.T, axis=1)
            for c in range(k):
                members = self.vectors[assign == c]
                if len(members):
                    centre = members.mean(axis=0)
                    norm = float(np.sqrt(centre @ centre))
                    if norm > 0:
                        centroids[c] = centre / norm
        assign = np.argmax(self.vectors @ centroids.T, axis=1)
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(k + 1))
        cells = tuple(order[bounds[c] : bounds[c + 1]].astype(np.int64) for c in range(k))
        return OutcomeMemory(self.vectors, self.model_ids, self.qualities, self.weights, self.models,
                             centroids=centroids.astype(np.float32), cells=cells, indexed=n,
                             cell_vectors=np.ascontiguousarray(self.vectors[order]), cell_bounds=bounds,
                             cell_rows=order.astype(np.int64))

    def neighbours(self, query: np.ndarray, *, k: int = K_NEIGHBOURS, min_similarity: float = MIN_SIMILARITY,
                   power: float = 1.0) -> dict[str, NeighbourEvidence]:
        """Per model, what the ``k`` most similar past prompts (above ``min_similarity``) say."""
        if not len(self):
            return {}
        q = memory_vector(query)
        if self.centroids is None or self.cell_vectors is None or self.cell_bounds is None or self.cell_rows is None:
            rows = None
            sims = self.vectors @ q
        else:
            n_cells = len(self.cells)
            probe = np.argpartition(self.centroids @ q, -_PROBE)[-_PROBE:] if n_cells > _PROBE else range(n_cells)
            spans = [(int(self.cell_bounds[c]), int(self.cell_bounds[c + 1])) for c in probe]
            sim_parts = [self.cell_vectors[a:b] @ q for a, b in spans]
            row_parts = [self.cell_rows[a:b] for a, b in spans]
            if self.indexed < len(self):
                sim_parts.append(self.vectors[self.indexed:] @ q)
                row_parts.append(np.arange(self.indexed, len(self), dtype=np.int64))
            sims = np.concatenate(sim_parts)
            rows = np.concatenate(row_parts)
        if sims.shape[0] > k:
            top = np.argpartition(sims, -k)[-k:]
        else:
            top = np.arange(sims.shape[0])
        top = top[sims[top] >= min_similarity]
        if not top.shape[0]:
            return {}
        picked = top if rows is None else rows[top]
        # Similarity weight: 0 at the threshold, 1 for the same prompt, times the outcome's own weight.
        w = ((sims[top] - min_similarity) / (1.0 - min_similarity)) ** power * self.weights[picked]
        # Per model in three passes (bincount) rather than a mask per model: ~10 models x 4 numpy calls was
        # a tenth of a decision when many neighbours spoke.
        ids = self.model_ids[picked]
        n_models = len(self.models)
        totals = np.bincount(ids, weights=w, minlength=n_models)
        sums = np.bincount(ids, weights=w * self.qualities[picked], minlength=n_models)
        counts = np.bincount(ids, minlength=n_models)
        return {
            self.models[mid]: NeighbourEvidence(quality=float(sums[mid] / totals[mid]), weight=float(totals[mid]),
                                                count=int(counts[mid]))
            for mid in np.flatnonzero(totals > 0).tolist()
        }


ONLINE_DIMS = 1 + 1 + len(_TASKS) + 16
"""Bias, difficulty, task type (one-hot), the 16 leading embedding dimensions."""


def online_features(difficulty: float, task_type: TaskType, embedding: np.ndarray | None) -> np.ndarray:
    """The online model's view of a request."""
    x = np.zeros(ONLINE_DIMS, np.float64)
    x[0] = 1.0
    x[1] = max(-4.0, min(4.0, difficulty)) / 2.0
    x[2 + _TASKS.index(task_type)] = 1.0
    if embedding is not None and embedding.shape[0] >= 16:
        # The leading dimensions of the memory vector, whatever was passed: outcomes come back from the
        # store as 64-dimension memory vectors, decisions pass the full embedding, and both must give
        # the same features (the head of a full unit vector is shorter than the renormalised one).
        x[2 + len(_TASKS):] = memory_vector(embedding)[:16] * 4.0
    return x


_TASK_COLUMN = {t: 2 + i for i, t in enumerate(_TASKS)}


def _feature_rows(outcomes: Sequence[Outcome]) -> np.ndarray:
    """``online_features`` of every outcome, as rows, in one pass."""
    n = len(outcomes)
    x = np.zeros((n, ONLINE_DIMS), np.float64)
    x[:, 0] = 1.0
    x[:, 1] = np.clip([o.difficulty for o in outcomes], -4.0, 4.0) / 2.0
    x[np.arange(n), [_TASK_COLUMN[o.task_type] for o in outcomes]] = 1.0
    x[:, 2 + len(_TASKS):] = memory_vectors(outcomes)[:, :16] * 4.0
    return x


@dataclass(frozen=True, eq=False)
class _Ridge:
    """Ridge regression in information form: ``A = λI + Σ w x xᵀ``, ``b = Σ w y x``, ``n`` outcomes."""

    A: np.ndarray
    b: np.ndarray
    n: float
    coef: np.ndarray


@dataclass(frozen=True, eq=False)
class OnlineModels:
    """Per model, a ridge regression of quality on ``online_features``; immutable, ``adding`` returns a new one."""

    ridges: Mapping[str, _Ridge] = field(default_factory=dict)
    ridge: float = 4.0
    """Regularisation: how many outcomes' worth of pull toward zero (toward the prior) each weight has."""

    def adding(self, outcomes: Iterable[Outcome]) -> OnlineModels:
        """A new set of models with ``outcomes`` folded in (closed form, no iterations)."""
        ridges = dict(self.ridges)
        grouped: dict[str, list[Outcome]] = {}
        for o in outcomes:
            grouped.setdefault(o.model, []).append(o)
        for model, items in grouped.items():
            old = ridges.get(model)
            A = old.A.copy() if old else np.eye(ONLINE_DIMS) * self.ridge
            b = old.b.copy() if old else np.zeros(ONLINE_DIMS)
            n = old.n if old else 0.0
            X = _feature_rows(items)
            w = np.array([o.weight for o in items])
            y = np.array([o.quality for o in items]) - 0.5
            A += (X * w[:, None]).T @ X
            b += X.T @ (w * y)
            n += float(w.sum())
            ridges[model] = _Ridge(A, b, n, np.linalg.solve(A, b))
        return OnlineModels(ridges, self.ridge)

    def predict(self, model: str, x: np.ndarray) -> tuple[float, float] | None:
        """(predicted quality, outcomes behind it) for ``model``, or None when it has none."""
        r = self.ridges.get(model)
        if r is None:
            return None
        return min(1.0, max(0.0, 0.5 + float(r.coef @ x))), r.n


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything learned from outcomes that a decision reads: the memory and the online models."""

    memory: OutcomeMemory = field(default_factory=OutcomeMemory)
    online: OnlineModels = field(default_factory=OnlineModels)

    def adding(self, outcomes: Sequence[Outcome]) -> Knowledge:
        """Both parts with ``outcomes`` learned."""
        if not outcomes:
            return self
        return Knowledge(self.memory.adding(outcomes), self.online.adding(outcomes))

    @classmethod
    def build(cls, outcomes: Sequence[Outcome]) -> Knowledge:
        """Both parts from scratch (at start, from the stored outcomes)."""
        return cls(OutcomeMemory.build(outcomes), OnlineModels().adding(outcomes))


NO_KNOWLEDGE = Knowledge()
