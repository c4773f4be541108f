"""CLI verbs of the router: ``route``, ``matrix`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _client(args: argparse.Namespace):
    from daemon.client import DaemonClient

    return DaemonClient(args.socket, autostart=True, data_dir=args.data_dir)


async def cmd_route(args: argparse.Namespace) -> int:
    """Print the routing decision for a prompt (no model is called), or route a batch file offline."""
    if args.batch:
        return await _route_batch(args)
    if not args.prompt:
        print("switchboard route: give a PROMPT or --batch FILE", file=sys.stderr)
        return 2
    from daemon.api.wire import RouteRequest

    request = RouteRequest(prompt=args.prompt, model=args.model, surface=args.surface, max_tokens=args.max_tokens,
                           priority="critical" if args.critical else "normal")
    async with _client(args) as client:
        decision = await client.route(request)
    if args.json:
        print(decision.model_dump_json(indent=2))
        return 0
    print(f"→ {decision.model}   ({decision.reason})")
    print(f"  {decision.task_type}, complexity {decision.complexity:.2f}; policy {decision.policy} ({decision.policy_kind}); "
          f"matrix v{decision.matrix_version}" + ("; budget step-down" if decision.stepped_down else ""))
    if decision.drivers:
        print("  complexity driven by: " + ", ".join(f"{name} {value:+.2f}" for name, value in decision.drivers))
    if decision.fallbacks:
        print(f"  fallbacks: {', '.join(decision.fallbacks)}")
    print(f"  {'model':<18} {'tier':<9} {'quality':>7} {'evidence':>8} {'p95 ms':>8} {'cost $':>10}  note")
    for c in decision.candidates:
        note = "" if c.eligible else f"excluded: {c.excluded_reason}"
        q = f"{c.predicted_quality:.2f}" if c.predicted_quality is not None else "-"
        lat = f"{c.predicted_latency_ms:.0f}" if c.predicted_latency_ms is not None else "-"
        cost = f"{c.predicted_cost_usd:.6f}" if c.predicted_cost_usd is not None else "-"
        evidence = f"{c.evidence:.1f}" if c.evidence else "prior"
        print(f"  {c.model:<18} {c.tier or '-':<9} {q:>7} {evidence:>8} {lat:>8} {cost:>10}  {note}")
    return 0


async def _route_batch(args: argparse.Namespace) -> int:
    """Offline routing of a JSON-lines file with the configured models and the stored matrix."""
    from daemon.candidates import availability
    from daemon.config import load_settings
    from daemon.paths import data_dir
    from daemon.router.batch import route_batch
    from daemon.router.matrix import RoutingMatrix
    from daemon.router.types import Candidate, Tier
    from daemon.store import open_store

    settings = load_settings(Path(args.config) if args.config else None)
    reasons = availability(settings)
    candidates = [
        Candidate(name=n, tier=Tier(m.tier), input_usd_per_mtok=m.input_usd_per_mtok,
                  output_usd_per_mtok=m.output_usd_per_mtok, context_window=m.context_window,
                  capabilities=frozenset(m.capabilities), excluded_reason=reasons[n], quality_prior=m.quality,
                  fallbacks=m.fallbacks, provider=m.provider)
        for n, m in settings.models.items()
    ]
    matrix = RoutingMatrix()
    db = data_dir(args.data_dir) / "switchboard.db"
    if db.exists() and not args.no_matrix:
        store = open_store(settings.store.url, db.parent)
        await store.open()
        try:
            version, rows = await store.load_matrix()
        finally:
            await store.close()
        matrix = RoutingMatrix.from_rows([r.__dict__ for r in rows], version=version)
    source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
    out = sys.stdout if not args.output else open(args.output, "w", encoding="utf-8")
    try:
        lines = (_parse_line(n, text) for n, text in enumerate(source, 1) if text.strip())
        for decision in route_batch(lines, candidates, matrix, settings.routing):
            out.write(json.dumps(decision) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
        if out is not sys.stdout:
            out.close()
    return 0


def _parse_line(number: int, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return {"id": f"line-{number}", "prompt": None, "_error": str(exc)}


async def cmd_matrix(args: argparse.Namespace) -> int:
    """Show, export or import the routing matrix."""
    async with _client(args) as client:
        if args.action == "export":
            response = await client.request_raw("GET", "/api/matrix/export")
            Path(args.file).write_text(response) if args.file else print(response)
            return 0
        if args.action == "import":
            body = Path(args.file).read_text(encoding="utf-8")
            info = await client.request_raw("POST", "/api/matrix/import", content=body.encode())
            print(f"imported; matrix is now version {json.loads(info)['version']}")
            return 0
        info = await client.matrix(task_type=args.task_type, model=args.model)
    if args.json:
        print(info.model_dump_json(indent=2))
        return 0
    print(f"routing matrix v{info.version} ({len(info.cells)} cells with evidence)")
    print(f"  {'task type':<16} {'band':>4} {'model':<18} {'quality':>7} {'evidence':>8} {'p95 ms':>8}")
    for c in info.cells:
        p95 = f"{c.latency_p95_ms:.0f}" if c.latency_p95_ms is not None else "-"
        print(f"  {c.task_type:<16} {c.band:>4} {c.model:<18} {c.quality:>7.2f} {c.evidence:>8.1f} {p95:>8}")
    if not info.cells:
        print("  (no evidence yet: decisions use the priors from config; rate results to teach it)")
    return 0


async def cmd_eval(args: argparse.Namespace) -> int:
    """Run the evaluation job now."""
    from daemon.api.wire import EvalRequest

    async with _client(args) as client:
        result = await client.run_eval(EvalRequest(sample=args.sample, since_hours=args.since_hours))
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        shadows = (f", {result.shadow_compared} compared with a second model's answer "
                   f"(${result.shadow_cost_usd:.4f} of it)") if result.shadow_compared or result.shadow_cost_usd else ""
        print(f"graded {result.scored} traces ({result.judged} by the judge{shadows}) for ${result.cost_usd:.4f}; "
              f"matrix is now version {result.matrix_version}, {result.outcomes_learned} outcomes learned")
    return 0


def register(verb: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the router's verbs to the ``switchboard`` parser (``verb`` is cli.build_parser's helper)."""
    p = verb("route", cmd_route, "show which model would serve a prompt and why (no model call)", json_flag=True)
    p.add_argument("prompt", nargs="?")
    p.add_argument("--model", default="auto", help="auto, auto:<policy>, or a configured model")
    p.add_argument("--surface", default="cli", choices=["api", "mcp", "lsp", "cli"])
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--critical", action="store_true")
    p.add_argument("--batch", metavar="FILE", help='route JSON lines {"id", "prompt"} offline ("-" for stdin)')
    p.add_argument("--output", help="with --batch: write here instead of stdout")
    p.add_argument("--config", help="with --batch: config file for the models")
    p.add_argument("--no-matrix", action="store_true", help="with --batch: ignore the stored matrix (priors only)")

    p = verb("matrix", cmd_matrix, "show the routing matrix, or export/import it as TOML", json_flag=True)
    p.add_argument("action", nargs="?", choices=["show", "export", "import"], default="show")
    p.add_argument("file", nargs="?", help="TOML file for export/import")
    p.add_argument("--task-type")
    p.add_argument("--model")

    p = verb("eval", cmd_eval, "grade a sample of recent traces now and update the matrix", json_flag=True)
    p.add_argument("--sample", type=int, default=20)
    p.add_argument("--since-hours", type=float, default=24.0)
