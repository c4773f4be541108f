"""A fixed dataset of wire values for the dashboard's snapshots: the same pixels on every run."""

from __future__ import annotations

from daemon.wire import (
    AttemptInfo,
    BudgetInfo,
    CandidateInfo,
    ConsensusAnswer,
    DecisionInfo,
    MatrixCellInfo,
    MatrixInfo,
    MatrixQuality,
    Metrics,
    ModelMetrics,
    ReviewInfo,
    Savings,
    TraceDetail,
    TraceSummary,
)

NOW = 1_764_000_000.0
"""A fixed "now" (2025-11-24 16:00 UTC); the snapshot tests run with TZ=UTC."""

METRICS = Metrics(
    window="24h", since=NOW - 86_400, requests=1284, spend_usd=3.4172,
    spend_by_developer={"alice": 2.91, "bob": 0.5072},
    by_model=[
        ModelMetrics(model="sim-nano", tier="small", requests=612, share=612 / 1284, spend_usd=0.0612,
                     latency_p50_ms=48, latency_p95_ms=95, ttft_p50_ms=31, error_rate=0.004),
        ModelMetrics(model="sim-mini", tier="small", requests=388, share=388 / 1284, spend_usd=0.3104,
                     latency_p50_ms=92, latency_p95_ms=180, ttft_p50_ms=55, error_rate=0.0),
        ModelMetrics(model="sim-pro", tier="medium", requests=201, share=201 / 1284, spend_usd=1.206,
                     latency_p50_ms=240, latency_p95_ms=610, ttft_p50_ms=120, error_rate=0.02),
        ModelMetrics(model="sim-ultra", tier="frontier", requests=83, share=83 / 1284, spend_usd=1.8396,
                     latency_p50_ms=890, latency_p95_ms=2400, ttft_p50_ms=420, error_rate=0.06),
    ],
    by_tier={"small": 1000, "medium": 201, "frontier": 83},
    by_surface={"api": 310, "mcp": 402, "lsp": 520, "cli": 52},
    by_task_type={"code_completion": 520, "code_edit": 300, "chat": 264, "math": 200},
    fallback_rate=0.031, escalation_rate=0.074, error_rate=0.011, refused=26, refusal_rate=26 / 1284,
    cost_per_quality_point=0.0041,
    series={
        "spend": [0.02, 0.05, 0.04, 0.09, 0.12, 0.2, 0.31, 0.28, 0.22, 0.35, 0.41, 0.3, 0.25, 0.18, 0.15, 0.12,
                  0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01],
        "fallback_rate": [0.02, 0.03, 0.01, 0.05, 0.04, 0.03, 0.02, 0.06, 0.04, 0.03, 0.02, 0.01,
                          0.02, 0.03, 0.04, 0.03, 0.02, 0.03, 0.05, 0.04, 0.03, 0.02, 0.03, 0.03],
        "escalation_rate": [0.06, 0.07, 0.08, 0.07, 0.09, 0.1, 0.08, 0.07, 0.06, 0.07, 0.08, 0.07,
                            0.06, 0.07, 0.08, 0.09, 0.08, 0.07, 0.06, 0.07, 0.08, 0.07, 0.07, 0.07],
        "refusal_rate": [0.0] * 12 + [0.01, 0.02, 0.03, 0.05, 0.06, 0.04, 0.03, 0.02, 0.02, 0.03, 0.02, 0.01],
        "error_rate": [0.0, 0.01, 0.0, 0.02, 0.01, 0.0, 0.0, 0.03, 0.01, 0.0, 0.01, 0.02,
                       0.0, 0.01, 0.0, 0.0, 0.01, 0.02, 0.01, 0.0, 0.01, 0.0, 0.01, 0.01],
    },
)

BUDGETS = [
    BudgetInfo(scope="developer", name="alice", period="day", limit_usd=5.0, spent_usd=2.91, reserved_usd=0.04,
               fraction_used=0.59, soft_threshold=0.8, critical_only_threshold=0.95, period_start=NOW - 57_600,
               resets_at=NOW + 28_800, state="ok", next_action="routes normally", remaining_usd=2.05,
               burn_usd_per_hour=0.06, burn_since=NOW - 3600, projected_usd=2.95 + 0.06 * 8),
    BudgetInfo(scope="team", name="platform", period="month", limit_usd=200.0, spent_usd=171.5, reserved_usd=0.0,
               fraction_used=0.8575, soft_threshold=0.8, critical_only_threshold=0.95, period_start=NOW - 20 * 86_400,
               resets_at=NOW + 10 * 86_400, state="stepped_down", next_action="steps down to cheaper tiers",
               remaining_usd=28.5, burn_usd_per_hour=0.5, burn_since=NOW - 3600, projected_usd=171.5 + 0.5 * 240,
               limit_reached_at=NOW + 57 * 3600),
]


def _trace(i: int, **changes: object) -> TraceSummary:
    surfaces = ("lsp", "mcp", "api", "cli")
    tasks = ("code_completion", "code_edit", "chat", "math")
    models = ("sim-nano", "sim-mini", "sim-pro", "sim-ultra")
    values: dict[str, object] = dict(
        id=f"tr{i:04d}aa55", created_at=NOW - 600 + i * 17, developer="alice", surface=surfaces[i % 4],
        outcome="ok", requested_model="auto", model=models[i % 4], task_type=tasks[i % 4], complexity=0.1 * (i % 10),
        latency_ms=40.0 + 37 * i, ttft_ms=20.0 + 9 * i, input_tokens=120 + i, output_tokens=40 + i,
        cost_usd=0.00012 * (i + 1), reason="cheapest model above the quality floor",
        policy=("balanced", "fast", "cascade", "consensus")[i % 4],
    )
    values.update(changes)
    return TraceSummary.model_validate(values)


TRACES = [
    _trace(i, **({"fallback_used": True} if i == 3 else {}), **({"escalated": True} if i == 6 else {}),
           **({"outcome": "error", "error_code": "provider_timeout", "model": None} if i == 9 else {}))
    for i in range(14)
]

DECISION = DecisionInfo(
    model="sim-mini", fallbacks=["sim-pro", "sim-ultra"], policy="complexity-gated", policy_kind="complexity_gated",
    matrix_version=12, task_type="code_edit", complexity=0.42,
    features={"tokens": 412, "code_ratio": 0.81, "has_diff": True},
    reason="code edit, complexity 0.42 → small tier; sim-mini cheapest above floor 0.72 (quality 0.78)",
    candidates=[
        CandidateInfo(model="sim-nano", tier="small", eligible=True, predicted_quality=0.64,
                      predicted_latency_ms=60, predicted_cost_usd=0.00004, score=0.41),
        CandidateInfo(model="sim-mini", tier="small", eligible=True, predicted_quality=0.78,
                      predicted_latency_ms=110, predicted_cost_usd=0.00021, score=0.83),
        CandidateInfo(model="sim-pro", tier="medium", eligible=True, predicted_quality=0.86,
                      predicted_latency_ms=300, predicted_cost_usd=0.0012, score=0.62),
        CandidateInfo(model="sim-ultra", tier="frontier", eligible=False, excluded_reason="circuit open",
                      predicted_quality=0.93, predicted_latency_ms=900, predicted_cost_usd=0.009),
    ],
)

TRACE = TraceDetail(
    **TRACES[3].model_dump(exclude={"model", "task_type", "complexity", "reason", "fallback_used", "policy"}),
    model="sim-mini", task_type="code_edit", complexity=0.42, reason=DECISION.reason, fallback_used=True,
    policy="complexity-gated", matrix_version=12, decision=DECISION.model_dump(),
    attempts=[
        AttemptInfo(seq=1, model="sim-nano", status="error", latency_ms=31, error_code="provider_rate_limited",
                    error_message="429 from the provider; retried on the next fallback"),
        AttemptInfo(seq=2, model="sim-mini", status="ok", latency_ms=140, ttft_ms=52, input_tokens=123,
                    output_tokens=43, cost_usd=0.00048),
    ],
    prompt="Rename the variable `tmp` to `buffer` in parse_header() and keep the tests passing.",
    prompt_chars=83, answer="def parse_header(buffer: bytes) -> Header: ... [end]", answer_chars=52,
    guard={"redacted": ["aws_access_key"], "injection": "none"},
    feedback=[{"source": "editor", "score": 1.0, "comment": "accepted", "at": NOW - 300}],
)


MODELS = ("sim-nano", "sim-mini", "sim-pro", "sim-ultra", "sim-claude")
PRIORS = {"sim-nano": 0.45, "sim-mini": 0.6, "sim-pro": 0.78, "sim-ultra": 0.92, "sim-claude": 0.9}
EVIDENCE = {("code_edit", 4, "sim-mini"): (0.82, 6.0), ("code_edit", 4, "sim-pro"): (0.9, 14.0),
            ("chat", 2, "sim-nano"): (0.55, 3.5), ("math", 7, "sim-ultra"): (0.95, 22.0)}
MATRIX = MatrixInfo(
    version=12, bands=[(i + 1) / 10 for i in range(10)],
    cells=[MatrixCellInfo(task_type=t, band=b, model=m, quality=q, evidence=n, latency_p50_ms=100 + 40 * b,
                          mean_cost_usd=0.0004 * (b + 1), updated_at=NOW - 3600) for (t, b, m), (q, n) in EVIDENCE.items()],
    models=list(MODELS),
    grid=[MatrixQuality(task_type=t, band=b, model=m,
                        quality=round((PRIORS[m] * 4 + EVIDENCE[(t, b, m)][0] * EVIDENCE[(t, b, m)][1])
                                      / (4 + EVIDENCE[(t, b, m)][1]), 3) if (t, b, m) in EVIDENCE else PRIORS[m] - 0.02 * b,
                        evidence=EVIDENCE.get((t, b, m), (0, 0.0))[1], prior=PRIORS[m] - 0.02 * b,
                        source="cell" if (t, b, m) in EVIDENCE else ("task type" if any(k[0] == t and k[2] == m for k in EVIDENCE)
                                                                     else "prior"))
          for t in ("chat", "code_edit", "math") for b in range(10) for m in MODELS],
)

REVIEWS = [
    ReviewInfo(id=7, trace_id="tr0007aa55", developer="alice", status="open", created_at=NOW - 240,
               prompt="Is it safe to drop column users.legacy_id before backfilling the new one?",
               answers=[ConsensusAnswer(model="sim-nano", answer="Yes: drop it first, the backfill reads the new column.",
                                        latency_ms=80, cost_usd=0.00002, group=0),
                        ConsensusAnswer(model="sim-pro", answer="No: backfill first, then drop it in a second migration.",
                                        latency_ms=410, cost_usd=0.0009, group=1),
                        ConsensusAnswer(model="sim-claude", answer="No. Backfill, verify, then drop the column.",
                                        latency_ms=520, cost_usd=0.0021, group=1)]),
    ReviewInfo(id=8, trace_id="tr0008aa55", developer="bob", status="open", created_at=NOW - 60,
               prompt="Which index makes this query fast: SELECT * FROM orders WHERE customer_id = ? ORDER BY at?",
               answers=[ConsensusAnswer(model="sim-mini", answer="(customer_id, at)", latency_ms=90, cost_usd=0.00003,
                                        group=0),
                        ConsensusAnswer(model="sim-ultra", answer="(at)", latency_ms=700, cost_usd=0.004, group=1)]),
]

SAVINGS = Savings(window="24h", since=NOW - 86_400, baseline_model="sim-ultra", requests=1258, spend_usd=3.4172,
                  baseline_usd=19.82, saved_usd=19.82 - 3.4172, rated=212, quality=0.81,
                  baseline_quality_observed=0.9, baseline_rated=9, baseline_quality_estimated=0.88)
