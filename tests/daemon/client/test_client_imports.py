"""The client must stay light: the MCP server, LSP bridge and TUI import it and must start fast."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_client_pulls_in_no_litellm_store_or_router() -> None:
    code = (
        "import sys, daemon.client, daemon.wire; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('litellm', 'aiosqlite', 'asyncpg', 'uvicorn', 'starlette')"
        " or m.startswith(('daemon.router', 'daemon.store', 'daemon.gateway', 'daemon.core.services'))]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_importtime_report_shows_no_heavy_module() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import daemon.client"], capture_output=True, text=True, check=True
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "daemon.client" in modules
    assert not any(m.startswith(("litellm", "aiosqlite", "daemon.router")) for m in modules)
