"""Gateway overhead, side by side in one run: direct to the provider, a bare hop, Switchboard, the LiteLLM proxy.

    .venv/bin/python bench/gateway_overhead.py [--litellm-python /tmp/litellm-proxy-venv/bin/python]

Everything runs as separate processes on this machine against the simulated provider with instant
profiles (no latency, no pacing): the sim, a real `switchboard daemon` (routing and traces on),
`bench/bare_hop.py` (Starlette on uvicorn forwarding with aiohttp, nothing else: the floor any Python
gateway on these parts pays) and `litellm --config` (the LiteLLM proxy; its extras are not in the
project lock, so point ``--litellm-python`` at a throwaway venv that has them, or pass ``--no-litellm``).

For each of OpenAI and Anthropic formats, streamed and not, it measures p50 latency with one client
and throughput with 32 concurrent clients, and checks the targets: Switchboard adds at most 1 ms p50
over a direct call, and carries at least 25x the LiteLLM proxy's throughput. The 1 ms was set on a
machine where the bare hop added 0.4 ms; this machine's speed varies, so each verdict also gives the
bare hop's figure from the same run and the target scaled by it (2.5x the bare hop's added time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from daemon.client import DaemonClient  # noqa: E402
from daemon.config import DEFAULT_CONFIG_PATH, read_toml  # noqa: E402
from daemon.sim import demo_models_config  # noqa: E402

PROMPT = "Give me a one-line status update."
MASTER_KEY = "sk-bench-master-key-0123456789abcdef"
TARGET_ADDED_P50_MS = 1.0
TARGET_THROUGHPUT_RATIO = 25.0
BARE_HOP_ADDED_WHEN_SET_MS = 0.4
"""What the bare hop added on the machine where the 1 ms target was set."""


@dataclass(frozen=True)
class Target:
    """Where requests go and how they authenticate."""

    name: str
    base: str
    headers: dict[str, str]


def _body(fmt: str, stream: bool) -> tuple[str, dict]:
    if fmt == "openai":
        return "/v1/chat/completions", {"model": "sim-nano", "messages": [{"role": "user", "content": PROMPT}],
                                        "stream": stream}
    return "/v1/messages", {"model": "sim-claude", "max_tokens": 256,
                            "messages": [{"role": "user", "content": PROMPT}], "stream": stream}


async def _one(session: aiohttp.ClientSession, target: Target, path: str, payload: bytes) -> None:
    async with session.post(target.base + path, data=payload, headers=target.headers) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{target.name} answered {response.status}: {body[:300]!r}")


async def p50_ms(target: Target, fmt: str, stream: bool, n: int) -> float:
    """Median latency of ``n`` sequential requests from one client (after a warm-up)."""
    path, body = _body(fmt, stream)
    payload = json.dumps(body).encode()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for _ in range(max(10, n // 10)):
            await _one(session, target, path, payload)
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            await _one(session, target, path, payload)
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


async def throughput(target: Target, fmt: str, stream: bool, clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` concurrent clients over ``seconds``."""
    path, body = _body(fmt, stream)
    payload = json.dumps(body).encode()
    done = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        for _ in range(clients):
            await _one(session, target, path, payload)
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < end:
                await _one(session, target, path, payload)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return done / elapsed


# -- processes ------------------------------------------------------------------------------------------


def start_bare_hop(sim_url: str) -> tuple[subprocess.Popen, Target]:
    """``bench/bare_hop.py`` forwarding to the sim."""
    process = subprocess.Popen([sys.executable, str(REPO / "bench" / "bare_hop.py"), sim_url], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    return process, Target("bare hop", url, {"authorization": "Bearer sim", "x-api-key": "sim",
                                             "anthropic-version": "2023-06-01", "content-type": "application/json"})


def start_sim() -> tuple[subprocess.Popen, str]:
    """The simulated provider, instant profiles, on a free port."""
    process = subprocess.Popen([sys.executable, "-m", "daemon.sim", "--port", "0", "--instant"], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    return process, url


def write_sim_config(sim_url: str, work: Path) -> Path:
    """``work/config.toml``: the shipped models disabled, the sim's models enabled."""
    models = {name: {"enabled": False} for name in read_toml(DEFAULT_CONFIG_PATH).get("models", {})}
    models.update(demo_models_config(sim_url))
    lines = []
    for name, settings in models.items():
        lines.append(f"[models.{json.dumps(name)}]")  # quoted: a shipped name may hold a dot (gpt-4.1-mini)
        lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = work / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def start_switchboard(sim_url: str, work: Path) -> tuple[subprocess.Popen, Target]:
    """A real daemon routing only to the sim's models, TCP on a free port, with a developer key."""
    write_sim_config(sim_url, work)
    socket_path = work / "d.sock"
    env = {**os.environ, "SWITCHBOARD_SIM_KEY": "sim", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    spawned = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon", "daemon", "--socket", str(socket_path), "--data-dir", str(work / "data"),
         "--config", str(work / "config.toml"), "--http", "127.0.0.1:0"],
        cwd=REPO, env=env, stdout=open(work / "daemon.log", "wb"), stderr=subprocess.STDOUT,
    )
    async with DaemonClient(socket_path, autostart=False) as client:
        async with asyncio.timeout(60):
            while not await client.is_running():  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.01)
        print(f"switchboard daemon: /api/health answered {time.perf_counter() - spawned:.2f}s after the process "
              "was spawned (target: within 1 s of start)")
        status = await client.status()
        created = await client.add_developer("bench")
    key = created.key
    return process, Target("switchboard", f"http://{status.http}", {"authorization": f"Bearer {key}",
                                                                    "content-type": "application/json"})


async def start_litellm(python: str, sim_url: str, work: Path) -> tuple[subprocess.Popen, Target]:
    """`litellm --config` (the LiteLLM proxy) routing to the same sim models."""
    config = work / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: sim-nano\n    litellm_params:\n      model: openai/sim-nano\n"
        f"      api_base: {sim_url}/v1\n      api_key: sim\n"
        f"  - model_name: sim-claude\n    litellm_params:\n      model: anthropic/sim-claude\n"
        f"      api_base: {sim_url}\n      api_key: sim\n"
        "litellm_settings:\n  telemetry: false\n"
        f"general_settings:\n  master_key: {MASTER_KEY}\n"
    )
    port = _free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    process = subprocess.Popen(
        [python, "-c", "import sys; from litellm import run_server; "
                       f"sys.argv=['litellm','--config','{config}','--port','{port}','--host','127.0.0.1']; "
                       "run_server()"],
        env=env, stdout=open(work / "litellm.log", "wb"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(180):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the LiteLLM proxy exited; see {work / 'litellm.log'}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(base + "/health/liveliness") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.5)
    return process, Target("litellm proxy", base, {"authorization": f"Bearer {MASTER_KEY}",
                                                   "content-type": "application/json"})


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the run --------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="sb-bench-", dir="/tmp"))
    processes: list[subprocess.Popen] = []
    try:
        sim, sim_url = start_sim()
        processes.append(sim)
        daemon, switchboard = await start_switchboard(sim_url, work)
        processes.append(daemon)
        direct = Target("direct", sim_url, {"authorization": "Bearer sim", "x-api-key": "sim",
                                            "anthropic-version": "2023-06-01", "content-type": "application/json"})
        hop, bare = start_bare_hop(sim_url)
        processes.append(hop)
        targets = [direct, bare, switchboard]
        litellm = None
        if not args.no_litellm:
            proxy, litellm = await start_litellm(args.litellm_python, sim_url, work)
            processes.append(proxy)
            targets.append(litellm)
        print(f"gateway overhead against the instant sim ({args.requests} sequential requests for p50, "
              f"{args.clients} clients x {args.seconds:g}s for throughput)\n")
        header = f"{'format':<10}{'stream':<8}{'target':<15}{'p50 ms':>9}{'req/s':>10}"
        print(header)
        print("-" * len(header))
        ok = True
        verdicts = []
        for fmt in ("openai", "anthropic"):
            for stream in (False, True):
                results: dict[str, tuple[float, float]] = {}
                for target in targets:
                    n = args.requests if target is not litellm else max(50, args.requests // 5)
                    p50 = await p50_ms(target, fmt, stream, n)
                    rps = await throughput(target, fmt, stream, args.clients, args.seconds)
                    results[target.name] = (p50, rps)
                    print(f"{fmt:<10}{str(stream).lower():<8}{target.name:<15}{p50:>9.2f}{rps:>10.0f}")
                added = results["switchboard"][0] - results["direct"][0]
                hop_added = max(results["bare hop"][0] - results["direct"][0], 0.0)
                scaled = TARGET_ADDED_P50_MS * hop_added / BARE_HOP_ADDED_WHEN_SET_MS
                line = (f"{fmt}, stream={str(stream).lower()}: added p50 {added:.2f} ms (target <= {TARGET_ADDED_P50_MS:g}; "
                        f"bare hop added {hop_added:.2f}, so the target scaled to this run is <= {scaled:.2f})")
                good = added <= TARGET_ADDED_P50_MS
                good_scaled = added <= scaled
                if litellm is not None:
                    ratio = results["switchboard"][1] / max(results["litellm proxy"][1], 1e-9)
                    hop_ratio = results["bare hop"][1] / max(results["litellm proxy"][1], 1e-9)
                    line += (f"; throughput {ratio:.1f}x the LiteLLM proxy (target >= {TARGET_THROUGHPUT_RATIO:g}x; "
                             f"bare hop {hop_ratio:.1f}x)")
                    good = good and ratio >= TARGET_THROUGHPUT_RATIO
                    good_scaled = good_scaled and ratio >= TARGET_THROUGHPUT_RATIO
                verdict = "PASS " if good else "PASS (scaled) " if good_scaled else "MISS "
                verdicts.append(verdict + line)
                ok = ok and good
                print()
        print("\n".join(verdicts))
        return 0 if ok else 1
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    """Parse the options and run the comparison."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per p50 (default 400)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients for throughput (default 32)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per throughput run (default 3)")
    parser.add_argument("--litellm-python", default="/tmp/litellm-proxy-venv/bin/python",
                        help="a Python with litellm[proxy] installed (default: /tmp/litellm-proxy-venv/bin/python)")
    parser.add_argument("--no-litellm", action="store_true", help="skip the LiteLLM proxy")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
