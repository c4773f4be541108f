"""``switchboard report`` and the savings behind the dashboard's line, against a scripted workload whose
counterfactual is worked out here from the simulated providers' own rules (their tokenizer and their
deterministic answers), not from the daemon's figures. The HTML page is opened in a real headless Chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.api.savings import compute_savings, day_of
from daemon.cli.savings_report import report_html, report_text
from daemon.sim import DEMO_PROFILES
from daemon.sim.answers import answer_text, count_tokens
from daemon.wire import AskRequest, FeedbackRequest
from tests.support import running_daemon, sim_config, write_config

PRICES = {p.name: (p.input_usd_per_mtok, p.output_usd_per_mtok) for p in DEMO_PROFILES}
WORKLOAD = [  # (prompt, model the request is pinned to, rating or None)
    ("Rename tmp to buffer in parse_header", "sim-nano", 1.0),
    ("Explain this regex: ^a+$", "sim-nano", 0.5),
    ("Write a release note for the ledger fix", "sim-pro", 0.75),
    ("Summarise the incident in two sentences", "sim-pro", None),
    ("Prove that the sum of two even numbers is even", "sim-ultra", 1.0),
]


def cost(model: str, prompt: str) -> float:
    """What one answered request costs at ``model``'s prices, by the sim's tokenizer and answer."""
    inp, out = PRICES[model]
    return (count_tokens(prompt) * inp + count_tokens(answer_text(prompt)) * out) / 1e6


def test_savings_from_facts_groups_by_day_surface_developer_and_model() -> None:
    def fact(i: int, **kw: object) -> dict[str, object]:
        base = {"id": f"t{i}", "outcome": "ok", "answered_model": "cheap", "cost_micros": 1000, "input_tokens": 100,
                "output_tokens": 50, "surface": "mcp", "developer": "alice", "created_at": 1_764_000_000.0,
                "task_type": "chat", "complexity": 0.3}
        return base | kw

    facts = [fact(1), fact(2, surface="lsp", developer="bob", cost_micros=3000, answered_model="strong"),
             fact(3, outcome="refused", cost_micros=0), fact(4, outcome="error", cost_micros=0),
             fact(5, created_at=1_764_000_000.0 + 86_400)]
    s = compute_savings(facts, {"t1": 1.0, "t2": 0.5}, window="7d", since=0.0, baseline_model="strong",
                        baseline_prices=(10.0, 40.0), estimate=lambda task, c: 0.9)
    per_request = (100 * 10 + 50 * 40) / 1e6
    assert s.requests == 3 and abs(s.baseline_usd - 3 * per_request) < 1e-12
    assert abs(s.spend_usd - 0.005) < 1e-12 and abs(s.saved_usd - (3 * per_request - 0.005)) < 1e-12
    assert s.quality == 0.75 and s.rated == 2
    assert s.baseline_quality_observed == 0.5 and s.baseline_rated == 1 and s.baseline_quality_estimated == 0.9
    assert [g.key for g in s.by_day] == [day_of(1_764_000_000.0), day_of(1_764_086_400.0)]
    assert {g.key: g.requests for g in s.by_surface} == {"lsp": 1, "mcp": 2}
    assert {g.key: g.requests for g in s.by_developer} == {"alice": 2, "bob": 1}
    strong = next(m for m in s.by_model if m.model == "strong")
    assert strong.cost_per_quality_point == pytest.approx(0.003 / 0.5)
    cheap = next(m for m in s.by_model if m.model == "cheap")
    assert cheap.cost_per_quality_point == pytest.approx(0.001 / 1.0) and cheap.requests == 2


def chromium() -> str | None:
    """The headless browser ``make test`` installs (Debian's chromium)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


async def test_report_against_a_scripted_workload_and_its_html_in_a_real_browser(tmp_path: Path, sim) -> None:  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "config.toml", sim_config(sim.url, extra={"report": {"baseline_model": "sim-ultra"}}))
    async with running_daemon(config) as daemon, daemon.client() as client:
        for prompt, model, rating in WORKLOAD:
            answer = await client.ask(AskRequest(prompt=prompt, model=model, surface="mcp"))
            assert answer.model == model
            if rating is not None:
                await client.feedback(FeedbackRequest(trace_id=answer.trace_id, score=rating, source="agent"))
        env = {**os.environ, "SWITCHBOARD_SOCKET": str(daemon.socket)}

        def switchboard(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "daemon", "report", *args], capture_output=True, text=True,
                                  env=env, timeout=60, check=True)

        data = json.loads((await asyncio.to_thread(switchboard, "--json", "--window", "1h")).stdout)
        text = (await asyncio.to_thread(switchboard, "--window", "1h")).stdout
        html_path = tmp_path / "report.html"
        await asyncio.to_thread(switchboard, "--window", "1h", "--html", str(html_path))
        other = json.loads((await asyncio.to_thread(switchboard, "--json", "--window", "1h", "--baseline", "sim-pro")).stdout)

    spend = sum(cost(model, prompt) for prompt, model, _ in WORKLOAD)
    baseline = sum(cost("sim-ultra", prompt) for prompt, _, _ in WORKLOAD)
    assert data["baseline_model"] == "sim-ultra" and data["requests"] == len(WORKLOAD)
    assert data["spend_usd"] == pytest.approx(spend, abs=1e-6)
    assert data["baseline_usd"] == pytest.approx(baseline, abs=1e-6)
    assert data["saved_usd"] == pytest.approx(baseline - spend, abs=1e-6)
    assert other["baseline_usd"] == pytest.approx(sum(cost("sim-pro", p) for p, _, _ in WORKLOAD), abs=1e-6)
    rated = [r for _, _, r in WORKLOAD if r is not None]
    assert data["quality"] == pytest.approx(sum(rated) / len(rated)) and data["rated"] == len(rated)
    assert data["baseline_quality_observed"] == 1.0 and data["baseline_rated"] == 1
    nano = next(m for m in data["by_model"] if m["model"] == "sim-nano")
    nano_spend = sum(cost("sim-nano", p) for p, m, _ in WORKLOAD if m == "sim-nano")
    assert nano["cost_per_quality_point"] == pytest.approx(nano_spend / 1.5, abs=1e-6)
    assert [g["key"] for g in data["by_surface"]] == ["mcp"]
    assert "if everything had gone to sim-ultra" in text and "by developer" in text and "sim-nano" in text

    page = html_path.read_text()
    # one self-contained file: nothing to run, nothing fetched
    assert page.startswith("<!doctype html>") and "<script" not in page and "src=" not in page and "href=" not in page
    browser = chromium()
    if browser is None:
        if shutil.which("apt-get"):
            pytest.fail("chromium is missing: `make test` installs it (deps-system)")
        print("SKIPPED the browser half: no chromium and no apt-get to install it on this machine")
        pytest.skip("no chromium and no apt-get: the HTML report was checked as text only")
    profile = tmp_path / "chromium-profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={profile}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", html_path.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    for plot in ("plot-by-day", "plot-by-surface", "plot-by-developer", "plot-cost-per-quality"):
        assert f'id="{plot}"' in dom, plot
    assert dom.count('class="bar spent"') == 3 and dom.count('class="bar baseline"') == 3  # day, surface, developer
    assert "if everything had gone to sim-ultra" in dom
    shot = tmp_path / "report.png"
    subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1000,1400", html_path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_text_and_html_say_when_nothing_was_answered() -> None:
    from daemon.wire import Savings

    empty = Savings(window="24h", since=0.0, baseline_model="sim-ultra", requests=0, spend_usd=0.0, baseline_usd=0.0,
                    saved_usd=0.0)
    assert "No answered requests" in report_text(empty, whose="alice")
    assert "No answered requests" in report_html(empty, whose="alice")
