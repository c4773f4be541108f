"""make run's demo, against a real demo-mode daemon: every panel of the dashboard gets something to show.

The demo runs as ``make run`` runs it (``daemon.cli.demo_workload.run_demo``), faster: two workers, a shorter
pause between requests, the fault cycle compressed and circuits probed after 2 s instead of 30. The
test waits (bounded) until every figure a panel shows is non-trivial, and fails naming what never was.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from daemon.cli.demo_workload import STEADY_QUALITY, run_demo, steady_score
from daemon.errors import InvalidRequestError
from tests.support import running_daemon, write_config

DEADLINE_S = 150.0
"""Bounded wait (generous for a loaded CI machine: alone, every figure shows within about 20 s here;
at make run's own pace, within two minutes)."""


async def test_the_demo_exercises_every_panel(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", {"daemon": {"http": ""}, "gateway": {"circuit_reset_seconds": 2.0}})
    async with running_daemon(config, extra_args=["--demo"]) as daemon, daemon.client() as client:
        circuits: list[str] = []

        async def watch() -> None:
            async for event in client.events():
                if event.type == "circuit":
                    circuits.append(f"{event.data.get('model')} {event.data.get('state')}")

        watcher = asyncio.create_task(watch())
        demo = asyncio.create_task(run_demo(client, pace_s=0.15, workers=2, cycle_s=15.0))
        missing: list[str] = []
        first_seen: dict[str, float] = {}
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(DEADLINE_S):
                while True:
                    await asyncio.sleep(2.0)
                    metrics, savings, reviews, matrix = await asyncio.gather(
                        client.metrics("1h"), client.savings("1h"), client.reviews(), client.matrix())
                    checks = {
                        "routing: three models or more answered": sum(m.requests > 0 for m in metrics.by_model) >= 3,
                        "rates: a fallback": metrics.fallback_rate > 0,
                        "rates: a cascade escalation": metrics.escalation_rate > 0,
                        "rates: an error": metrics.error_rate > 0,
                        "an open circuit": any(c.endswith(" open") for c in circuits),
                        "the circuit closed again": any(c.endswith(" closed") for c in circuits),
                        "reviews: a consensus disagreement queued": len(reviews) > 0,
                        "matrix: cells with evidence": len(matrix.cells) > 0,
                        "latency: p95 per model": all(m.latency_p95_ms for m in metrics.by_model if m.requests),
                        "cost per quality point": metrics.cost_per_quality_point is not None,
                        "savings: spend against the baseline": savings.requests > 0 and savings.baseline_usd > 0,
                        "savings: quality evidence": savings.quality is not None,
                    }
                    missing = [name for name, ok in checks.items() if not ok]
                    now = asyncio.get_running_loop().time() - started
                    first_seen.update({name: round(now) for name, ok in checks.items() if ok and name not in first_seen})
                    if not missing:
                        break
        except TimeoutError:
            pytest.fail(f"after {DEADLINE_S:.0f}s the demo still showed nothing for: {', '.join(missing)} "
                        f"(circuit events: {circuits}; seconds to the others: {first_seen})")
        finally:
            for task in (demo, watcher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        print(f"seconds until each panel had something: {first_seen}")
        # The disagreement in the queue is between the consensus members' different answers.
        answers = {a.answer for a in reviews[0].answers if a.answer}
        assert len(answers) >= 2


async def test_demo_scripting_is_refused_on_real_providers(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon, daemon.client() as client:
        with pytest.raises(InvalidRequestError, match="demo-mode daemon"):
            await client.demo_faults("sim-pro", [{"kind": "unavailable"}])
        with pytest.raises(InvalidRequestError, match="demo-mode daemon"):
            await client.demo_profile("sim-pro", dissent=1.0)


def test_demo_ratings_are_steady_per_model() -> None:
    for model, quality in STEADY_QUALITY.items():
        scores = [steady_score(model, f"{n:032x}") for n in range(200)]
        assert max(scores) - min(scores) <= 0.1 + 1e-9
        assert abs(sum(scores) / len(scores) - quality) < 0.02
