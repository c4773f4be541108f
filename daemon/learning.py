"""The routing matrix as live daemon state: loaded from the store, updated by quality signals,
persisted as a new version per change, and read by every decision.

Also the live latency of each model, from the attempts of recent traces, which the latency
policy reads. Both are plain in-memory values between store writes, so a decision never waits
on I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable

from daemon.router.matrix import QualitySignal, RoutingMatrix, apply_signals
from daemon.router.settings import RoutingSettings
from daemon.router.types import TaskType
from daemon.store import Store
from daemon.store.records import MatrixRow, TraceRecord

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
