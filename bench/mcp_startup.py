"""How fast ``switchboard mcp`` starts, and what it imports.

Agents launch the MCP server on demand and wait for it, so it must start in well under a second and
never import LiteLLM, the router or the store. Measured, each ``--runs`` times (medians printed):

- ``python -c pass``: the interpreter alone;
- ``python -c "import mcp.server.mcpserver"``: the MCP SDK alone, the floor of any Python MCP server;
- ``python -m mcp_server --help``: argparse only (the SDK is imported only when serving);
- ``python -m mcp_server`` until it answers ``initialize`` on stdio, with a daemon running: the
  startup an agent sees. The process relays to the daemon's ``/mcp`` (which loaded the SDK once;
  the first ``/mcp`` request after the daemon starts pays that, shown separately);
- ``python -m mcp_server --in-process`` likewise: the same server loaded in the agent's process;
- ``python -X importtime -m mcp_server --help`` and an import of ``mcp_server.server``: whether any
  forbidden module is imported, and the biggest imports.

Usage: ``.venv/bin/python bench/mcp_startup.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.support (a daemon on the simulated providers)
TARGET_S = 1.0
FORBIDDEN = ("litellm", "daemon.router", "daemon.store", "daemon.gateway", "daemon.core.services", "aiosqlite")
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}


CPU: list[float] = []
"""CPU seconds (user + system) of each measured child, in run order: less sensitive to a loaded box than wall time."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str]) -> float:
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    elapsed = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    return elapsed


def _time_to_initialize(env: dict[str, str], *args: str) -> float:
    """Wall time to the initialize answer (CPU is recorded up to exit, which adds a clean shutdown)."""
    cpu, start = _children_cpu(), time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "mcp_server", *args], cwd=REPO, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin and process.stdout
    process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    elapsed = time.perf_counter() - start
    assert answer.get("id") == 1 and "result" in answer, answer
    process.stdin.close()
    process.wait(timeout=30)
    CPU.append(_children_cpu() - cpu)
    return elapsed


def _imports(args: list[str], env: dict[str, str]) -> list[tuple[str, int]]:
    """(module, cumulative microseconds) from ``-X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
            rows.append((name, int(cumulative)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(_with_daemon(args.runs))


async def _with_daemon(runs: int) -> None:
    from daemon.sim import SimServer
    from tests.support import running_daemon, sim_config, write_config

    scratch = Path(tempfile.mkdtemp(prefix="sb-bench-", dir="/tmp"))
    async with SimServer() as sim:
        config = write_config(scratch / "config.toml", sim_config(sim.url))
        async with running_daemon(config) as daemon:
            env = {**os.environ, "SWITCHBOARD_SOCKET": str(daemon.socket), "SWITCHBOARD_DATA_DIR": str(daemon.data_dir),
                   "SWITCHBOARD_NO_AUTOSTART": "1"}
            await asyncio.to_thread(_measure, runs, env)


def _measure(runs: int, env: dict[str, str]) -> None:
    load = os.getloadavg()[0]
    first = _time_to_initialize(env)  # the daemon loads the MCP SDK on its first /mcp request

    cpu: dict[str, list[float]] = {}

    def measure(name: str, run) -> list[float]:
        CPU.clear()
        walls = [run() for _ in range(runs)]
        cpu[name] = list(CPU)
        return walls

    bare = measure("bare", lambda: _timed([sys.executable, "-c", "pass"], env))
    sdk = measure("sdk", lambda: _timed([sys.executable, "-c", "import mcp.server.mcpserver"], env))
    help_ = measure("help", lambda: _timed([sys.executable, "-m", "mcp_server", "--help"], env))
    init = measure("init", lambda: _time_to_initialize(env))
    in_process = measure("in_process", lambda: _time_to_initialize(env, "--in-process"))

    help_imports = _imports(["-m", "mcp_server", "--help"], env)
    server_imports = _imports(["-c", "import mcp_server.server"], env)
    forbidden = sorted({name for name, _ in help_imports + server_imports
                        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)})
    total = {name: us for name, us in server_imports if name == "mcp_server.server"}.get("mcp_server.server", 0)
    top = sorted((r for r in server_imports if "." not in r[0] or r[0] in ("mcp.server", "daemon.client")),
                 key=lambda r: -r[1])[:6]

    print(f"switchboard mcp startup — {runs} runs each, medians; load average {load:.1f} on {os.cpu_count()} CPUs")
    def row(label: str, values: list[float], key: str, target: str = "") -> None:
        print(f"{label:<46}{statistics.median(values):>9.3f}s{min(values):>9.3f}s"
              f"{statistics.median(cpu[key]):>9.3f}s{target:>10}")

    print(f"{'':<46}{'wall med':>10}{'wall min':>10}{'CPU med':>10}{'target':>10}")
    row("python -c pass", bare, "bare")
    row('python -c "import mcp.server.mcpserver" (SDK)', sdk, "sdk")
    row("python -m mcp_server --help", help_, "help")
    row("python -m mcp_server -> initialize answered", init, "init", f"< {TARGET_S:.1f}s")
    row("python -m mcp_server --in-process -> initialize", in_process, "in_process")
    print(f"(the first relay after the daemon started, which made the daemon load the SDK: {first:.3f}s)")
    verdict = "met" if statistics.median(init) < TARGET_S else "NOT met"
    print(f"startup target (< {TARGET_S:.1f} s to initialize): {verdict}")
    print(f"modules imported by --help: {len(help_imports)}; by the server: {len(server_imports)}")
    print(f"forbidden imports ({', '.join(FORBIDDEN)}): {', '.join(forbidden) or 'none'}")
    print(f"import mcp_server.server: {total / 1e6:.3f}s cumulative; largest top-level imports:")
    for name, us in top:
        print(f"  {name:<40}{us / 1e6:>8.3f}s")


if __name__ == "__main__":
    main()
