"""Coding agents written by others, unchanged, against a real daemon on the simulated providers: the
Claude Code CLI (its default model, a tool round trip) and the Codex CLI (the Responses API).

Each agent is configured the way the README tells a user to, and nothing else: Claude Code gets
``ANTHROPIC_BASE_URL`` and a developer key; Codex a ``config.toml`` naming a custom model provider
and the variable holding the key. The network is closed to them: every proxy variable points at a
port nothing listens on, except for loopback, so anything else they reach for fails at once (as
no provider is reachable from this machine either). ``make test`` installs the pinned CLIs into
``.cache/npm`` (``make coding-agents``); these tests do the same when they are missing, and skip,
saying why, only when npm is not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from daemon.sim import SimServer
from daemon.wire import TraceDetail
from tests.readme import exports, localized, readme_block
from tests.support import REPO, DaemonProcess, running_daemon, sim_config, write_config

BIN = REPO / ".cache" / "npm" / "node_modules" / ".bin"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, so a connection is refused at once


@pytest.fixture(scope="session")
def agents() -> Path:
    """The directory of the pinned ``claude`` and ``codex`` executables, installed when missing."""
    if not (BIN / "claude").exists() or not (BIN / "codex").exists():
        if shutil.which("npm") is None or shutil.which("make") is None:
            pytest.skip("npm is not installed, so Claude Code and Codex cannot be installed (`make coding-agents`)")
        subprocess.run(["make", "-s", "coding-agents"], cwd=REPO, check=True, timeout=900)
    return BIN


@dataclass
class Daemon:
    """A daemon subprocess on the sim, with a developer key for the agents."""

    process: DaemonProcess
    key: str
    sim: SimServer

    @property
    def url(self) -> str:
        return f"http://{self.process.http_address}"

    async def traces(self, count: int) -> list[TraceDetail]:
        """The newest ``count`` traces in full (oldest first), once they are written."""
        async with self.process.client() as client:
            async with asyncio.timeout(10):
                while len(listing := (await client.traces(all="1", limit=count)).traces) < count:
                    await asyncio.sleep(0.05)
            return [await client.trace(t.id) for t in reversed(listing)]


@pytest.fixture
async def daemon(sim: SimServer, tmp_path: Path) -> AsyncIterator[Daemon]:
    config = write_config(tmp_path / "config.toml", sim_config(sim.url))
    async with running_daemon(config) as process:
        async with process.client() as client:
            created = await client.add_developer("agent-user")
        yield Daemon(process, created.key, sim)


def closed_network_env(home: Path, **env: str) -> dict[str, str]:
    """A minimal environment: PATH, a fresh HOME, every proxy closed except for loopback, and ``env``."""
    proxies = {name: CLOSED for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                                         "all_proxy")}
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), **proxies,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **env}


async def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run an agent to the end (bounded); its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=str(cwd), env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(120):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def claude(agents: Path, daemon: Daemon, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """``claude -p ...`` with only the README's variables (ANTHROPIC_BASE_URL and a developer key) set,
    in a fresh HOME."""
    readme = exports(localized(readme_block("### Claude Code", "sh"), daemon.url, daemon.key))
    assert set(readme) == {"ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"}, readme
    env = closed_network_env(tmp_path / "home", **readme)
    (tmp_path / "home").mkdir(exist_ok=True)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return await run([str(agents / "claude"), "-p", *args], env, work)


async def test_claude_code_with_its_default_model_answers_through_switchboard(agents, daemon: Daemon, tmp_path) -> None:
    code, out, err = await claude(agents, daemon, tmp_path, "say hello")
    assert code == 0, err
    [trace] = await daemon.traces(1)
    # The name Claude Code sent (its own default, not configured here) is kept; an alias routed it.
    assert trace.requested_model is not None and trace.requested_model.startswith("claude-")
    assert trace.decision is not None and trace.decision["alias"]["pattern"].startswith("claude-*")
    assert trace.outcome == "ok" and trace.model in daemon.sim.profiles
    # Its long system prompt and tool schemas are context, not the ask: "say hello" is no frontier work.
    tiers = {c["model"]: c["tier"] for c in trace.decision["candidates"]}
    assert tiers[trace.model] != "frontier", trace.decision["reason"]
    [seen] = daemon.sim.requests
    assert seen.model == trace.model
    assert out.strip() == seen.reply_text  # what the agent printed is what the model said


async def test_claude_code_reads_a_file_with_its_read_tool_and_answers(agents, daemon: Daemon, tmp_path) -> None:
    notes = tmp_path / "work" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("the launch code is 7431-ZEBRA\n")
    # The sim calls a tool the prompt names, with the JSON object after the name as its arguments.
    prompt = f'Use Read {json.dumps({"file_path": str(notes)})} and tell me what the file says'
    code, out, err = await claude(agents, daemon, tmp_path, prompt)
    assert code == 0, err
    asked, answered = await daemon.traces(2)
    assert asked.requested_model == answered.requested_model and asked.requested_model.startswith("claude-")
    first, second = daemon.sim.requests
    assert first.reply_text == json.dumps({"file_path": str(notes)})  # the model asked for the Read tool
    assert "7431-ZEBRA" in json.dumps(second.body["messages"][-3:])  # the file came back as the tool's result
    assert out.strip() == second.reply_text


async def test_claude_code_told_a_named_model_cannot_serve_stops_and_says_why(agents, daemon: Daemon, tmp_path) -> None:
    # claude-sonnet is configured but disabled here: it used to answer 503 overloaded_error, which Claude
    # Code retried for minutes; a 400 that says why ends the run at once.
    code, out, err = await claude(agents, daemon, tmp_path, "say hello", "--model", "claude-sonnet")
    assert code != 0
    assert "claude-sonnet cannot serve: disabled in config" in out + err
    traces = await daemon.traces(1)
    assert {(t.requested_model, t.error_code) for t in traces} == {("claude-sonnet", "model_unavailable")}
    assert daemon.sim.requests == []


@pytest.mark.parametrize("model", [None, "gpt-5-codex"])
async def test_codex_exec_answers_through_the_responses_api(agents, daemon: Daemon, tmp_path, model) -> None:
    # Its default model gets its tools as an additional_tools input item; a model it has no metadata
    # for gets them in `tools`, with OpenAI's hosted web search among them (left out for the sim).
    codex_home = tmp_path / "codex"
    codex_home.mkdir()
    # The README's config.toml, as written there (the model line is the one a user may add).
    config = localized(readme_block("### Codex", "toml"), daemon.url, daemon.key)
    assert f'base_url = "{daemon.url}/v1"' in config
    (codex_home / "config.toml").write_text((f'model = "{model}"\n' if model else "") + config)
    (tmp_path / "home").mkdir()
    readme = exports(readme_block("Codex speaks only the Responses API", "sh"))
    assert set(readme) == {"SWITCHBOARD_API_KEY"}, readme
    env = closed_network_env(tmp_path / "home", CODEX_HOME=str(codex_home), SWITCHBOARD_API_KEY=daemon.key)
    code, out, err = await run([str(agents / "codex"), "exec", "--skip-git-repo-check", "say hello"], env, tmp_path)
    assert code == 0, err
    [trace] = await daemon.traces(1)
    assert trace.outcome == "ok" and trace.requested_model is not None
    assert trace.requested_model in err  # Codex names the model it asked for in its banner; the trace keeps it
    assert model is None or trace.requested_model == model
    assert trace.decision is not None and trace.decision["alias"]["to"] == "auto"
    [seen] = daemon.sim.requests
    assert seen.model == trace.model
    assert out.strip() == seen.reply_text
