"""The bridge stays a thin client: loading it never loads LiteLLM, the router or the store."""

from __future__ import annotations

import subprocess
import sys

from tests.support import REPO

HEAVY = ("litellm", "daemon.router", "daemon.store", "daemon.gateway", "daemon.core.pipeline", "aiosqlite", "starlette")


def test_loading_the_language_server_loads_no_daemon_internals() -> None:
    probe = (
        "import sys, lsp.server\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.strip() == ""


def test_what_loads_before_initialize_is_answered_is_the_completion_path_without_pygls() -> None:
    """``python -m lsp`` loads ``lsp.prelude`` (the daemon client and the completion engine) before it
    answers ``initialize``, and pygls afterwards in a thread: the prelude must not load pygls or
    lsprotocol (most of a second), nor anything heavy of the daemon."""
    probe = (
        "import sys, lsp.prelude, lsp.handshake, lsp.stdio\n"
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'cattrs', 'daemon.client', 'lsp.completion') if m in sys.modules))\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    assert result.stdout.splitlines() == ["['daemon.client', 'lsp.completion']", "[]"]
