"""The bridge stays a thin client: loading it never loads LiteLLM, the router or the store."""

from __future__ import annotations

import subprocess
import sys

from tests.support import REPO

HEAVY = ("litellm", "daemon.router", "daemon.store", "daemon.gateway", "daemon.pipeline", "aiosqlite", "starlette")


def test_loading_the_language_server_loads_no_daemon_internals() -> None:
    probe = (
        "import sys, lsp.server\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.strip() == ""


def test_the_server_answers_initialize_before_loading_the_http_client() -> None:
    probe = "import sys, lsp.server\nprint('httpx' in sys.modules, 'daemon.client' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.split() == ["False", "False"]
