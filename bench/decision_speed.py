"""Decision speed: classification + decision for 10 configured models, in process.

    /work/main/.venv/bin/python bench/decision_speed.py

Ten candidates across three tiers, a full matrix (every task type x band x model cell filled), and
a mix of prompts from a one-line question to a 40,000-character pasted file with a multi-turn
history. Each sample is one ``decide()`` call including classification with the shipped weights
and the ask's embedding. Measured twice: with nothing learned, and with 50,000 stored outcomes
(the default ``[learning] max_outcomes``: embeddings of 50,000 generated developer prompts, each a
model's quality, indexed as the daemon indexes them), plus the worst moment of the latter: just
before a re-index, with ``REINDEX_TAIL`` outcomes in the exactly-searched tail.
Target: p99 < 1 ms.

OpenBLAS runs single-threaded here, as in the daemon (``switchboard daemon`` sets it): its threads
spinning on both cores of a busy machine made a large search ten times slower.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads, as the daemon does

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from daemon.core.learning import REINDEX_TAIL  # noqa: E402
from daemon.router.classify import classify  # noqa: E402
from daemon.router.embedding import embed_slice, shipped_embedder  # noqa: E402
from daemon.router.engine import decide  # noqa: E402
from daemon.router.matrix import N_BANDS, RoutingMatrix  # noqa: E402
from daemon.router.memory import NO_KNOWLEDGE, Knowledge, Outcome  # noqa: E402
from daemon.router.settings import RoutingSettings  # noqa: E402
from daemon.router.types import BudgetState, Candidate, Message, RouteRequest, TaskType, Tier  # noqa: E402

TARGET_P99_MS = 1.0
SAMPLES = 20_000


def candidates() -> list[Candidate]:
    """Ten models: four small, three medium, three frontier, with live latency on some."""
    specs = [
        ("small-a", Tier.SMALL, 0.15, 0.6), ("small-b", Tier.SMALL, 0.1, 0.4), ("small-c", Tier.SMALL, 0.2, 0.8),
        ("small-d", Tier.SMALL, 0.25, 1.0), ("mid-a", Tier.MEDIUM, 1.0, 4.0), ("mid-b", Tier.MEDIUM, 0.8, 3.2),
        ("mid-c", Tier.MEDIUM, 1.2, 5.0), ("big-a", Tier.FRONTIER, 3.0, 15.0), ("big-b", Tier.FRONTIER, 2.5, 10.0),
        ("big-c", Tier.FRONTIER, 5.0, 25.0),
    ]  # fmt: skip
    return [
        Candidate(
            name=n, tier=t, input_usd_per_mtok=i, output_usd_per_mtok=o, context_window=200_000,
            capabilities=frozenset({"chat", "stream", "tools", "json"}), latency_p95_ms=400.0 + 150 * k if k % 2 else None,
            provider=n.split("-")[0], fallbacks=("mid-a",) if t is Tier.SMALL else (),
        )
        for k, (n, t, i, o) in enumerate(specs)
    ]  # fmt: skip


def full_matrix(models: list[str]) -> RoutingMatrix:
    """Every cell filled with evidence, as after months of use."""
    rng = random.Random(7)
    rows = [
        {"task_type": t.value, "band": b, "model": m, "quality": rng.random(), "evidence": rng.uniform(1, 200), "latency_p95_ms": rng.uniform(200, 4000)}
        for t in TaskType for b in range(N_BANDS) for m in models
    ]  # fmt: skip
    return RoutingMatrix.from_rows(rows, version=42)


def requests() -> list[RouteRequest]:
    """A representative mix of surfaces and sizes."""
    code = "\n".join(f"def handler_{i}(request):\n    return process(request, retries={i})\n" for i in range(600))
    history = tuple(Message("user" if i % 2 == 0 else "assistant", f"turn {i}: please look at src/app_{i}.py") for i in range(12))
    return [
        RouteRequest.from_prompt("what's the capital of Australia?"),
        RouteRequest.from_prompt("Refactor this to use async/await:\n```python\n" + code[:3000] + "\n```", surface="mcp"),
        RouteRequest.from_prompt(code[:40_000] + "\nExplain what this module does and why the retries differ.", surface="cli"),
        RouteRequest.from_prompt("def parse_header(line: str) -> dict:\n    ", surface="lsp", is_fim=True, max_output_tokens=64),
        RouteRequest.from_prompt("Prove that the sum of two odd integers is even, step by step."),
        RouteRequest(messages=(*history, Message("user", "now fix the failing test in tests/test_app.py")), has_tools=True, surface="mcp"),
        RouteRequest.from_prompt("Extract name, email and company as JSON from: Jane Roe <jane@x.io>, Acme", wants_json=True),
        RouteRequest.from_prompt("Write a short product announcement for our new CLI.", policy="cascade"),
    ]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


OUTCOMES = 50_000
_VERBS = ("refactor", "explain", "fix", "write", "summarise", "optimise", "review", "test", "document", "translate",
          "debug", "rename", "parse", "validate", "deploy", "migrate", "prove", "compute", "draft", "extract")
_THINGS = ("the retry logic", "this SQL query", "a regex for emails", "the payment service", "the login handler",
           "a bash script", "the CSV export", "the Dockerfile", "this React component", "the cache layer",
           "a unit test", "the release notes", "the API client", "this proof", "the integral", "a haiku",
           "the billing report", "the rate limiter", "a JSON schema", "the Kubernetes manifest", "the parser",
           "the budget email", "a binary search", "the websocket server", "the error messages")
_CONTEXTS = ("in src/app.py", "so it handles time zones", "with async/await", "for a junior developer",
             "without changing the public API", "in Go", "in Rust", "step by step", "as a table", "in one line",
             "and keep backwards compatibility", "for the on-call runbook", "using pandas", "with type hints",
             "so it stops leaking memory", "under 100 words", "for Postgres 16", "and add logging", "", "")


def generated_prompts(n: int, seed: int = 11) -> list[str]:
    """``n`` varied developer prompts (verb, object, context, a detail), for realistic embeddings."""
    rng = random.Random(seed)
    return [
        f"{rng.choice(_VERBS).capitalize()} {rng.choice(_THINGS)} {rng.choice(_CONTEXTS)} "
        f"(ticket {rng.randrange(10_000)}, file module_{rng.randrange(500)}.py)"
        for _ in range(n)
    ]


def learned_knowledge(models: list[Candidate], n: int = OUTCOMES, *, tail: int = 0) -> Knowledge:
    """What a daemon knows after ``n`` outcomes: their prompts embedded, a quality per model that rises
    with its tier, indexed as the daemon indexes them; ``tail`` more outcomes appended unindexed."""
    embedder = shipped_embedder()
    assert embedder is not None, "the wordllama wheel (embedding files) is not installed"
    rng = np.random.default_rng(5)
    tasks = list(TaskType)
    prompts = generated_prompts(n + tail)
    outcomes = []
    for i, prompt in enumerate(prompts):
        cand = models[i % len(models)]
        quality = float(np.clip(0.45 + 0.2 * cand.tier.rank + rng.normal(0, 0.2), 0, 1))
        outcomes.append(Outcome(embedder.embed(prompt), cand.name, quality, 1.0, float(rng.normal()),
                                tasks[i % len(tasks)], float(i)))
    knowledge = Knowledge.build(outcomes[:n])
    if tail:
        knowledge = knowledge.adding(outcomes[n:])
    return knowledge


def main() -> None:
    """Time classify and decide, with nothing learned and with 50,000 outcomes; print p50/p99 next to the target."""
    cands = candidates()
    matrix = full_matrix([c.name for c in cands])
    settings = RoutingSettings()
    budget = BudgetState(fraction_used=0.5, soft_threshold=0.8, critical_only_threshold=0.95, budget_name="dev")
    reqs = requests()
    t0 = time.perf_counter()
    learned = learned_knowledge(cands)
    build_s = time.perf_counter() - t0
    before_reindex = learned_knowledge(cands, tail=REINDEX_TAIL)
    assert learned.memory.centroids is not None
    for r in reqs * 50:  # warm caches (shipped weights, regexes)
        decide(r, cands, matrix, budget, settings, knowledge=learned)

    def measure(fn, clock) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        for n in range(SAMPLES):
            r = reqs[n % len(reqs)]
            t0 = clock()
            fn(r)
            out.append((clock() - t0) / 1e6)
        return sorted(out)

    def with_knowledge(knowledge: Knowledge):  # type: ignore[no-untyped-def]
        def full(r: RouteRequest) -> None:
            decide(r, cands, matrix, budget, settings, knowledge=knowledge)
        return full

    empty, full50k, tail = with_knowledge(NO_KNOWLEDGE), with_knowledge(learned), with_knowledge(before_reindex)
    rows = [
        ("classify + decide, wall clock", measure(empty, time.perf_counter_ns)),
        ("classify + decide, CPU time", measure(empty, time.thread_time_ns)),
        ("  with 50k outcomes, wall clock", measure(full50k, time.perf_counter_ns)),
        ("  with 50k outcomes, CPU time", measure(full50k, time.thread_time_ns)),
        (f"  50k + {REINDEX_TAIL} unindexed, CPU", measure(tail, time.thread_time_ns)),
        ("classify only, wall clock", measure(classify, time.perf_counter_ns)),
        ("classify only, CPU time", measure(classify, time.thread_time_ns)),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ref = min(_reference_ms() for _ in range(5))
    print(
        f"decision speed: {len(cands)} candidates, {len(matrix.cells)} matrix cells, {len(reqs)} request shapes, "
        f"{SAMPLES} samples each; {os.cpu_count()} CPUs, 1-min load average {load:.1f} at the end"
    )
    print(f"learned: {len(learned.memory)} outcomes, {len(learned.memory.cells)} index cells "
          f"(built in {build_s:.1f} s with their embeddings); OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print("CPU time (thread clock) excludes time the process was descheduled; on a busy machine it is the fairer figure.")
    print(f"machine speed reference: sum(range(10**6)) takes {ref:.1f} ms of CPU here (scale the figures by it)")
    print(f"{'':32s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'mean ms':>8s}   target")
    for label, xs in rows:
        p99 = percentile(xs, 99)
        verdict = f"p99 < {TARGET_P99_MS} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'}" if "classify only" not in label else ""
        print(f"{label:32s} {percentile(xs, 50):8.3f} {p99:8.3f} {xs[-1]:8.3f} {statistics.fmean(xs):8.3f}   {verdict}")
    print("\nper request shape (CPU time, classify + decide; nothing learned | 50k outcomes):")
    for r in reqs:
        xs = sorted(_cpu_once(empty, r) for _ in range(500))
        ys = sorted(_cpu_once(full50k, r) for _ in range(500))
        text = r.messages[-1].text
        print(f"  {len(r.messages):2d} msgs {len(text):6d} chars {r.surface:4s}  p50 {percentile(xs, 50):.3f}  "
              f"p99 {percentile(xs, 99):.3f} | p50 {percentile(ys, 50):.3f}  p99 {percentile(ys, 99):.3f} ms")
    _where_the_time_goes(reqs, learned)


def _where_the_time_goes(reqs: list[RouteRequest], knowledge: Knowledge) -> None:
    """CPU p50/p99 of the parts a learned decision adds: the ask's embedding, the neighbour search, the online models."""
    from daemon.router.memory import online_features
    from daemon.router.prompt import PromptView

    embedder = shipped_embedder()
    assert embedder is not None
    asks = [PromptView.of(r).ask for r in reqs]
    vectors = [embedder.embed(a) for a in asks]
    names = list(knowledge.online.ridges)
    features = [online_features(0.0, TaskType.CHAT, v) for v in vectors]
    parts = {
        "embed the ask (tokenise + mean)": lambda i: embedder.embed(asks[i]),
        "  of which tokenising": lambda i: embedder.tokenizer.encode(embed_slice(asks[i]), add_special_tokens=False),
        "neighbours among 50k outcomes": lambda i: knowledge.memory.neighbours(vectors[i]),
        "online models, 10 predictions": lambda i: [knowledge.online.predict(m, features[i]) for m in names],
    }
    print("\nwhere a learned decision's time goes (CPU, all request shapes):")
    for label, fn in parts.items():
        xs = []
        for n in range(4000):
            t0 = time.thread_time_ns()
            fn(n % len(reqs))
            xs.append((time.thread_time_ns() - t0) / 1e6)
        xs.sort()
        print(f"  {label:34s} p50 {percentile(xs, 50):.3f}  p99 {percentile(xs, 99):.3f} ms")


def _reference_ms() -> float:
    t0 = time.thread_time_ns()
    sum(range(1_000_000))
    return (time.thread_time_ns() - t0) / 1e6


def _cpu_once(fn, r: RouteRequest) -> float:  # type: ignore[no-untyped-def]
    t0 = time.thread_time_ns()
    fn(r)
    return (time.thread_time_ns() - t0) / 1e6


if __name__ == "__main__":
    main()
