"""The path of one ``/v1/chat/completions`` request through the daemon's modules, counted.

    .venv/bin/python bench/request_path.py [--rev GIT_REV ...] [--requests 20]

The daemon's own app and services run in process on the instant sim (the app's lifespan, its ASGI app
behind the socket listener's identification, an httpx ASGI transport: no socket, no other process);
after warm-up requests, ``sys.setprofile`` follows each counted request's own task and notes every call
from code in one part of the daemon into another (a module; each foundation package, ``router/``,
``gateway/``, ``store/``..., counts as one part; modules of the layout before issue 21 are named as
now, so both layouts count alike). Per request it prints the parts entered, those calls,
the ones back into a module the request had been in before, and the calls into the budget code (the
accounting module): how far the request path goes back and forth. Work done
after the answer (the trace's record, the trace writer) runs outside the request's task and is not
counted. For the working tree and for each ``--rev`` (checked out into a temporary git worktree).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOUNDATIONS = ("router", "gateway", "store", "budgets", "guard", "config", "sim")
"""Packages counted as one place each: a request's path through the router's or the gateway's own
modules is their business; what is counted is how the daemon's parts hand the request around."""
BEFORE_LAYOUT = {
    "pipeline": "core.pipeline", "accounting": "core.accounting", "routing": "core.routing",
    "strategies": "core.strategies", "learning": "core.learning", "tracing": "core.tracing",
    "services": "core.services", "candidates": "config", "aliases": "config", "config_watch": "config",
    "api.wire": "wire", "savings": "api.savings", "telemetry": "jobs.telemetry", "app": "app.server",
    "heap": "app.heap", "event_loop": "app.event_loop",
}
"""Where each module of the layout before issue 21 lives now, so both layouts are counted alike."""


def place(module: str) -> str:
    """The part of the daemon ``module`` belongs to, named as in the current layout."""
    name = module.removeprefix("daemon.")
    name = BEFORE_LAYOUT.get(name, name)
    top = name.split(".")[0]
    return top if top in FOUNDATIONS else name


def _count(requests: int) -> dict[str, float]:
    """In the child: the daemon of the tree on ``sys.path`` first, measured."""
    import httpx

    from daemon.sim import SimServer

    try:
        from daemon.app.lifespan import open_services
        from daemon.app.server import build_app
        from daemon.core.services import DaemonOptions
    except ImportError:  # the layout before issue 21
        from daemon.services import DaemonOptions, open_services  # type: ignore[no-redef]

        from daemon.app import build_app  # type: ignore[no-redef]
    from daemon.api.auth import IdentifyDeveloper

    sys.path.insert(0, str(REPO / "bench"))
    from gateway_overhead import _body, write_sim_config

    async def main() -> dict[str, float]:
        path, body = _body("openai", False)
        with tempfile.TemporaryDirectory(prefix="sb-path-") as tmp:
            work = Path(tmp)
            async with SimServer() as sim:
                config = write_sim_config(sim.url, work)
                options = DaemonOptions(socket=work / "d.sock", data_dir=work / "data", config_path=config, http="")
                async with open_services(options) as services:
                    app = IdentifyDeveloper(build_app(services), services, "unix")
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://switchboard") as client:
                        for _ in range(20):
                            (await client.post(path, json=body)).raise_for_status()
                        totals = {"modules": 0, "crossings": 0, "returns": 0, "accounting": 0}
                        for _ in range(requests):
                            seen = await _profiled(client.post(path, json=body))
                            for key, value in seen.items():
                                totals[key] += value
        return {key: value / requests for key, value in totals.items()}

    return asyncio.run(main())


async def _profiled(call) -> dict[str, int]:
    """Follow the request's own task: every call from code in one daemon module into another (a coroutine
    resumed after an await is not a call: only its first entry counts)."""
    task = asyncio.current_task()
    begun: dict[int, object] = {}  # frames already entered (kept alive, so their ids stay theirs)
    crossings: list[tuple[str, str]] = []

    def profile(frame, event, arg) -> None:
        if event != "call" or id(frame) in begun or asyncio.current_task() is not task:
            return
        begun[id(frame)] = frame
        module = frame.f_globals.get("__name__", "")
        caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back is not None else ""
        if module.startswith("daemon.") and caller.startswith("daemon.") and place(module) != place(caller):
            crossings.append((place(caller), place(module)))

    sys.setprofile(profile)
    try:
        response = await call
    finally:
        sys.setprofile(None)
    response.raise_for_status()
    entered: set[str] = set()
    again = 0
    for caller, module in crossings:
        entered.add(caller)
        if module in entered:
            again += 1
        entered.add(module)
    accounting = sum(1 for caller, module in crossings if module == "core.accounting")
    return {"modules": len(entered), "crossings": len(crossings), "returns": again, "accounting": accounting}


def _measure(tree: Path, requests: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "SWITCHBOARD_SIM_KEY": "sim"}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--requests", str(requests)],
                         cwd=tree, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tree}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append", default=[], help="a git revision to count too (repeatable)")
    parser.add_argument("--requests", type=int, default=20, help="requests counted (default 20)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_count(args.requests)))
        return 0
    results = {"working tree": _measure(REPO, args.requests)}
    with tempfile.TemporaryDirectory(prefix="sb-path-rev-") as tmp:
        for index, rev in enumerate(args.rev):
            tree = Path(tmp) / f"rev-{index}"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(tree), rev],
                           check=True, capture_output=True)
            try:
                results[rev] = _measure(tree, args.requests)
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    print(f"one /v1/chat/completions request through the daemon's modules (mean of {args.requests})\n")
    print(f"{'':34}" + "".join(f"{label[:16]:>18}" for label in results))
    for key, label in (("modules", "parts entered"), ("crossings", "calls from one part into another"),
                       ("returns", "calls back into a part entered before"),
                       ("accounting", "calls into accounting")):
        print(f"{label:34}" + "".join(f"{results[name][key]:>18.1f}" for name in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
