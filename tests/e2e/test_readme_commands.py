"""Every command the README shows in a shell block runs as written, against a real daemon.

The commands are read from README.md itself, so an example that changes is tested as it now reads.
They run in bash from a scratch directory (``.venv`` linked there, the venv's bin on PATH), with the
daemon's socket, data dir and config in the environment a person's shell would have. The few that
cannot run here are listed with the reason and where they are tested instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from daemon.wire import AskRequest, FeedbackRequest
from tests.support import REPO, running_daemon

NOT_HERE = {
    "make run": "opens the dashboard in a terminal: tests/e2e/test_make_run_signals.py and tests/tui",
    "make test": "is the suite itself",
    "export ": "configures third-party SDKs: tests/e2e/test_sdk_openai.py and test_sdk_anthropic.py",
    "createdb ": "needs the team's PostgreSQL host: tests/e2e/test_team_mode.py runs its own",
    "switchboard store migrate --url postgresql://switchboard@db.internal": "names the team's PostgreSQL host: "
    "tests/e2e/test_team_mode.py",
    "switchboard store copy --from": "names the team's PostgreSQL host: tests/daemon/store/test_store_copy.py",
    ".venv/bin/switchboard tui [": "shows the option syntax and is interactive: tests/tui drives the dashboard",
    "claude mcp add": "configures Claude Code: tests/e2e/test_mcp_tools.py drives the same server",
    "claude ": "is Claude Code itself, interactive: tests/e2e/test_coding_agents.py drives it",
    "codex exec": "is the Codex CLI: tests/e2e/test_coding_agents.py drives it",
    "aider ": "is aider, not installed here: tests/e2e/test_clients_setup.py sends what it sends through LiteLLM",
}

EDITOR = """#!/bin/sh
# A person's edit of an exported matrix: delete the first cell.
exec {python} - "$1" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
first = text.index("[[cells]]\\n")
second = text.find("[[cells]]\\n", first + 1)
open(path, "w").write(text[:first] + (text[second:] if second > 0 else ""))
PY
"""


def readme_commands() -> list[str]:
    """Every command line in the README's ``sh`` blocks (continuations joined, comments kept)."""
    commands, block = [], None
    for line in (REPO / "README.md").read_text().splitlines():
        if line.startswith("```"):
            block = [] if line.strip() == "```sh" and block is None else None
            continue
        if block is not None:
            if commands and commands[-1].endswith("\\"):
                commands[-1] = commands[-1][:-1] + " " + line.strip()
            elif line.strip():
                commands.append(line.strip())
    return commands


def test_the_readme_shows_the_verbs_people_try_first() -> None:
    text = "\n".join(readme_commands())
    for verb in ("ask \"hello\"", "traces", "status", "route", "matrix export", "eval", "budget set", "report"):
        assert verb in text


async def test_every_readme_command_runs_as_written(sim_config_file: Path, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "prompts.jsonl").write_text('{"id": "1", "prompt": "Refactor this class into smaller functions"}\n'
                                           '{"id": "2", "prompt": "hello"}\n')
    editor = tmp_path / "edit-matrix"
    editor.write_text(EDITOR.format(python=sys.executable))
    editor.chmod(0o755)
    ran, skipped = [], []
    async with running_daemon(sim_config_file) as daemon:
        env = {**os.environ, "SWITCHBOARD_SOCKET": str(daemon.socket), "SWITCHBOARD_DATA_DIR": str(daemon.data_dir),
               "SWITCHBOARD_CONFIG": str(daemon.config), "SWITCHBOARD_SIM_KEY": "sim-key", "EDITOR": str(editor),
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        async with daemon.client() as client:
            for name in ("alice", "bob"):  # the team example's developers
                await client.add_developer(name)
            answer = await client.ask(AskRequest(prompt="hello"))
            await client.feedback(FeedbackRequest(trace_id=answer.trace_id, score=1.0, source="agent"))
        for command in readme_commands():
            reason = next((why for prefix, why in NOT_HERE.items() if command.startswith(prefix)), None)
            if reason is not None:
                skipped.append(f"{command[:60]}: {reason}")
                continue
            process = await asyncio.create_subprocess_exec(
                "bash", "-c", f"set -e -o pipefail; {command}", cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
            )
            async with asyncio.timeout(120):
                out, err = await process.communicate()
            text = out.decode() + err.decode()
            assert process.returncode == 0, f"{command}\n{text}"
            assert "Traceback" not in text and '"error"' not in text, f"{command}\n{text}"
            ran.append(command)
    print("\nran:", *ran, "\nnot here:", *skipped, sep="\n  ")
    assert len(ran) >= 12
    assert any("$EDITOR" in c for c in ran)
