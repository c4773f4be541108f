"""CLI verbs of the router: ``route``, ``matrix`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import os
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
    from daemon.wire import RouteRequest

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
    from daemon.config import load_settings
    from daemon.config.candidates import availability
    from daemon.config.demo import demo_overlay, wants_demo
    from daemon.paths import data_dir
    from daemon.router.batch import route_batch
    from daemon.router.matrix import RoutingMatrix
    from daemon.router.types import Candidate, Tier
    from daemon.sim.demo import SIM_KEY_ENV
    from daemon.store import open_store

    config_path = Path(args.config) if args.config else None
    settings = load_settings(config_path)
    if wants_demo(config_path):  # the models a demo daemon routes to (no call is made: no sim is needed)
        os.environ.setdefault(SIM_KEY_ENV, "simulated")
        settings = load_settings(config_path, overlay=demo_overlay(settings, "http://127.0.0.1:9"))
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
    default_policy = _batch_policy(args.model)
    source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
    out = sys.stdout if not args.output else open(args.output, "w", encoding="utf-8")
    try:
        for number, text in enumerate(source, 1):
            if not text.strip():
                continue
            line, problem = parse_batch_line(text, default_policy)
            if problem is not None:  # this line's error, and the batch goes on
                line_id = line.get("id") if isinstance(line, dict) else None
                out.write(json.dumps({"id": line_id, "line": number,
                                      "error": {"code": "invalid_request", "message": problem}}) + "\n")
                continue
            for decision in route_batch([line], candidates, matrix, settings.routing):
                out.write(json.dumps(decision) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
        if out is not sys.stdout:
            out.close()
    return 0


def _batch_policy(model: str) -> str | None:
    """``--model`` for a batch: ``auto`` (each surface's default) or ``auto:<policy>``."""
    if model == "auto":
        return None
    if model.startswith("auto:") and model[5:]:
        return model[5:]
    from daemon.errors import InvalidRequestError

    raise InvalidRequestError(f"route --batch --model takes auto or auto:<policy>, not {model!r}: a batch compares "
                              "routing decisions, and a pinned model is no decision (`switchboard route --model NAME "
                              "PROMPT` shows one)")


_SURFACES = ("api", "mcp", "lsp", "cli")


def parse_batch_line(text: str, default_policy: str | None = None) -> tuple[Any, str | None]:
    """One batch line as (line, None), or (what could be read, what is wrong with it): a bad line
    becomes that line's error in the output instead of stopping the batch."""
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(line, dict):
        return None, 'a line must be a JSON object like {"id": "1", "prompt": "..."}'
    messages = line.get("messages")
    if messages is not None and (not isinstance(messages, list) or not messages):
        return line, '"messages" must be a non-empty list of chat messages'
    if messages is None and (not isinstance(line.get("prompt"), str) or not line["prompt"].strip()):
        return line, 'a line needs a non-empty string "prompt" (or a list of "messages")'
    if "model" in line and "policy" not in line:  # a line may say auto:<policy> as requests do
        model = line.pop("model")
        if not isinstance(model, str) or not (model == "auto" or model.startswith("auto:")):
            return line, f'"model" must be "auto" or "auto:<policy>", not {model!r}'
        line["policy"] = model[5:] or None if model.startswith("auto:") else None
    tokens = line.get("max_output_tokens")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0):
        return line, f'"max_output_tokens" must be a positive whole number, not {tokens!r}'
    for key, allowed in (("surface", _SURFACES), ("priority", ("normal", "critical"))):
        if key in line and line[key] not in allowed:
            return line, f'"{key}" must be one of {", ".join(allowed)}, not {line[key]!r}'
    if line.get("policy") is not None and not isinstance(line["policy"], str):
        return line, f'"policy" must be a policy name (a string), not {line["policy"]!r}'
    if line.get("policy") is None and default_policy is not None:
        line["policy"] = default_policy
    return line, None


async def cmd_matrix(args: argparse.Namespace) -> int:
    """Show, export or import the routing matrix."""
    if args.action == "import" and not args.file:
        print("switchboard matrix import: give the FILE to import (`switchboard matrix export FILE` writes one)",
              file=sys.stderr)
        return 2
    async with _client(args) as client:
        if args.action == "export":
            text = await client.request_raw("GET", "/api/matrix/export")
            if not args.file:
                print(text, end="")
                return 0
            Path(args.file).write_text(text, encoding="utf-8")
            cells = sum(line == "[[cells]]" for line in text.splitlines())
            print(f"wrote {cells} cells to {args.file}; edit it, then `switchboard matrix import {args.file}` "
                  "(import replaces the whole matrix)", file=sys.stderr)
            return 0
        if args.action == "import":
            body = Path(args.file).read_text(encoding="utf-8")
            info = json.loads(await client.request_raw("POST", "/api/matrix/import", content=body.encode()))
            print(f"imported {len(info['cells'])} cells from {args.file}; the matrix is now version {info['version']}")
            return 0
        info = await client.matrix(task_type=args.task_type, model=args.model)
    if args.json:
        print(info.model_dump_json(indent=2))
        return 0
    for line in matrix_lines(info, every_band=args.every_band):
        print(line)
    return 0


def matrix_lines(info: Any, *, every_band: bool = False) -> list[str]:
    """The quality the router would use per (task type, band) and model, with its evidence: a cell's
    own evidence as ``(n)``, ``~`` where the estimate backs off to the model's wider record, ``·``
    where it is the prior alone."""
    from daemon.router.matrix import band_label

    by_key = {(q.task_type, q.band, q.model): q for q in info.grid}
    with_evidence = {(q.task_type, q.band) for q in info.grid if q.evidence > 0}
    rows = sorted({(q.task_type, q.band) for q in info.grid} if every_band else with_evidence,
                  key=lambda r: (r[0], r[1]))
    width = max([12, *(len(m) + 1 for m in info.models)])
    lines = [f"routing matrix v{info.version}: the quality the router uses, with its evidence "
             f"({len(info.cells)} cells have evidence)",
             f"  {'task type':<16} {'complexity':<10} " + "".join(f"{m:>{width}}" for m in info.models)]
    for task, band in rows:
        values = []
        for model in info.models:
            q = by_key.get((task, band, model))
            if q is None:
                values.append(f"{'-':>{width}}")
                continue
            mark = f" ({q.evidence:.1f})" if 0 < q.evidence < 10 else f" ({q.evidence:.0f})" if q.evidence > 0 else (" ~" if q.source != "prior" else " ·")
            values.append(f"{q.quality:.2f}{mark}".rjust(width))
        lines.append(f"  {task:<16} {band_label(band):<10} " + "".join(values))
    if not rows:
        lines.append("  (no evidence yet: every decision uses the priors; `switchboard matrix --every-band` shows them;"
                     " rate results to teach it)")
    elif not every_band:
        lines.append("  other bands use backed-off estimates and priors: `switchboard matrix --every-band` shows all")
    lines.append("  (n) outcomes behind the cell · ~ backed off to the model's record on the task type or overall · "
                 "· prior only")
    return lines


async def cmd_eval(args: argparse.Namespace) -> int:
    """Run the evaluation job now."""
    from daemon.wire import EvalRequest

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
    p.add_argument("prompt", nargs="?", help="the prompt to route (or --batch FILE)")
    p.add_argument("--model", default="auto", help="auto, auto:<policy>, or a configured model (with --batch: "
                                                    "auto or auto:<policy>, for lines that name none)")
    p.add_argument("--surface", default="cli", choices=["api", "mcp", "lsp", "cli"],
                   help="route as if the request came this way (each surface has its default policy)")
    p.add_argument("--max-tokens", type=int, default=None, help="the answer's token budget (changes predicted cost)")
    p.add_argument("--critical", action="store_true", help="mark the request critical (keeps the frontier tier)")
    p.add_argument("--batch", metavar="FILE", help='route JSON lines {"id", "prompt"} offline ("-" for stdin)')
    p.add_argument("--output", help="with --batch: write here instead of stdout")
    p.add_argument("--config", help="with --batch: config file for the models")
    p.add_argument("--no-matrix", action="store_true", help="with --batch: ignore the stored matrix (priors only)")

    p = verb("matrix", cmd_matrix, "show the routing matrix, or export/import it as TOML", json_flag=True)
    p.add_argument("action", nargs="?", choices=["show", "export", "import"], default="show",
                   help="show (default), export [FILE] (stdout without a FILE) or import FILE (replaces the matrix)")
    p.add_argument("file", nargs="?", help="TOML file for export/import")
    p.add_argument("--task-type", help="only this task type (code_completion, code_edit, prose, ...)")
    p.add_argument("--model", help="only this model")
    p.add_argument("--every-band", action="store_true", help="every complexity band, not only those with evidence")

    p = verb("eval", cmd_eval, "grade a sample of recent traces now and update the matrix", json_flag=True)
    p.add_argument("--sample", type=int, default=20, help="grade at most this many traces (default 20)")
    p.add_argument("--since-hours", type=float, default=24.0, help="from the last N hours (default 24)")
