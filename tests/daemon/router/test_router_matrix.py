"""The routing matrix: back-off to priors, signals, decay, versions and (de)serialisation."""

from __future__ import annotations

import tomllib

import pytest

from daemon.router.engine import decide
from daemon.router.matrix import (
    N_BANDS,
    MatrixCell,
    QualitySignal,
    RoutingMatrix,
    apply_signal,
    apply_signals,
    band_of,
    bands,
    dumps_toml,
)
from daemon.router.types import TaskType
from tests.daemon.router.router_fixtures import NO_EXPLORE, chat, cls, trio

DAY = 86_400.0


def _signal(model: str, score: float, at: float = 0.0, **kw: object) -> QualitySignal:
    return QualitySignal(task_type=TaskType.CHAT, complexity=0.5, model=model, score=score, at=at, **kw)  # type: ignore[arg-type]


def test_bands_cover_zero_to_one_without_gaps() -> None:
    assert [band_of(x) for x in (0.0, 0.09, 0.1, 0.55, 0.99, 1.0)] == [0, 0, 1, 5, N_BANDS - 1, N_BANDS - 1]
    assert len(bands()) == N_BANDS and bands()[0][1] == 0.0 and bands()[-1][2] == 1.0


def test_empty_matrix_returns_the_prior() -> None:
    est = RoutingMatrix().quality(TaskType.CHAT, 0.5, "m", prior=0.66)
    assert est.quality == pytest.approx(0.66) and est.evidence == 0.0


def test_thin_evidence_is_shrunk_toward_the_prior_and_thick_evidence_dominates() -> None:
    thin = apply_signal(RoutingMatrix(), _signal("m", 0.0))
    thick = apply_signals(RoutingMatrix(), [_signal("m", 0.0)] * 100)
    q_thin = thin.quality(TaskType.CHAT, 0.5, "m", prior=0.8).quality
    q_thick = thick.quality(TaskType.CHAT, 0.5, "m", prior=0.8).quality
    assert 0.3 < q_thin < 0.8
    assert q_thick < 0.05


def test_other_bands_of_the_same_task_inform_an_empty_cell() -> None:
    m = apply_signals(RoutingMatrix(), [_signal("m", 0.1)] * 50)  # band 2 only
    backed_off = m.quality(TaskType.CHAT, 0.95, "m", prior=0.8)
    assert backed_off.evidence == 0.0
    assert backed_off.quality < 0.3


def test_apply_signal_makes_a_new_version_and_leaves_the_old_one_unchanged() -> None:
    m0 = RoutingMatrix(version=3)
    m1 = apply_signal(m0, _signal("m", 1.0, latency_ms=200.0, cost_usd=0.001))
    assert m1.version == 4 and m0.cells == {}
    cell = m1.cell(TaskType.CHAT, 0.5, "m")
    assert cell is not None and cell.quality == 1.0 and cell.evidence == 1.0
    assert cell.latency_p50_ms == 200.0 and cell.mean_cost_usd == 0.001


def test_signal_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        apply_signal(RoutingMatrix(), _signal("m", 1.5))


def test_matrix_update_changes_a_later_decision() -> None:
    matrix = RoutingMatrix()
    first = decide(chat(), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert first.model == "sim-mid"
    # sim-nano turns out to be excellent at chat in this band; sim-mid poor.
    signals = [_signal("sim-nano", 0.95)] * 30 + [_signal("sim-mid", 0.3)] * 30
    learned = apply_signals(matrix, signals)
    second = decide(chat(), trio(), learned, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert second.model == "sim-nano"
    assert second.matrix_version == learned.version != first.matrix_version


def test_decay_lets_a_changed_model_be_noticed() -> None:
    good_then = apply_signals(RoutingMatrix(), [_signal("m", 1.0, at=0.0)] * 100, half_life_days=7.0)
    # Four weeks later the model was replaced behind the same name and fails.
    later = good_then
    for i in range(10):
        later = apply_signal(later, _signal("m", 0.0, at=28 * DAY + i), half_life_days=7.0)
    decayed = later.cell(TaskType.CHAT, 0.5, "m")
    assert decayed is not None and decayed.quality < 0.5
    # Without the time gap the same ten failures barely move a hundred successes.
    no_gap = good_then
    for i in range(10):
        no_gap = apply_signal(no_gap, _signal("m", 0.0, at=float(i)), half_life_days=7.0)
    cell = no_gap.cell(TaskType.CHAT, 0.5, "m")
    assert cell is not None and cell.quality > 0.85


def test_evidence_is_capped_so_a_busy_cell_keeps_moving() -> None:
    m = apply_signals(RoutingMatrix(), [_signal("m", 1.0)] * 1000, max_evidence=50.0)
    cell = m.cell(TaskType.CHAT, 0.5, "m")
    assert cell is not None and cell.evidence == pytest.approx(50.0)


def test_latency_quantiles_follow_a_slowdown() -> None:
    m = apply_signals(RoutingMatrix(), [_signal("m", 1.0, latency_ms=100.0)] * 20)
    slow = apply_signals(m, [_signal("m", 1.0, latency_ms=2000.0)] * 40)
    before, after = m.cell(TaskType.CHAT, 0.5, "m"), slow.cell(TaskType.CHAT, 0.5, "m")
    assert before is not None and after is not None
    assert after.latency_p95_ms is not None and before.latency_p95_ms is not None
    assert after.latency_p95_ms > 5 * before.latency_p95_ms


def test_rows_dict_and_toml_roundtrip() -> None:
    m = apply_signal(RoutingMatrix(version=1), _signal("m", 0.7, at=5.0, latency_ms=300.0))
    m = m.with_cell(TaskType.MATH, 4, "n", MatrixCell(quality=0.4, evidence=3.0))
    assert RoutingMatrix.from_rows(m.to_rows(), version=m.version) == m
    assert RoutingMatrix.from_dict(m.to_dict()) == m
    parsed = tomllib.loads(dumps_toml(m))
    assert RoutingMatrix.from_dict(parsed) == m
    assert "mean_cost_usd" not in parsed["cells"][1]


def test_import_refuses_bad_rows() -> None:
    with pytest.raises(ValueError):
        RoutingMatrix.from_rows([{"task_type": "chat", "band": N_BANDS, "model": "m", "quality": 0.5}])
    with pytest.raises(ValueError):
        RoutingMatrix.from_rows([{"task_type": "poetry", "band": 1, "model": "m", "quality": 0.5}])
