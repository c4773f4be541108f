"""Predicted quality per (request, model): a prior from difficulty and ability, then the evidence.

**The prior** is an item-response model. A request has a difficulty ``d`` (``daemon.router.difficulty``)
and a model an ability ``θ``; the prior quality is ``σ(a · (θ − d))``. A model's ability comes from
its ``quality`` hint in the config, else its tier's prior (``[routing] tier_priors``), read as "the
quality this model gets on a middling request" (difficulty 0, complexity 0.5). So easy requests
are served well by every tier and the gap between tiers opens as requests get harder: a
cheap model is predicted close to a frontier one on "say hello" and far below it on a proof.

**The evidence**, from general to specific, each level pulled toward the one before by how much
evidence it has (``prior_strength`` outcomes' worth for the level before):

1. the routing matrix (task type × complexity band, backing off to the model's task and overall
   record): the explainable summary a person can read and edit;
2. the model's online regression over the request's features, once it has seen outcomes;
3. the outcomes of the most similar past prompts (``daemon.router.memory``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from daemon.router.matrix import MatrixCell, RoutingMatrix
from daemon.router.memory import Knowledge, NeighbourEvidence, online_features
from daemon.router.settings import RoutingSettings
from daemon.router.types import Candidate, Classification

_ONLINE_SHARE = 0.5
"""The online model counts for half its outcomes: it generalises, so it is less sure than a neighbour."""


def ability(candidate: Candidate, settings: RoutingSettings) -> float:
    """The model's ability θ: its quality on a middling request, on the logit scale over discrimination."""
    base = candidate.quality_prior if candidate.quality_prior is not None else settings.tier_priors[candidate.tier]
    base = min(0.995, max(0.005, base))
    return math.log(base / (1.0 - base)) / settings.discrimination


def prior_quality(candidate: Candidate, difficulty: float, settings: RoutingSettings) -> float:
    """The prior: ``σ(a · (θ − d))`` for this model on a request of this difficulty."""
    z = settings.discrimination * (ability(candidate, settings) - difficulty)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(slots=True)
class Estimate:
    """One candidate's predicted quality and what it rests on."""

    quality: float
    evidence: float
    """Outcomes' worth of evidence behind it (0: the prior alone)."""
    cell: MatrixCell | None
    neighbours: NeighbourEvidence | None = None


def _blend(base: float, observed: float, weight: float, strength: float) -> float:
    return (strength * base + weight * observed) / (strength + weight)


def estimate(
    candidates: Sequence[Candidate],
    cls: Classification,
    matrix: RoutingMatrix,
    knowledge: Knowledge,
    settings: RoutingSettings,
) -> list[Estimate]:
    """The predicted quality of every candidate for this request, in order."""
    difficulty = cls.difficulty
    strength = settings.prior_strength
    priors = [(c.name, prior_quality(c, difficulty, settings)) for c in candidates]
    from_matrix = matrix.qualities(cls.task_type, cls.complexity, priors, prior_strength=strength)
    out = [Estimate(q, evidence, cell) for q, evidence, cell in from_matrix]
    embedding = cls.embedding
    online = knowledge.online
    if online.ridges:
        x = online_features(difficulty, cls.task_type, embedding)
        for cand, est in zip(candidates, out, strict=True):
            predicted = online.predict(cand.name, x)
            if predicted is not None:
                quality, n = predicted
                weight = n * _ONLINE_SHARE
                est.quality = _blend(est.quality, quality, weight, strength)
                est.evidence = max(est.evidence, weight)
    if embedding is not None and len(knowledge.memory):
        near: Mapping[str, NeighbourEvidence] = knowledge.memory.neighbours(embedding)
        if near:
            for cand, est in zip(candidates, out, strict=True):
                found = near.get(cand.name)
                if found is not None:
                    est.quality = _blend(est.quality, found.quality, found.weight, strength)
                    est.evidence += found.weight
                    est.neighbours = found
    return out


def evidence_note(names: Sequence[str], estimates: Sequence[Estimate], limit: int = 3) -> str:
    """"12 similar past outcomes: sim-pro 0.83, sim-nano 0.41", or "" when no neighbour spoke."""
    found = [(n, e.neighbours) for n, e in zip(names, estimates, strict=True) if e.neighbours is not None]
    if not found:
        return ""
    found.sort(key=lambda item: -item[1].weight)  # type: ignore[union-attr]
    count = sum(nb.count for _, nb in found)  # type: ignore[union-attr]
    shown = ", ".join(f"{n} {nb.quality:.2f}" for n, nb in found[:limit])  # type: ignore[union-attr]
    return f"{count} similar past outcome{'' if count == 1 else 's'}: {shown}"


def as_array(embedding: object) -> np.ndarray | None:
    """An embedding as a float32 array (None stays None)."""
    return None if embedding is None else np.asarray(embedding, dtype=np.float32)
