"""The README's setup of the SDKs and aider, run as the README writes it against the real daemon.

The Python snippets of "The OpenAI and Anthropic SDKs" run as they are, pointed at the test's daemon
and key. aider is not installed here (its install is heavier than the suite); it calls models
through LiteLLM, so its documented setup is checked by sending what aider sends: ``litellm.completion``
with the README's ``--model``/``--weak-model`` names and its ``OPENAI_API_BASE``/``OPENAI_API_KEY``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import sys

from tests.daemon.gateway.served import Served
from tests.readme import exports, localized, readme_block

AIDER = """
import sys
import litellm
for model in sys.argv[1:]:
    reply = litellm.completion(model=model, messages=[{"role": "user", "content": "say hello"}], num_retries=0)
    print(reply.model)
"""


def _run_snippet(code: str) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102 - the README's own snippet
    return printed.getvalue()


async def test_the_readme_openai_sdk_snippet_runs_and_names_the_model_that_answered(served: Served) -> None:
    code = localized(readme_block("### The OpenAI and Anthropic SDKs", "python"), served.url, served.key)
    assert "from openai import OpenAI" in code
    printed = await asyncio.to_thread(_run_snippet, code)
    [trace] = await served.traces(1)
    assert printed.split(" ", 1)[0] == trace.answered_model and trace.outcome == "ok"
    assert trace.requested_model == "auto"


async def test_the_readme_anthropic_sdk_snippet_runs_through_the_claude_alias(served: Served) -> None:
    code = localized(readme_block("### The OpenAI and Anthropic SDKs", "python", index=1), served.url, served.key)
    assert "from anthropic import Anthropic" in code
    printed = await asyncio.to_thread(_run_snippet, code)
    [trace] = await served.traces(1)
    assert printed.split(" ", 1)[0] == trace.answered_model and trace.outcome == "ok"
    assert trace.requested_model == "claude-sonnet-5"
    assert trace.decision is not None and trace.decision["alias"]["pattern"] == "claude-*sonnet*"


async def test_what_aider_sends_with_the_readme_setup_is_accepted(served: Served) -> None:
    block = localized(readme_block("### aider", "sh"), served.url, served.key)
    env = exports(block)
    assert set(env) == {"OPENAI_API_BASE", "OPENAI_API_KEY"}, env
    command = next(line for line in block.splitlines() if line.startswith("aider "))
    models = [re.search(rf"{flag} (\S+)", command)[1] for flag in ("--model", "--weak-model")]  # type: ignore[index]
    assert models == ["openai/auto", "openai/auto:cheapest"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SWITCHBOARD_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", AIDER, *models, env={**clean, **env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]
    traces = await served.traces(2)
    assert {t.requested_model for t in traces} == {"auto", "auto:cheapest"}  # the provider prefix is LiteLLM's
    assert all(t.outcome == "ok" for t in traces)
    assert set(out.decode().split()) <= {t.answered_model for t in traces} | {f"openai/{t.answered_model}" for t in traces}
