"""The CLI against a real daemon, as a person types it: each defect a newcomer met, fixed and kept fixed.

Every command runs as its own ``switchboard`` process (the console script in .venv/bin), with the
daemon's socket in ``SWITCHBOARD_SOCKET`` so the commands read exactly as the README writes them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

from daemon.router.engine import DEFAULT_SETTINGS, prior_quality
from daemon.router.matrix import RoutingMatrix, band_of
from daemon.router.types import Candidate, TaskType, Tier
from daemon.wire import AskRequest, FeedbackRequest
from tests.support import REPO, DaemonProcess, running_daemon

SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")


def cli_env(daemon: DaemonProcess) -> dict[str, str]:
    """The environment a person's shell has: the daemon's socket and data dir, the venv on PATH."""
    return {**os.environ, "SWITCHBOARD_SOCKET": str(daemon.socket), "SWITCHBOARD_DATA_DIR": str(daemon.data_dir),
            "SWITCHBOARD_CONFIG": str(daemon.config), "SWITCHBOARD_SIM_KEY": "sim-key", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


async def run(daemon: DaemonProcess, *args: str, cwd: Path | None = None, stdin: bytes | None = None) -> tuple[int, str, str]:
    """``switchboard ARGS`` → (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        SWITCHBOARD, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        env=cli_env(daemon), cwd=cwd or REPO,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate(stdin)
    return process.returncode or 0, out.decode(), err.decode()


def closed_reader(daemon: DaemonProcess, *args: str) -> tuple[int, str]:
    """Run a verb whose reader has gone away before it writes (``| head`` after its lines)."""
    process = subprocess.Popen([SWITCHBOARD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=cli_env(daemon), cwd=REPO)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    with process.stderr:
        err = process.stderr.read().decode()
    return process.wait(60), err


async def test_a_closed_pipe_ends_the_verb_quietly(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            trace_id = (await client.ask(AskRequest(prompt="hello"))).trace_id
        for args in (("route", "Refactor this class into smaller functions"), ("matrix",),
                     ("traces", trace_id, "--json"), ("traces",)):
            code, err = await asyncio.to_thread(closed_reader, daemon, *args)
            assert "Traceback" not in err and "BrokenPipeError" not in err, (args, err)
            assert code in (0, 141), (args, code, err)


async def test_traces_as_admin_lists_every_developers_unless_mine(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as owner:
            key = (await owner.add_developer("alice")).key
        async with daemon.tcp_client(key) as alice:
            theirs = (await alice.ask(AskRequest(prompt="alice asks"))).trace_id
        code, out, _ = await run(daemon, "traces")
        assert code == 0 and theirs[:12] in out and "alice" in out
        code, out, _ = await run(daemon, "traces", "--mine")
        assert code == 0 and theirs[:12] not in out and "no traces yet" in out


async def test_budget_shows_spend_without_a_budget_and_one_truth_with_one(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            me = (await client.status()).developer
            await client.ask(AskRequest(prompt="hello"))
        code, out, _ = await run(daemon, "budget")
        assert code == 0
        assert "no budget is set" in out and "over 1 request (no limit)" in out
        code, out, _ = await run(daemon, "budget", "set", me, "--daily", "5")
        assert code == 0 and f"{me}'s daily budget:" in out
        code, out, _ = await run(daemon, "budget", "--json")
        budget = json.loads(out)["budgets"][0]
        assert budget["remaining_usd"] == round(5 - budget["spent_usd"] - budget["reserved_usd"], 6)
        code, out, _ = await run(daemon, "budget")
        assert re.search(r"spent (\+ \$\S+ reserved )?of \$5\.00 \(\d+%\) · \$\S+ left", out), out


async def test_ask_json_rounds_latency(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        code, out, _ = await run(daemon, "ask", "hello", "--json")
        assert code == 0
        latency = json.loads(out)["latency_ms"]
        assert latency == round(latency, 1)


async def test_matrix_shows_what_the_router_uses_and_round_trips_through_an_editor(
    sim_config_file: Path, tmp_path: Path
) -> None:
    async with running_daemon(sim_config_file) as daemon:
        async with daemon.client() as client:
            for prompt, score in (("Refactor this class into smaller functions", 1.0), ("hello there", 0.25)):
                answer = await client.ask(AskRequest(prompt=prompt))
                await client.feedback(FeedbackRequest(trace_id=answer.trace_id, score=score, source="agent"))
            rated = await client.trace(answer.trace_id)
        code, out, _ = await run(daemon, "matrix")
        assert code == 0 and "the quality the router uses" in out and "(1.0)" in out
        info = json.loads((await run(daemon, "matrix", "--json"))[1])
        # Shown: the router's lookup (the cell blended with the model's wider record and its prior), not the raw cell.
        band = band_of(rated.complexity or 0.0)
        shown = next(q for q in info["grid"] if (q["task_type"], q["band"], q["model"]) ==
                     (rated.task_type, band, rated.model))
        raw = next(c for c in info["cells"] if (c["task_type"], c["band"], c["model"]) ==
                   (rated.task_type, band, rated.model))
        matrix = RoutingMatrix.from_rows(info["cells"], version=info["version"])
        expected = matrix.qualities(TaskType(rated.task_type), (band + 0.5) / 10, [(rated.model, shown["prior"])])[0][0]
        assert abs(shown["quality"] - expected) < 1e-3 and abs(shown["quality"] - raw["quality"]) > 0.05
        assert shown["evidence"] == raw["evidence"] and shown["source"] == "cell"
        tier = Tier("frontier" if rated.model in ("sim-ultra", "sim-claude") else
                    "medium" if rated.model == "sim-pro" else "small")
        candidate = Candidate(name=rated.model, tier=tier, input_usd_per_mtok=0.0, output_usd_per_mtok=0.0,
                              context_window=128_000)
        assert abs(shown["prior"] - prior_quality(candidate, (band + 0.5) / 10, DEFAULT_SETTINGS)) < 1e-3

        code, _, err = await run(daemon, "matrix", "export", "matrix.toml", cwd=tmp_path)
        text = (tmp_path / "matrix.toml").read_text()
        assert code == 0 and "wrote 2 cells to matrix.toml" in err
        assert not re.search(r"\d\.\d{7,}", text), "floats are rounded for people"
        assert re.search(r"updated_at = 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
        data = tomllib.loads(text)
        kept = data["cells"][1]
        # the person's edit: delete the first cell, change the second
        first_end = text.index("[[cells]]", text.index("[[cells]]\n") + 1)
        edited = text[: text.index("[[cells]]\n")] + text[first_end:].replace(f"quality = {kept['quality']}", "quality = 0.5")
        (tmp_path / "matrix.toml").write_text(edited)
        code, out, _ = await run(daemon, "matrix", "import", "matrix.toml", cwd=tmp_path)
        assert code == 0 and "imported 1 cells" in out
        cells = json.loads((await run(daemon, "matrix", "--json"))[1])["cells"]
        assert [(c["task_type"], c["band"], c["model"], c["quality"]) for c in cells] == [
            (kept["task_type"], kept["band"], kept["model"], 0.5)]
        (tmp_path / "bad.toml").write_text('[[cells]]\ntask_type = "chat"\nband = 12\nmodel = "x"\nquality = 0.5\n')
        code, _, err = await run(daemon, "matrix", "import", "bad.toml", cwd=tmp_path)
        assert code == 1 and "cells[0]" in err and "Nothing was changed" in err


async def test_route_batch_takes_model_and_turns_bad_lines_into_error_lines(sim_config_file: Path, tmp_path: Path) -> None:
    lines = [
        {"id": "good", "prompt": "Refactor this class into smaller functions"},
        {"id": "tokens-string", "prompt": "hi", "max_output_tokens": "lots"},
        {"id": "tokens-negative", "prompt": "hi", "max_output_tokens": -5},
        {"id": "policy-number", "prompt": "hi", "policy": 7},
        "just a string",
        {"id": "cheap", "prompt": "hello", "model": "auto:cheapest"},
    ]
    batch = "\n".join(json.dumps(line) for line in lines) + "\n{not json\n"
    (tmp_path / "prompts.jsonl").write_text(batch)
    async with running_daemon(sim_config_file) as daemon:
        code, out, err = await run(daemon, "route", "--batch", "prompts.jsonl", "--model", "auto:value", cwd=tmp_path)
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 7
    by_id = {r["id"]: r for r in results if r["id"]}
    assert by_id["good"]["policy"] == "value" and by_id["good"]["model"]
    assert by_id["cheap"]["policy"] == "cheapest"
    for bad in ("tokens-string", "tokens-negative", "policy-number"):
        assert by_id[bad]["error"]["code"] == "invalid_request"
    assert "max_output_tokens" in by_id["tokens-string"]["error"]["message"]
    assert [r["line"] for r in results if r["id"] is None] == [5, 7]
    async with running_daemon(sim_config_file) as daemon:
        code, _, err = await run(daemon, "route", "--batch", "prompts.jsonl", "--model", "sim-pro", cwd=tmp_path)
    assert code == 1 and "auto or auto:<policy>" in err


async def test_a_revoked_key_is_refused_and_a_new_one_works(sim_config_file: Path) -> None:
    async with running_daemon(sim_config_file) as daemon:
        code, out, _ = await run(daemon, "dev", "add", "bob")
        old_key = out.split()[-1]
        async with daemon.http_client(old_key) as http:
            assert (await http.get("/v1/models")).status_code == 200
            code, out, _ = await run(daemon, "dev", "revoke", "bob")
            assert code == 0 and "Revoked 1 key(s) of bob" in out
            assert (await http.get("/v1/models")).status_code == 401
        code, out, _ = await run(daemon, "dev", "key", "bob")
        new_key = out.split()[-1]
        async with httpx.AsyncClient(base_url=f"http://{daemon.http_address}",
                                     headers={"authorization": f"Bearer {new_key}"}) as http:
            assert (await http.get("/v1/models")).status_code == 200
        code, _, err = await run(daemon, "dev", "revoke", "nobody")
        assert code == 1 and "nobody" in err
