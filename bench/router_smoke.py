"""Obvious-pairs and typed-prompts smoke check of the router (issue 17): a yardstick, not a training set.

    .venv/bin/python bench/router_smoke.py                 # the daemon's own path for an OpenAI chat request
    .venv/bin/python bench/router_smoke.py --via batch     # through `switchboard route --batch FILE --json`
    .venv/bin/python bench/router_smoke.py --details       # also every pair's and prompt's decision

Reads bench/data/obvious_pairs.jsonl (clearly easier / clearly harder requests across code, ops, math,
prose, chat and data) and bench/data/typed_prompts.jsonl (requests with an unambiguous task type), both
written blind to the router (built by ``python -m bench.smoke.build``). A request is a prompt string or
an agent-shaped ``{"messages", "tools"}`` body. Prints:

(a) ordering: the share of pairs whose harder side gets the higher complexity (a tie fails), per domain
    and overall, next to a prompt-length baseline on the same pairs (all message text plus tool schemas);
(b) tiers under ``auto`` with a three-tier config (bench/data/three_tier.toml, list prices; every other
    configured model disabled): how often the harder side goes to a tier at least as high as the easier
    side's, and how many easier sides reach the small tier;
(c) task types: accuracy per type and overall, and every miss.

``--via api`` (default) routes each request as the daemon routes a ``POST /v1/chat/completions`` body:
``openai_compat.chat_request`` -> ``pipeline.routing_input`` -> ``pipeline.decide`` on real services
(config, store and matrix in a temporary directory, so the matrix is empty: priors only). ``--via batch``
sends the same requests through the CLI's offline batch router instead; its lines carry ``messages`` and
``tools`` for agent-shaped requests, which only a batch router that accepts them can route (others are
reported as errors, and count as failures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

DATA = ROOT / "bench" / "data"
PAIRS_FILE = DATA / "obvious_pairs.jsonl"
TYPED_FILE = DATA / "typed_prompts.jsonl"
CONFIG_FILE = DATA / "three_tier.toml"
TIER_RANK = {"small": 0, "medium": 1, "frontier": 2}


@dataclass(frozen=True, slots=True)
class Routed:
    """What the router decided for one request (or why it could not)."""

    task_type: str | None = None
    complexity: float | None = None
    model: str | None = None
    tier: str | None = None
    error: str | None = None


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def openai_body(request: str | dict[str, Any]) -> dict[str, Any]:
    """The chat-completions body a client would send for a request (a string is one user turn)."""
    if isinstance(request, str):
        return {"model": "auto", "messages": [{"role": "user", "content": request}]}
    body = {"model": "auto", "messages": request["messages"]}
    if request.get("tools"):
        body["tools"] = request["tools"]
    return body


def request_size(request: str | dict[str, Any]) -> int:
    """Characters a length heuristic sees: every message's text plus the tool schemas."""
    if isinstance(request, str):
        return len(request)
    text = sum(len(m.get("content") or "") for m in request["messages"])
    return text + (len(json.dumps(request["tools"])) if request.get("tools") else 0)


def requests_of(pairs: Sequence[dict[str, Any]], typed: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every request to route, by a key naming where it came from."""
    out = {f"{p['id']}/{side}": p[side] for p in pairs for side in ("easier", "harder")}
    out.update({f"typed/{t['id']}": t["request"] for t in typed})
    return out


def bench_config(config: Path, directory: Path) -> Path:
    """``config`` plus a table disabling every shipped model it does not declare, so only its models route."""
    from daemon.config import DEFAULT_CONFIG_PATH, read_toml

    own = read_toml(config).get("models", {})
    shipped = read_toml(DEFAULT_CONFIG_PATH).get("models", {})
    extra = "".join(f'\n[models."{name}"]\nenabled = false\n' for name in shipped if name not in own)
    path = directory / "config.toml"
    path.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


async def route_via_api(requests: dict[str, Any], config: Path, directory: Path) -> dict[str, Routed]:
    """Route each request as the daemon routes an OpenAI chat body, on real services in ``directory``."""
    from daemon.api.openai_compat import chat_request
    from daemon.app.lifespan import open_services
    from daemon.core import pipeline
    from daemon.core.services import DaemonOptions
    from daemon.errors import SwitchboardError

    options = DaemonOptions(socket=directory / "unused.sock", data_dir=directory, config_path=config, http="")
    out: dict[str, Routed] = {}
    async with open_services(options) as services:
        tiers = {name: str(model.tier) for name, model in services.settings.models.items()}
        developer = await services.local_developer()
        for key, request in requests.items():
            try:
                chat = chat_request(openai_body(request))
                ctx = pipeline.admit(services, developer, surface="api", requested_model="auto")
                plan = await pipeline.decide(services, ctx, pipeline.routing_input(ctx, chat))
            except SwitchboardError as exc:
                out[key] = Routed(error=f"{exc.code}: {exc.message}")
                continue
            out[key] = Routed(plan.task_type, plan.complexity, plan.chosen, tiers.get(plan.chosen))
    return out


def route_via_batch(requests: dict[str, Any], config: Path, directory: Path) -> dict[str, Routed]:
    """Route each request with ``switchboard route --batch`` (prompt lines, or messages/tools lines)."""
    from daemon.config import load_settings

    tiers = {name: str(model.tier) for name, model in load_settings(config).models.items()}
    batch = directory / "batch.jsonl"
    with batch.open("w", encoding="utf-8") as f:
        for key, request in requests.items():
            line = {"id": key, "prompt": request} if isinstance(request, str) else {"id": key, **request}
            f.write(json.dumps(line) + "\n")
    command = [sys.executable, "-m", "daemon", "route", "--batch", str(batch), "--data-dir", str(directory),
               "--config", str(config), "--no-matrix", "--json"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"switchboard route --batch failed ({proc.returncode}):\n{proc.stderr.strip()}")
    out: dict[str, Routed] = {}
    for row in map(json.loads, proc.stdout.splitlines()):
        if "error" in row:
            out[row["id"]] = Routed(error=f"{row['error']['code']}: {row['error']['message']}")
        else:
            out[row["id"]] = Routed(row["task_type"], row["complexity"], row["model"], tiers.get(row["model"]))
    return out


def route_all(requests: dict[str, Any], via: str, config: Path) -> dict[str, Routed]:
    """Every request's decision, keyed like ``requests``; a request the router did not answer is an error."""
    with tempfile.TemporaryDirectory(prefix="router-smoke-") as tmp:
        directory = Path(tmp)
        config = bench_config(config, directory)
        if via == "api":
            routed = asyncio.run(route_via_api(requests, config, directory))
        else:
            routed = route_via_batch(requests, config, directory)
    return {key: routed.get(key, Routed(error="no decision returned")) for key in requests}


# -- scoring ---------------------------------------------------------------------------------------


def ordered(easier: float | None, harder: float | None) -> bool:
    """The harder side scored strictly higher (a tie, or a missing score, fails)."""
    return easier is not None and harder is not None and harder > easier


def tier_ok(easier: Routed, harder: Routed) -> bool:
    """The harder side went to a tier at least as high as the easier side's."""
    if easier.tier is None or harder.tier is None:
        return False
    return TIER_RANK[harder.tier] >= TIER_RANK[easier.tier]


def share(hits: int, total: int) -> str:
    return f"{hits / total:.2f}" if total else "-"


def pair_groups(pairs: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows of the pairs table: each domain, the agent-shaped pairs, the pairs whose harder side is shorter, all."""
    domains = list(dict.fromkeys(p["domain"] for p in pairs))
    groups = [(d, [p for p in pairs if p["domain"] == d]) for d in domains]
    groups.append(("agent-shaped", [p for p in pairs if isinstance(p["harder"], dict)]))
    groups.append(("harder shorter", [p for p in pairs if request_size(p["harder"]) < request_size(p["easier"])]))
    groups.append(("overall", list(pairs)))
    return groups


def pairs_table(pairs: Sequence[dict[str, Any]], routed: dict[str, Routed]) -> list[str]:
    """(a) ordering by the router and by length, and (b) tier agreement, one row per group."""
    def sides(p: dict[str, Any]) -> tuple[Routed, Routed]:
        return routed[f"{p['id']}/easier"], routed[f"{p['id']}/harder"]

    columns: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
        ("router", lambda p: ordered(*(r.complexity for r in sides(p)))),
        ("length", lambda p: ordered(request_size(p["easier"]), request_size(p["harder"]))),
        ("tier>=", lambda p: tier_ok(*sides(p))),
        ("easy->S", lambda p: sides(p)[0].tier == "small"),
        ("hard->F", lambda p: sides(p)[1].tier == "frontier"),
    ]
    lines = [f"  {'pairs':<15} {'n':>3}  " + "  ".join(f"{name:>7}" for name, _ in columns)]
    for name, group in pair_groups(pairs):
        cells = [share(sum(map(test, group)), len(group)) for _, test in columns]
        lines.append(f"  {name:<15} {len(group):>3}  " + "  ".join(f"{c:>7}" for c in cells))
    return lines


def spread(values: Iterable[float | None]) -> str:
    """Mean and range of the scores given."""
    xs = [v for v in values if v is not None]
    return f"mean {sum(xs) / len(xs):.2f} [{min(xs):.2f}, {max(xs):.2f}]" if xs else "none"


def tier_counts(rows: Iterable[Routed]) -> str:
    counts = Counter(r.tier or "error" for r in rows)
    return ", ".join(f"{tier} {counts[tier]}" for tier in (*TIER_RANK, "error") if counts[tier])


def types_table(typed: Sequence[dict[str, Any]], routed: dict[str, Routed]) -> list[str]:
    """(c) task-type accuracy per type and overall, then every miss."""
    lines = [f"  {'task type':<16} {'n':>3}  {'correct':>7}"]
    hits = 0
    for task_type in dict.fromkeys(t["task_type"] for t in typed):
        group = [t for t in typed if t["task_type"] == task_type]
        ok = sum(routed[f"typed/{t['id']}"].task_type == task_type for t in group)
        hits += ok
        lines.append(f"  {task_type:<16} {len(group):>3}  {share(ok, len(group)):>7}")
    agent = [t for t in typed if isinstance(t["request"], dict)]
    agent_ok = sum(routed[f"typed/{t['id']}"].task_type == t["task_type"] for t in agent)
    lines.append(f"  {'agent-shaped':<16} {len(agent):>3}  {share(agent_ok, len(agent)):>7}")
    lines.append(f"  {'overall':<16} {len(typed):>3}  {share(hits, len(typed)):>7}")
    misses = [t for t in typed if routed[f"typed/{t['id']}"].task_type != t["task_type"]]
    if misses:
        lines.append("  misses (expected -> got, complexity):")
    for t in misses:
        r = routed[f"typed/{t['id']}"]
        got = r.error or f"{r.task_type} ({r.complexity:.2f})"
        shape = " [agent]" if isinstance(t["request"], dict) else ""
        lines.append(f"    {t['id']:<26} {t['task_type']:<16} -> {got}{shape}")
    return lines


def details(pairs: Sequence[dict[str, Any]], typed: Sequence[dict[str, Any]], routed: dict[str, Routed]) -> list[str]:
    """Every decision, for reading the misses."""
    def cell(r: Routed) -> str:
        return r.error or f"{r.complexity:.2f} {r.tier or '?':<8} {r.task_type}"

    lines = ["Pairs (easier | harder; * = ordered wrong):"]
    for p in pairs:
        e, h = routed[f"{p['id']}/easier"], routed[f"{p['id']}/harder"]
        mark = " " if ordered(e.complexity, h.complexity) else "*"
        lines.append(f" {mark} {p['id']:<9} {cell(e):<34} | {cell(h)}")
    lines.append("Typed prompts:")
    lines += [f"   {t['id']:<26} {t['task_type']:<16} {cell(routed['typed/' + t['id']])}" for t in typed]
    return lines


def report(pairs: Sequence[dict[str, Any]], typed: Sequence[dict[str, Any]], routed: dict[str, Routed],
           via: str, config: Path, show_details: bool) -> list[str]:
    """The whole printout."""
    errors = {k: r.error for k, r in routed.items() if r.error}
    easier = [routed[f"{p['id']}/easier"] for p in pairs]
    harder = [routed[f"{p['id']}/harder"] for p in pairs]
    lines = [
        f"router smoke: {len(pairs)} pairs, {len(typed)} typed prompts; via {via}; models from {config.name}",
        "(a) ordering: harder complexity > easier (ties fail), router vs prompt length;",
        "(b) tiers under auto: harder tier >= easier tier, easier sides on small (S), harder sides on frontier (F)",
        *pairs_table(pairs, routed),
        f"  complexity: easier {spread(r.complexity for r in easier)}; harder {spread(r.complexity for r in harder)}",
        f"  tiers: easier {tier_counts(easier)}; harder {tier_counts(harder)}",
        "(c) task type",
        *types_table(typed, routed),
    ]
    if errors:
        lines.append(f"errors ({len(errors)} requests not routed; they count as failures):")
        lines += [f"  {key}: {message}" for key, message in list(errors.items())[:10]]
    if show_details:
        lines += details(pairs, typed, routed)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--via", choices=["api", "batch"], default="api",
                        help="api: the daemon's chat-completions routing path (default); batch: switchboard route --batch")
    parser.add_argument("--config", type=Path, default=CONFIG_FILE, help="models to route to (default: three tiers)")
    parser.add_argument("--details", action="store_true", help="also print every decision")
    args = parser.parse_args(argv)
    pairs, typed = load_jsonl(PAIRS_FILE), load_jsonl(TYPED_FILE)
    routed = route_all(requests_of(pairs, typed), args.via, args.config)
    print("\n".join(report(pairs, typed, routed, args.via, args.config, args.details)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
