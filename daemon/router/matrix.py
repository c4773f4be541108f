"""The routing matrix: (task type, complexity band, model) -> what we know about that model there.

A ``RoutingMatrix`` is an immutable, versioned value. ``apply_signal`` returns a new version with one
cell updated; the store persists ``to_rows()`` and rebuilds with ``from_rows``. Quality lookups back
off from the cell to the model's other bands of the task type, then to its overall record, then to
the prior (tier prior or the model's ``quality`` hint), so a thin cell never swings a decision alone.

Decay: when a cell gets a new signal, its old evidence is discounted by ``0.5 ** (age / half_life)``
and capped at ``max_evidence``, so a model that changes (a new release behind the same name) is
noticed within a few dozen outcomes instead of never.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from daemon.router.types import TaskType

N_BANDS = 10
"""Complexity bands of width 0.1: [0, .1), [.1, .2), ... [.9, 1]. Ten, not five: on routing-tune a
held-out fifth of train routed better with ten (hard math, science and logic puzzles sit in
different upper bands and want different models), and thin cells back off to their task type."""

SignalSource = Literal["editor", "agent", "consensus", "verifier", "judge", "benchmark"]
CellKey = tuple[TaskType, int, str]

_DAY_S = 86_400.0


def band_of(complexity: float) -> int:
    """The band index (0..N_BANDS-1) of a complexity in [0, 1]."""
    return min(N_BANDS - 1, max(0, int(complexity * N_BANDS)))


def bands() -> list[tuple[int, float, float]]:
    """Every band as (index, low, high) for display and export."""
    return [(i, i / N_BANDS, (i + 1) / N_BANDS) for i in range(N_BANDS)]


def band_label(band: int) -> str:
    """A band as people read it: ``0.4-0.5``."""
    return f"{band / N_BANDS:.1f}-{(band + 1) / N_BANDS:.1f}"


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """What the matrix knows about one model on one (task type, band)."""

    quality: float
    evidence: float = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    mean_cost_usd: float | None = None
    updated_at: float = 0.0
    """Unix time of the last signal (decay is measured from here)."""


@dataclass(frozen=True, slots=True)
class QualitySignal:
    """One outcome: how well ``model`` did on a request of this task type and complexity."""

    task_type: TaskType
    complexity: float
    model: str
    score: float
    """Quality in [0, 1] (accepted edit 1, rejected 0, judge grade scaled, ...)."""
    weight: float = 1.0
    source: SignalSource = "judge"
    at: float = 0.0
    """Unix time of the outcome."""
    latency_ms: float | None = None
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class QualityEstimate:
    """A looked-up quality with the evidence behind it (0 means prior only)."""

    quality: float
    evidence: float
    cell: MatrixCell | None


@dataclass(frozen=True)
class RoutingMatrix:
    """Versioned, immutable (task type, band, model) -> ``MatrixCell`` table with backed-off lookups."""

    version: int = 0
    cells: Mapping[CellKey, MatrixCell] = field(default_factory=dict)
    _by_task_model: dict[tuple[TaskType, str], tuple[float, float]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_model: dict[str, tuple[float, float]] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Precompute evidence-weighted aggregates once per version so a lookup is a few dict reads.
        tm: dict[tuple[TaskType, str], list[float]] = {}
        mm: dict[str, list[float]] = {}
        for (task, _band, model), cell in self.cells.items():
            for acc in (tm.setdefault((task, model), [0.0, 0.0]), mm.setdefault(model, [0.0, 0.0])):
                acc[0] += cell.quality * cell.evidence
                acc[1] += cell.evidence
        for key, (s, n) in tm.items():
            if n > 0:
                self._by_task_model[key] = (s / n, n)
        for key, (s, n) in mm.items():
            if n > 0:
                self._by_model[key] = (s / n, n)

    def cell(self, task_type: TaskType, complexity: float, model: str) -> MatrixCell | None:
        """The raw cell for a request's task type and complexity, if any."""
        return self.cells.get((task_type, band_of(complexity), model))

    def quality(
        self, task_type: TaskType, complexity: float, model: str, prior: float, *, prior_strength: float = 4.0
    ) -> QualityEstimate:
        """Quality of ``model`` here, shrunk toward coarser levels and finally ``prior`` when evidence is thin."""
        q, evidence, cell = self.qualities(task_type, complexity, [(model, prior)], prior_strength=prior_strength)[0]
        return QualityEstimate(quality=q, evidence=evidence, cell=cell)

    def qualities(
        self, task_type: TaskType, complexity: float, priors: Iterable[tuple[str, float]], *, prior_strength: float = 4.0
    ) -> list[tuple[float, float, MatrixCell | None]]:
        """``quality`` for many (model, prior) pairs at once: (quality, evidence, cell) per model, in order.

        The band and lookups are hoisted out of the loop: this is the per-request hot path.
        """
        # Hierarchical back-off: prior -> model overall -> model on this task type -> this cell.
        # Each level is blended with the one above it, weighted by its own evidence vs prior_strength;
        # another task's record may at most match the prior's weight, however much of it there is.
        cells = self.cells
        if not cells:
            # An empty matrix (a fresh install) has no evidence anywhere: every model keeps its prior.
            return [(prior, 0.0, None) for _, prior in priors]
        band = band_of(complexity)
        by_model, by_task_model = self._by_model, self._by_task_model
        out = []
        for model, prior in priors:
            estimate = prior
            overall = by_model.get(model)
            if overall:
                estimate = _blend(estimate, overall[0], min(overall[1], prior_strength), prior_strength)
            task = by_task_model.get((task_type, model))
            if task:
                estimate = _blend(estimate, task[0], task[1], prior_strength)
            cell = cells.get((task_type, band, model))
            if cell is not None and cell.evidence > 0:
                out.append((_blend(estimate, cell.quality, cell.evidence, prior_strength), cell.evidence, cell))
            else:
                out.append((estimate, 0.0, cell))
        return out

    def with_cell(self, task_type: TaskType, band: int, model: str, cell: MatrixCell) -> RoutingMatrix:
        """A new version with one cell set (``matrix import`` and manual edits)."""
        cells = dict(self.cells)
        cells[(TaskType(task_type), int(band), model)] = cell
        return RoutingMatrix(version=self.version + 1, cells=cells)

    def models(self) -> list[str]:
        """Models that have at least one cell."""
        return sorted(self._by_model.keys() | {m for (_, _, m) in self.cells})

    def to_rows(self) -> list[dict[str, Any]]:
        """Cells as plain rows (the store's table), sorted for stable output."""
        rows = []
        for (task, band, model), c in sorted(self.cells.items(), key=lambda kv: (kv[0][0].value, kv[0][1], kv[0][2])):
            rows.append(
                {
                    "task_type": task.value,
                    "band": band,
                    "model": model,
                    "quality": c.quality,
                    "evidence": c.evidence,
                    "latency_p50_ms": c.latency_p50_ms,
                    "latency_p95_ms": c.latency_p95_ms,
                    "mean_cost_usd": c.mean_cost_usd,
                    "updated_at": c.updated_at,
                }
            )
        return rows

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], *, version: int = 0) -> RoutingMatrix:
        """Rebuild from rows (missing optional fields are None/0; unknown task types raise ValueError)."""
        cells: dict[CellKey, MatrixCell] = {}
        for row in rows:
            band = int(row["band"])
            if not 0 <= band < N_BANDS:
                raise ValueError(f"band {band} is outside 0..{N_BANDS - 1}")
            quality = float(row["quality"])
            if not 0.0 <= quality <= 1.0:
                raise ValueError(f"quality {quality} of {row['model']} is outside [0, 1]")
            cells[(TaskType(row["task_type"]), band, str(row["model"]))] = MatrixCell(
                quality=quality,
                evidence=float(row.get("evidence") or 0.0),
                latency_p50_ms=_opt_float(row.get("latency_p50_ms")),
                latency_p95_ms=_opt_float(row.get("latency_p95_ms")),
                mean_cost_usd=_opt_float(row.get("mean_cost_usd")),
                updated_at=float(row.get("updated_at") or 0.0),
            )
        return cls(version=version, cells=cells)

    def to_dict(self) -> dict[str, Any]:
        """``{"version", "cells": [rows]}`` with None kept (JSON)."""
        return {"version": self.version, "cells": self.to_rows()}

    def to_toml_dict(self) -> dict[str, Any]:
        """Like ``to_dict`` but without None values, which TOML cannot hold (``[[cells]]`` tables)."""
        return {
            "version": self.version,
            "cells": [{k: v for k, v in row.items() if v is not None} for row in self.to_rows()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingMatrix:
        """Inverse of ``to_dict`` / ``to_toml_dict``."""
        return cls.from_rows(data.get("cells", []), version=int(data.get("version", 0)))


def apply_signal(
    matrix: RoutingMatrix,
    signal: QualitySignal,
    *,
    half_life_days: float = 14.0,
    max_evidence: float = 200.0,
) -> RoutingMatrix:
    """A new matrix version with ``signal`` folded into its cell (decayed running mean)."""
    if not 0.0 <= signal.score <= 1.0:
        raise ValueError(f"quality score {signal.score} is outside [0, 1]")
    task = TaskType(signal.task_type)
    key: CellKey = (task, band_of(signal.complexity), signal.model)
    old = matrix.cells.get(key)
    cells = dict(matrix.cells)
    cells[key] = _updated_cell(old, signal, half_life_days * _DAY_S, max_evidence)
    return RoutingMatrix(version=matrix.version + 1, cells=cells)


def apply_signals(matrix: RoutingMatrix, signals: Iterable[QualitySignal], **kwargs: float) -> RoutingMatrix:
    """Fold many signals, producing one new version (a bulk load is one change, not thousands)."""
    cells = dict(matrix.cells)
    half_life_s = kwargs.get("half_life_days", 14.0) * _DAY_S
    max_evidence = kwargs.get("max_evidence", 200.0)
    for signal in signals:
        key: CellKey = (TaskType(signal.task_type), band_of(signal.complexity), signal.model)
        cells[key] = _updated_cell(cells.get(key), signal, half_life_s, max_evidence)
    return RoutingMatrix(version=matrix.version + 1, cells=cells)


def _updated_cell(old: MatrixCell | None, s: QualitySignal, half_life_s: float, max_evidence: float) -> MatrixCell:
    if old is None or old.evidence <= 0:
        return MatrixCell(
            quality=s.score,
            evidence=min(s.weight, max_evidence),
            latency_p50_ms=s.latency_ms,
            latency_p95_ms=s.latency_ms,
            mean_cost_usd=s.cost_usd,
            updated_at=s.at,
        )
    age = max(0.0, s.at - old.updated_at)
    kept = min(old.evidence * 0.5 ** (age / half_life_s), max_evidence - s.weight) if half_life_s > 0 else 0.0
    kept = max(kept, 0.0)
    total = kept + s.weight
    quality = (old.quality * kept + s.score * s.weight) / total if total > 0 else old.quality
    p50, p95 = _latency(old, s.latency_ms)
    cost = old.mean_cost_usd
    if s.cost_usd is not None:
        cost = s.cost_usd if cost is None else (cost * kept + s.cost_usd * s.weight) / total
    return MatrixCell(
        quality=min(1.0, max(0.0, quality)),
        evidence=total,
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        mean_cost_usd=cost,
        updated_at=max(old.updated_at, s.at),
    )


def _latency(old: MatrixCell, x: float | None) -> tuple[float | None, float | None]:
    # Streaming quantile estimates (no sample buffer in a value type): p50 moves symmetrically,
    # p95 moves up 19x faster than down so it settles where 5% of calls are above it.
    if x is None:
        return old.latency_p50_ms, old.latency_p95_ms
    if old.latency_p50_ms is None or old.latency_p95_ms is None:
        return x, x
    p50 = old.latency_p50_ms + 0.1 * math.copysign(min(abs(x - old.latency_p50_ms), old.latency_p50_ms), x - old.latency_p50_ms)
    step = 0.05 * max(old.latency_p95_ms, 1.0)
    p95 = old.latency_p95_ms + (19 * step if x > old.latency_p95_ms else -step)
    return p50, max(p95, p50)


def _blend(prior: float, observed: float, evidence: float, strength: float) -> float:
    return (prior * strength + observed * evidence) / (strength + evidence) if strength + evidence > 0 else prior


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def dumps_toml(matrix: RoutingMatrix) -> str:
    """The matrix as a TOML document (``switchboard matrix export``); ``tomllib`` reads it back."""
    data = matrix.to_toml_dict()
    lines = [
        "# Switchboard routing matrix. Edit quality (0-1) or evidence, then `switchboard matrix import FILE`.",
        f"# Bands: {', '.join(band_label(b) for b, _, _ in bands())} (index 0..{N_BANDS - 1}).",
        f"version = {data['version']}",
        "",
    ]
    for row in data["cells"]:
        lines.append("[[cells]]")
        for key, value in row.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "0.0"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


__all__ = [
    "N_BANDS",
    "MatrixCell",
    "QualityEstimate",
    "QualitySignal",
    "RoutingMatrix",
    "apply_signal",
    "apply_signals",
    "band_label",
    "band_of",
    "bands",
    "dumps_toml",
]
