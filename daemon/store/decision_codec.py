"""The routing decision as a trace stores it: compact on disk, the same dict to every reader.

A decision (``Decision.to_dict()``) was 2.7 KB of a 3.5 KB trace row: every configured model's nine
keys spelled out, most of them null for a model the request could not use, and six fields the trace
row already has in its own columns. ``pack`` writes it as ``{"v": 2, ...}``: the fields the columns
hold are left out when they agree with them (the decision's reason, when the trace's goes on from
it, is kept as its length), a candidate is a short list, a ruled-out model is ``[model, tier, reason]``
without its predictions (which no decision used), each ruled-out reason is written once, predicted
costs keep 4 significant digits, tiers are a letter, and falses and empties are left out. ``unpack``
gives back a dict of the same shape, equal to the one ``pack`` was given but for those dropped
predictions and digits, so ``switchboard traces``/``explain``, ``/api/traces``, the TUI and the report
read what they always read. A decision of another shape, or a row written
before this (no ``"v"``), is stored and read as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.store.records import TraceRecord

VERSION = 2

_FIELDS = frozenset({
    "model", "fallbacks", "policy", "policy_kind", "matrix_version", "task_type", "complexity", "features",
    "drivers", "reason", "stepped_down", "explored", "escalation", "consensus_models", "tiebreaker", "candidates",
})
_CANDIDATE_FIELDS = frozenset({
    "model", "tier", "predicted_quality", "predicted_latency_ms", "predicted_cost_usd", "eligible",
    "excluded_reason", "score", "evidence",
})
_TIERS = {"small": "s", "medium": "m", "frontier": "f"}
_TIER_NAMES = {v: k for k, v in _TIERS.items()}
_FEATURES = (
    "bias", "log_chars", "log_material", "words", "lines", "code_blocks", "code_lines", "files", "symbols",
    "ends_with_code", "list_items", "question", "question_mark", "choices", "digits", "math_symbols", "math", "edit",
    "explain", "prose", "data", "extract", "reasoning", "scope", "constraint", "depth", "debug", "trivial",
    "tool_trace", "turns", "log_context_tokens", "system", "tools", "log_max_output", "json", "fim", "surface_lsp",
    "surface_mcp", "semantic",
)
"""The router's feature names (``daemon.router.features``), each stored as its position here ("1" for
log_chars). Append, never reorder or remove: stored rows keep their codes. A name not here is kept
as it is (feature names are never numbers)."""
_FEATURE_CODE = {name: str(i) for i, name in enumerate(_FEATURES)}
_COLUMNS = ("model", "policy", "matrix_version", "task_type", "complexity", "reason")
"""Decision fields the trace row also has, as ``columns`` passes them in."""
_COMPACT = frozenset({"v", "pk", "fb", "f", "dr", "sd", "ex", "es", "cm", "tb", "c", "xr", "rp", *_COLUMNS})
_OPTIONAL = (("stepped_down", "sd", False), ("explored", "ex", False), ("consensus_models", "cm", []),
             ("tiebreaker", "tb", None), ("fallbacks", "fb", []))


def columns_of(*, chosen_model: str | None, policy: str | None, matrix_version: int | None, task_type: str | None,
               complexity: float | None, reason: str | None, **_others: Any) -> dict[str, Any]:
    """The trace row's columns a stored decision may leave out (complexity as the decision rounds it);
    other columns of the row are ignored."""
    return {"model": chosen_model, "policy": policy, "matrix_version": matrix_version, "task_type": task_type,
            "complexity": None if complexity is None else round(complexity, 4), "reason": reason}


def columns_of_trace(t: TraceRecord) -> dict[str, Any]:
    """``columns_of`` a trace record."""
    return columns_of(chosen_model=t.chosen_model, policy=t.policy, matrix_version=t.matrix_version,
                      task_type=t.task_type, complexity=t.complexity, reason=t.reason)


def pack(decision: Mapping[str, Any], columns: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stored form of a decision (itself when it is not of ``Decision.to_dict``'s shape)."""
    candidates = decision.get("candidates")
    if not _FIELDS <= decision.keys() or not isinstance(candidates, list) or _COMPACT & (decision.keys() - _FIELDS):
        return decision
    reasons: list[str] = []
    rows = []
    for c in candidates:
        row = _pack_candidate(c, reasons)
        if row is None:
            return decision
        rows.append(row)
    escalation = decision["escalation"]
    if escalation is not None and (not isinstance(escalation, dict) or escalation.keys() != {"model", "confidence_threshold"}):
        return decision
    features, drivers = decision["features"], decision["drivers"]
    if not isinstance(features, dict) or any(k.isdigit() for k in features) or not isinstance(drivers, list) or not all(
            isinstance(d, list) and len(d) == 2 and isinstance(d[0], str) and not d[0].isdigit() for d in drivers):
        return decision
    out: dict[str, Any] = {"v": VERSION, "pk": decision["policy_kind"],
                           "f": {_FEATURE_CODE.get(k, k): v for k, v in features.items()},
                           "dr": [[_FEATURE_CODE.get(name, name), value] for name, value in drivers], "c": rows}
    if reasons:
        out["xr"] = reasons
    if escalation is not None:
        out["es"] = [escalation["model"], escalation["confidence_threshold"]]
    for name, key, default in _OPTIONAL:
        if decision[name] != default:
            out[key] = decision[name]
    for name in _COLUMNS:
        if decision[name] != columns.get(name):
            out[name] = decision[name]
    trace_reason, reason = columns.get("reason"), decision["reason"]
    if "reason" in out and isinstance(reason, str) and isinstance(trace_reason, str) and trace_reason.startswith(reason):
        del out["reason"]  # the trace's reason goes on from the decision's (what the cascade did, say)
        out["rp"] = len(reason)
    out.update((k, v) for k, v in decision.items() if k not in _FIELDS)  # e.g. "alias"
    return out


def _pack_candidate(c: Any, reasons: list[str]) -> list[Any] | None:
    if not isinstance(c, dict) or c.keys() != _CANDIDATE_FIELDS or c["tier"] not in _TIERS:
        return None
    reason = c["excluded_reason"]
    if c["eligible"] is not (reason is None):
        return None  # eligible exactly when not ruled out: otherwise keep the decision whole
    if reason is not None:
        if not isinstance(reason, str):
            return None
        if reason not in reasons:
            reasons.append(reason)
        return [c["model"], _TIERS[c["tier"]], reasons.index(reason)]  # its predictions are not kept
    quality, latency, cost, score, evidence = (c["predicted_quality"], c["predicted_latency_ms"],
                                               c["predicted_cost_usd"], c["score"], c["evidence"])
    if not all(v is None or v.__class__ is float for v in (quality, latency, cost)) or not (
            score.__class__ is float and evidence.__class__ is float):
        return None
    row = [c["model"], _TIERS[c["tier"]], quality, latency, None if cost is None else float(f"{cost:.4g}"), score]
    if evidence:
        row.append(evidence)
    return row


def unpack(stored: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """The decision a stored form was packed from (a form without ``"v"`` is returned as it is)."""
    if stored.get("v") != VERSION:
        return dict(stored)
    reasons = stored.get("xr", [])
    escalation = stored.get("es")
    decision: dict[str, Any] = {
        "model": stored.get("model", columns.get("model")),
        "fallbacks": stored.get("fb", []),
        "policy": stored.get("policy", columns.get("policy")),
        "policy_kind": stored["pk"],
        "matrix_version": stored.get("matrix_version", columns.get("matrix_version")),
        "task_type": stored.get("task_type", columns.get("task_type")),
        "complexity": stored.get("complexity", columns.get("complexity")),
        "features": {_feature(k): v for k, v in stored["f"].items()},
        "drivers": [[_feature(name), value] for name, value in stored["dr"]],
        "reason": _reason(stored, columns),
        "stepped_down": stored.get("sd", False),
        "explored": stored.get("ex", False),
        "escalation": None if escalation is None else {"model": escalation[0], "confidence_threshold": escalation[1]},
        "consensus_models": stored.get("cm", []),
        "tiebreaker": stored.get("tb"),
        "candidates": [_unpack_candidate(row, reasons) for row in stored["c"]],
    }
    decision.update((k, v) for k, v in stored.items() if k not in _COMPACT)
    return decision


def _feature(code: str) -> str:
    return _FEATURES[int(code)] if code.isdigit() else code


def _reason(stored: Mapping[str, Any], columns: Mapping[str, Any]) -> Any:
    if "rp" in stored:
        return (columns.get("reason") or "")[: stored["rp"]]
    return stored.get("reason", columns.get("reason"))


def _unpack_candidate(row: list[Any], reasons: list[str]) -> dict[str, Any]:
    model, tier = row[0], _TIER_NAMES[row[1]]
    if len(row) == 3:
        return {"model": model, "tier": tier, "predicted_quality": None, "predicted_latency_ms": None,
                "predicted_cost_usd": None, "eligible": False, "excluded_reason": reasons[row[2]], "score": 0.0,
                "evidence": 0.0}
    return {"model": model, "tier": tier, "predicted_quality": row[2], "predicted_latency_ms": row[3],
            "predicted_cost_usd": row[4], "eligible": True, "excluded_reason": None, "score": row[5],
            "evidence": row[6] if len(row) > 6 else 0.0}
