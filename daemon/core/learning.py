"""What the daemon learns, as live state: loaded from the store, updated by quality signals, read
by every decision.

- ``MatrixState``: the routing matrix, persisted as a new version per change.
- ``KnowledgeState``: the router's outcome memory and online models (``daemon.router.memory``),
  built from the stored outcomes at start and extended with every new outcome; every quality
  signal on a trace that kept its ask's vector becomes one.
- ``LatencyTracker``: the live latency of each model, from the attempts of recent traces, which the
  latency policy reads.

All are plain in-memory values between store writes, so a decision never waits on I/O.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np

from daemon.router.difficulty import difficulty_of
from daemon.router.embedding import MEMORY_DIMS
from daemon.router.matrix import QualitySignal, RoutingMatrix, apply_signals
from daemon.router.memory import (
    INDEX_FROM,
    NO_KNOWLEDGE,
    Knowledge,
    OnlineModels,
    Outcome,
    OutcomeMemory,
)
from daemon.router.settings import RoutingSettings
from daemon.router.types import TaskType
from daemon.store import Store
from daemon.store.records import MatrixRow, OutcomeRecord, TraceRecord

log = logging.getLogger("switchboard.learning")

_LATENCY_WINDOW = 50
"""Latest successful attempts kept per model for live p50/p95."""


class MatrixState:
    """The current routing matrix; ``apply`` folds signals in and stores one new version."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.matrix = RoutingMatrix()
        self._lock = asyncio.Lock()
        self.on_version: list = []

    async def load(self) -> None:
        """Read the stored matrix (called at start and when another daemon published a new version)."""
        version, rows = await self._store.load_matrix()
        self.matrix = RoutingMatrix.from_rows([r.__dict__ for r in rows], version=version)

    async def apply(self, signals: Iterable[QualitySignal], settings: RoutingSettings, *, source: str) -> int:
        """Fold quality signals into the matrix and persist the changed cells as a new version."""
        signals = list(signals)
        if not signals:
            return self.matrix.version

        def fold(version: int, cells: list[MatrixRow]) -> list[MatrixRow]:
            # Runs inside the store's write transaction on the stored cells, so evidence folded in by
            # another daemon sharing a team store at the same moment is never lost.
            current = RoutingMatrix.from_rows([c.__dict__ for c in cells], version=version)
            updated = apply_signals(
                current, signals, half_life_days=settings.decay_half_life_days, max_evidence=settings.max_evidence
            )
            return [MatrixRow(**row) for row in updated.to_rows() if _changed(current, row)]

        async with self._lock:
            version, cells = await self._store.update_matrix(fold, source=source)
            self.matrix = RoutingMatrix.from_rows([c.__dict__ for c in cells], version=version)
        for callback in self.on_version:
            callback(version)
        return version

    async def replace(self, matrix: RoutingMatrix, *, source: str, note: str | None = None) -> int:
        """Import a whole matrix (``switchboard matrix import``) as one new version."""
        async with self._lock:
            rows = [MatrixRow(**row) for row in matrix.to_rows()]
            # The imported document is the whole matrix: a cell deleted from the file is gone.
            version = await self._store.save_matrix_cells(rows, source=source, note=note, replace=True)
            self.matrix = RoutingMatrix(version=version, cells=dict(matrix.cells))
        for callback in self.on_version:
            callback(version)
        return version


# -- the outcome memory ------------------------------------------------------------------------------

_VECTOR_BYTES = MEMORY_DIMS * 2
_SLACK = 1.25
"""The live memory may exceed ``max_outcomes`` by this factor before it is trimmed (with a re-index)."""
REINDEX_TAIL = 1024
"""Outcomes learned since the last index (searched exactly, every decision) that trigger a new one: a
re-index costs ~0.3 s of CPU in a thread at 50,000 outcomes, a 12,000-row tail (the memory's own
``needs_reindex`` bound there) would cost every decision ~0.3 ms."""


def pack_vector(embedding: np.ndarray) -> bytes:
    """An ask's embedding as traces and outcomes keep it: its leading ``MEMORY_DIMS`` as float16 (every
    reader renormalises them into the memory vector; not doing it here keeps it off every request)."""
    return np.asarray(embedding[:MEMORY_DIMS], dtype="<f2").tobytes()


def unpack_vector(data: bytes) -> np.ndarray:
    """A stored memory vector as float32."""
    return np.frombuffer(data, "<f2").astype(np.float32)


def outcomes_from(
    signals: Iterable[QualitySignal],
    *,
    trace_id: str | None,
    embedding: bytes | np.ndarray | None,
    difficulty: float | None,
    source: str | None = None,
) -> list[OutcomeRecord]:
    """The outcomes quality signals on one request teach: none when the request kept no vector (traces
    recorded before the embedder, or without it). ``source`` names the signal's origin when the
    matrix's coarser source does not (a person's verdict, a review, a shadow comparison)."""
    if embedding is None:
        return []
    vector = embedding if isinstance(embedding, bytes) else pack_vector(embedding)
    if len(vector) != _VECTOR_BYTES:
        return []
    now = time.time()
    return [
        OutcomeRecord(
            model=s.model, quality=min(1.0, max(0.0, s.score)), weight=s.weight, source=source or s.source,
            task_type=str(s.task_type), difficulty=difficulty if difficulty is not None else difficulty_of(s.complexity),
            embedding=vector, created_at=s.at or now, trace_id=trace_id,
        )
        for s in signals
        if s.model and s.weight > 0
    ]


_TASK_TYPES = {str(t): t for t in TaskType}


def _outcomes(records: Sequence[OutcomeRecord]) -> list[Outcome]:
    """The router's view of stored outcomes (rows another version of Switchboard wrote, with a vector or
    task type this one cannot read, are left out); the vectors are unpacked in one pass."""
    readable = [r for r in records if len(r.embedding) == _VECTOR_BYTES and r.task_type in _TASK_TYPES]
    if not readable:
        return []
    vectors = np.frombuffer(b"".join(r.embedding for r in readable), "<f2").reshape(-1, MEMORY_DIMS).astype(np.float32)
    return [Outcome(vectors[i], r.model, r.quality, r.weight, r.difficulty, _TASK_TYPES[r.task_type], r.created_at)
            for i, r in enumerate(readable)]


def _newest(memory: OutcomeMemory, count: int) -> OutcomeMemory:
    """The newest ``count`` outcomes of a memory, unindexed (the online models keep what they learned)."""
    return OutcomeMemory(memory.vectors[-count:], memory.model_ids[-count:], memory.qualities[-count:],
                         memory.weights[-count:], memory.models)


def _tidied(memory: OutcomeMemory, max_outcomes: int) -> OutcomeMemory:
    """Trimmed to ``max_outcomes`` when past the slack, and re-indexed (seconds of numpy: off the loop)."""
    if len(memory) > max_outcomes:
        memory = _newest(memory, max_outcomes)
    return memory.reindexed() if len(memory) > INDEX_FROM else memory


def _unindexed(outcomes: Sequence[Outcome]) -> Knowledge:
    return Knowledge(OutcomeMemory.build(outcomes, index=False), OnlineModels().adding(outcomes))


class KnowledgeState:
    """The router's knowledge from outcomes as live state: ``current`` is an immutable ``Knowledge``
    that decisions read without waiting; ``learn`` stores outcomes and replaces it with one that
    knows them; ``run`` keeps the memory's index fresh and its size bounded, off the event loop."""

    def __init__(self, store: Store, max_outcomes: int = 50_000) -> None:
        self._store = store
        self.max_outcomes = max_outcomes
        self.current: Knowledge = NO_KNOWLEDGE
        self._lock = asyncio.Lock()
        """Held while ``current`` is being replaced, so no outcome learned meanwhile is lost."""
        self._upkeep = asyncio.Event()
        self.reindexed = 0
        """Index rebuilds since start (for status and tests)."""

    async def load(self) -> int:
        """Build the knowledge from the newest stored outcomes (at start); returns how many."""
        records = await self._store.load_outcomes(self.max_outcomes)
        outcomes = _outcomes(records)
        if len(outcomes) < len(records):
            log.warning("skipped %d stored outcomes this version cannot read", len(records) - len(outcomes))
        async with self._lock:
            # Unindexed (exact search) at first: the index follows in the background (``run``), so a
            # daemon with 50,000 outcomes is not kept from starting by a second of k-means.
            self.current = await asyncio.to_thread(_unindexed, outcomes)
        if self._needs_upkeep():
            self._upkeep.set()
        return len(outcomes)

    async def learn(self, records: Sequence[OutcomeRecord]) -> None:
        """Store outcomes and learn them: the next decision reads them."""
        if not records:
            return
        await self._store.add_outcomes(records)
        outcomes = _outcomes(records)
        async with self._lock:
            # A copy of the memory's arrays (~13 MB at 50,000 outcomes): in a thread, not on the loop.
            self.current = await asyncio.to_thread(self.current.adding, outcomes)
        if self._needs_upkeep():
            self._upkeep.set()

    def _needs_upkeep(self) -> bool:
        memory = self.current.memory
        tail = len(memory) - memory.indexed
        return (len(memory) > INDEX_FROM and tail > REINDEX_TAIL) or len(memory) > self.max_outcomes * _SLACK

    async def run(self) -> None:
        """Re-index and trim the memory whenever it needs it (runs until cancelled)."""
        while True:
            await self._upkeep.wait()
            self._upkeep.clear()
            await self.tidy()

    async def tidy(self) -> None:
        """Re-index (and trim) the memory now, if it needs it."""
        async with self._lock:
            if not self._needs_upkeep():
                return
            knowledge = self.current
            memory = await asyncio.to_thread(_tidied, knowledge.memory, self.max_outcomes)
            self.current = Knowledge(memory, knowledge.online)
            self.reindexed += 1


class LatencyTracker:
    """Live latency per model from recent successful attempts (time to first token when known)."""

    def __init__(self) -> None:
        self._samples: dict[str, deque[float]] = {}
        self._percentiles: dict[str, tuple[float | None, float | None]] = {}
        self.updated_at: dict[str, float] = {}
        self.version = 0
        """Bumped when a model's p50 or p95 moves by more than a tenth, so callers can cache what they
        derive from the percentiles (in steady state they hardly move)."""

    def observe(self, model: str, latency_ms: float) -> None:
        """Record one observation."""
        self._samples.setdefault(model, deque(maxlen=_LATENCY_WINDOW)).append(latency_ms)
        before = self._percentiles.pop(model, (None, None))
        after = self.percentiles(model)
        self.updated_at[model] = time.time()
        if any(_moved(b, a) for b, a in zip(before, after, strict=True)):
            self.version += 1

    def observe_trace(self, trace: TraceRecord) -> None:
        """Feed every successful attempt of a finished trace."""
        for attempt in trace.attempts:
            if attempt.status == "ok":
                self.observe(attempt.model, attempt.ttft_ms if attempt.ttft_ms is not None else attempt.latency_ms)

    def percentiles(self, model: str) -> tuple[float | None, float | None]:
        """(p50, p95) in ms, or (None, None) before any observation."""
        cached = self._percentiles.get(model)
        if cached is not None:
            return cached
        samples = self._samples.get(model)
        if not samples:
            return None, None
        ordered = sorted(samples)
        cached = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        self._percentiles[model] = cached
        return cached


def _changed(matrix: RoutingMatrix, row: dict) -> bool:
    old = matrix.cells.get((TaskType(row["task_type"]), row["band"], row["model"]))
    return old is None or old.quality != row["quality"] or old.evidence != row["evidence"]


def _moved(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return before is not after
    return abs(after - before) > 0.1 * max(before, 1.0)
