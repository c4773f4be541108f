"""The ``switchboard`` command. Each verb imports what it needs when it runs, so that
``switchboard mcp`` and ``switchboard lsp`` start in well under a second."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], Awaitable[int]]


def _client(args: argparse.Namespace, *, autostart: bool = True):
    from daemon.client import DaemonClient

    return DaemonClient(args.socket, autostart=autostart, data_dir=args.data_dir)


def _print_json(data: Any) -> None:
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    print(json.dumps(data, indent=2))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


# -- verbs ---------------------------------------------------------------------------------------


async def cmd_daemon(args: argparse.Namespace) -> int:
    """Run the daemon in the foreground."""
    import logging

    # Before numpy loads: the router's vector work is small and latency-bound, and OpenBLAS threads
    # spinning on every core made a 50,000-outcome search ten times slower on a busy two-core machine.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from daemon.app.server import serve
    from daemon.config.demo import DEMO_NOTICE, wants_demo
    from daemon.core.services import DaemonOptions
    from daemon.paths import data_dir, socket_path

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # everything the daemon creates (database, -wal/-shm, logs, sockets) is the user's alone
    config_path = Path(args.config) if args.config else None
    demo = wants_demo(config_path, explicit=args.demo)
    if demo and args.demo is None:
        logging.getLogger("switchboard.daemon").warning(DEMO_NOTICE)
    options = DaemonOptions(
        socket=socket_path(args.socket),
        data_dir=data_dir(args.data_dir),
        config_path=config_path,
        http=args.http if args.http is not None else os.environ.get("SWITCHBOARD_HTTP"),
        demo=demo,
    )
    await serve(options)
    return 0


async def cmd_status(args: argparse.Namespace) -> int:
    """Show whether the daemon runs, where, and which models it can use."""
    async with _client(args, autostart=False) as client:
        status = await client.status()
    if args.json:
        _print_json(status)
        return 0
    print(f"Switchboard {status.version} — pid {status.pid or '(the owner sees it)'}, up since {_when(status.started_at)}"
          + ("  [SIMULATED providers: demo mode]" if status.simulated else ""))
    print(f"  socket  {status.socket}\n  http    {status.http or 'off'}\n  data    {status.data_dir}")
    print(f"  config  {status.config_path or '(defaults only)'}")
    if status.config_error:
        print(f"  ! last config reload was refused, the previous config is in force:\n    {status.config_error}")
    if status.store_error:
        print(f"  ! {status.store_error}")
    print(f"  you     {status.developer}{' (admin)' if status.is_admin else ''}")
    print("  models:")
    for m in status.models:
        state = "ready" if m.available else f"unavailable: {m.excluded_reason}"
        print(f"    {m.name:<18} {m.tier:<9} {m.litellm_model:<36} {state}")
    return 0


async def cmd_dev_add(args: argparse.Namespace) -> int:
    """Create a developer and print its key once."""
    async with _client(args) as client:
        created = await client.add_developer(args.name, admin=args.admin)
    return _print_key(args, created, f"Developer {created.developer.name} created. Their key")


async def cmd_dev_key(args: argparse.Namespace) -> int:
    """Another key for an existing developer, printed once."""
    async with _client(args) as client:
        created = await client.new_key(args.name)
    return _print_key(args, created, f"A new key for {created.developer.name}")


def _print_key(args: argparse.Namespace, created: Any, headline: str) -> int:
    if args.json:
        _print_json(created)
    else:
        print(f"{headline} (shown only now, store it safely):")
        print(created.key)
    return 0


async def cmd_dev_revoke(args: argparse.Namespace) -> int:
    """Revoke every key of a developer."""
    async with _client(args) as client:
        result = await client.revoke_keys(args.name)
    if args.json:
        _print_json(result)
    elif result.revoked:
        print(f"Revoked {result.revoked} key(s) of {result.developer}: requests with them are refused from now on "
              f"(on other daemons sharing a team store within 30 s). A new key: `switchboard dev key {result.developer}`.")
    else:
        print(f"{result.developer} had no live key; nothing was revoked.")
    return 0


async def cmd_dev_list(args: argparse.Namespace) -> int:
    """List developers."""
    async with _client(args) as client:
        developers = await client.list_developers()
    if args.json:
        _print_json([d.model_dump() for d in developers])
    else:
        for d in developers:
            print(f"{d.id:>4}  {d.name:<24} {'admin' if d.is_admin else ''}")
    return 0


async def cmd_ask(args: argparse.Namespace) -> int:
    """Route and run one prompt; print the answer."""
    from daemon.wire import AskRequest

    request = AskRequest(
        prompt=args.prompt, model=args.model, max_tokens=args.max_tokens, system=args.system,
        priority="critical" if args.critical else "normal",
    )
    async with _client(args) as client:
        answer = await client.ask(request)
    if args.json:
        _print_json(answer)
    else:
        print(answer.answer)
        label = " (simulated)" if answer.simulated else ""
        print(f"\n— {answer.model}{label} · {answer.input_tokens}+{answer.output_tokens} tokens · "
              f"${answer.cost_usd:.6f} · {answer.latency_ms:.0f} ms · trace {answer.trace_id}", file=sys.stderr)
    return 0


async def cmd_traces(args: argparse.Namespace) -> int:
    """List recent traces, or show one."""
    async with _client(args) as client:
        if args.trace_id:
            detail = await client.trace(args.trace_id)
            if args.json:
                _print_json(detail)
            else:
                _print_trace(detail)
            return 0
        listing = await client.traces(
            developer=args.developer, model=args.model, surface=args.surface, outcome=args.outcome,
            since=(time.time() - args.since_minutes * 60) if args.since_minutes else None,
            # An admin sees every developer's traces unless they ask for their own (the dashboard's rule);
            # the daemon ignores `all` from anyone else.
            limit=args.limit, all=None if args.mine else "1",
        )
    if args.json:
        _print_json(listing)
        return 0
    for t in listing.traces:
        print(f"{_when(t.created_at)}  {t.id[:12]}  {t.surface:<4} {t.outcome:<8} {(t.model or '-'):<18} "
              f"{t.latency_ms:>7.0f} ms  ${t.cost_usd:.6f}  {t.developer}")
    if not listing.traces:
        print("no traces yet: try `switchboard ask \"hello\"`")
    return 0


def _print_trace(t: Any) -> None:
    print(f"trace {t.id}  ({_when(t.created_at)}, {t.developer}, via {t.surface})")
    print(f"  outcome   {t.outcome}" + (f" — {t.error_code}: {t.error_message}" if t.error_code else ""))
    print(f"  decision  {t.reason or '-'}  [policy {t.policy or '-'}, matrix v{t.matrix_version or 0}]")
    print(f"  answered  {t.model or '-'} in {t.latency_ms:.0f} ms; {t.input_tokens}+{t.output_tokens} tokens, ${t.cost_usd:.6f}")
    for a in t.attempts:
        extra = f" {a.error_code}: {a.error_message}" if a.error_code else ""
        print(f"    attempt {a.seq}: {a.model:<18} {a.status:<6} {a.latency_ms:>7.0f} ms{extra}")


async def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the MCP tools on stdio for a coding agent (relayed to the daemon's /mcp unless --in-process)."""
    from mcp_server.__main__ import serve

    return await serve(args)


async def cmd_tui(args: argparse.Namespace) -> int:
    """Open the dashboard (starts the daemon first unless --no-start)."""
    from tui.app import run as run_tui

    if not args.no_start:
        async with _client(args) as starter:
            await starter.ensure_daemon()
    # The dashboard's own client never starts a daemon: one the user stopped stays stopped.
    async with _client(args, autostart=False) as client:
        await run_tui(client, window=args.window)
    return 0


async def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulated providers standalone."""
    from daemon.sim.cli import run_sim

    await run_sim(args)
    return 0


def cmd_lsp(args: argparse.Namespace) -> int:
    """Run the LSP bridge over stdio (the editor starts this)."""
    from lsp.__main__ import main as lsp_main

    return lsp_main(args.socket, args.data_dir)


# -- budgets and trace explanations (issue 4) ------------------------------------------------------


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value == 0 or abs(value) >= 0.01 else f"${value:.6f}"


def _print_budget(b: Any) -> None:
    from daemon.client.figures import budget_line

    print(budget_line(b, time.time()))
    print(f"  next request: {b.next_action}")


async def cmd_budget(args: argparse.Namespace) -> int:
    """Show budgets: mine, one developer's, or every one (admin); the spend even where none is set."""
    from daemon.client.figures import usd

    async with _client(args) as client:
        status = await client.budget(developer=args.developer, all=args.all)
    if args.json:
        _print_json(status)
        return 0
    for b in status.budgets:
        _print_budget(b)
    if not status.budgets:
        print("no budget is set, so requests are not limited (an admin sets one with "
              "`switchboard budget set NAME --daily USD`, or --weekly, --monthly)")
    if status.spend:
        print("spend this month:")
        for s in status.spend:
            limit = "" if s.limited else " (no limit)"
            print(f"  {s.developer}: {usd(s.spent_usd)} over {s.requests} request{'s' * (s.requests != 1)}{limit}")
    return 0


async def cmd_budget_set(args: argparse.Namespace) -> int:
    """Set a developer's or a team's budget (admin)."""
    from daemon.wire import BudgetSet

    if (args.name is None) == (args.team is None):
        print("switchboard: give a developer NAME or --team TEAM (one of them)", file=sys.stderr)
        return 2
    period, limit = next((p, v) for p, v in (("day", args.daily), ("week", args.weekly), ("month", args.monthly))
                         if v is not None)
    members = [m.strip() for m in args.members.split(",") if m.strip()] if args.members else None
    request = BudgetSet(developer=args.name, team=args.team, period=period, limit_usd=limit,
                        soft_threshold=args.soft, critical_only_threshold=args.critical_only, members=members)
    async with _client(args) as client:
        status = await client.set_budget(request)
    if args.json:
        _print_json(status)
    else:
        for b in status.budgets:
            _print_budget(b)
    return 0


def parse_since(text: str, now: float | None = None) -> float:
    """``30m``, ``2h``, ``7d`` (ago) or an ISO date/time → Unix seconds."""
    from datetime import datetime

    now = time.time() if now is None else now
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
    if text and text[-1] in units:
        try:
            return now - float(text[:-1]) * units[text[-1]]
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        from daemon.errors import InvalidRequestError

        raise InvalidRequestError(f"--since: {text!r} is not like 30m, 2h, 7d or 2026-11-25T09:00") from None


def explain_trace(t: Any) -> list[str]:
    """One decision in plain words: who asked, what it was, where it went and why, what happened."""
    d = t.decision or {}
    lines = [f"Trace {t.id}: {t.developer} asked through {t.surface} on {_when(t.created_at)}."]
    task, complexity = t.task_type or d.get("task_type"), t.complexity if t.complexity is not None else d.get("complexity")
    if task:
        hard = "" if complexity is None else f", complexity {complexity:.2f} on a 0-1 scale"
        lines.append(f"It looked like a {task.replace('_', ' ')} task{hard}.")
    chosen = d.get("model") or (t.attempts[0].model if t.attempts else None)
    if chosen:
        policy = t.policy or d.get("policy")
        how = f"The {policy} policy" if policy else "The router"
        lines.append(f"{how} chose {chosen}" + (f" because {t.reason}." if t.reason else "."))
        if d.get("stepped_down"):
            lines.append("The developer's budget is past its soft threshold, so it stepped down to a cheaper tier.")
        others = [c for c in d.get("candidates", []) if c.get("model") != chosen]
        if others:
            described = []
            for c in others[:4]:
                if c.get("eligible", True):
                    described.append(f"{c['model']} (score {c.get('score', 0):.2f})")
                else:
                    described.append(f"{c['model']} (ruled out: {c.get('excluded_reason') or 'not eligible'})")
            lines.append("Also considered: " + "; ".join(described) + ".")
        if d.get("fallbacks"):
            lines.append("Ready to fall back to: " + ", ".join(d["fallbacks"]) + ".")
        if t.matrix_version:
            lines.append(f"Quality estimates came from routing matrix version {t.matrix_version}.")
    elif t.reason:
        lines.append(f"Routing: {t.reason}.")
    for n, a in enumerate(t.attempts, 1):
        if a.status == "ok":
            first = f" (first token after {a.ttft_ms:.0f} ms)" if a.ttft_ms is not None else ""
            lines.append(f"Attempt {n}: {a.model} answered in {a.latency_ms:.0f} ms{first}.")
        else:
            why = f": {a.error_code}" + (f" — {a.error_message}" if a.error_message else "") if a.error_code else ""
            lines.append(f"Attempt {n}: {a.model} failed after {a.latency_ms:.0f} ms{why}.")
    if t.outcome == "ok":
        extra = [f"{n} {k}" for n, k in ((t.cached_tokens, "cached"), (t.reasoning_tokens, "reasoning")) if n]
        tokens = f"{t.input_tokens} in + {t.output_tokens} out" + (f" ({', '.join(extra)})" if extra else "")
        via = " after falling back" if t.fallback_used else ""
        lines.append(f"Result: answered by {t.model}{via}; {tokens} tokens, cost {_usd(t.cost_usd)}, "
                     f"{t.latency_ms:.0f} ms in all.")
        if t.escalated:
            lines.append("The first answer's confidence was low, so the request was escalated to a stronger model.")
    else:
        why = f" — {t.error_code}: {(t.error_message or '').rstrip('.')}" if t.error_code else ""
        lines.append(f"Result: {t.outcome}{why}.")
    for f in t.feedback:
        lines.append(f"Quality signal: {f.get('source')} rated it {f.get('score')}"
                     + (f" ({f['comment']})" if f.get("comment") else "") + ".")
    return lines


async def _resolve_trace_id(client: Any, prefix: str) -> str:
    if len(prefix) >= 32:
        return prefix
    listing = await client.traces(limit=1000, all="1")
    matches = [t.id for t in listing.traces if t.id.startswith(prefix)]
    return matches[0] if len(matches) == 1 else prefix


async def cmd_traces_explained(args: argparse.Namespace) -> int:
    """``traces`` with ``--since`` and ``traces show ID`` (the decision in plain words)."""
    trace_id = args.show_id if args.trace_id == "show" else args.trace_id
    if args.trace_id == "show" and not trace_id:
        print("switchboard: `traces show` needs a trace id (see `switchboard traces`)", file=sys.stderr)
        return 2
    if args.since:
        args.since_minutes = (time.time() - parse_since(args.since)) / 60
    if not trace_id:
        return await cmd_traces(args)
    async with _client(args) as client:
        detail = await client.trace(await _resolve_trace_id(client, trace_id))
    if args.json:
        _print_json(detail)
    else:
        print("\n".join(explain_trace(detail)))
    return 0


def _add_budget_verbs(verbs: Any, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb("budget", cmd_budget, "show budgets: mine, --developer NAME or --all (admin); `budget set` sets one",
             json_flag=True)
    p.add_argument("--all", action="store_true", help="every budget (admin)")
    p.add_argument("--developer", help="this developer's budgets (admin)")
    actions = p.add_subparsers(dest="budget_verb", metavar="ACTION")
    s = actions.add_parser("set", help="set a developer's or a team's budget (admin)")
    # SUPPRESS: options given before `set` are not overwritten by the sub-command's defaults
    s.add_argument("--socket", default=argparse.SUPPRESS, help="local API socket")
    s.add_argument("--data-dir", default=argparse.SUPPRESS, help="database directory")
    s.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for machines")
    s.add_argument("name", nargs="?", help="the developer")
    s.add_argument("--team", help="set this team's budget instead (the team is created if new)")
    s.add_argument("--members", help="with --team: comma-separated developers to put in the team")
    limit = s.add_mutually_exclusive_group(required=True)
    limit.add_argument("--daily", type=float, metavar="USD", help="limit per calendar day")
    limit.add_argument("--weekly", type=float, metavar="USD", help="limit per calendar week (from Monday)")
    limit.add_argument("--monthly", type=float, metavar="USD", help="limit per calendar month")
    s.add_argument("--soft", type=float, help="fraction past which requests step down (default from config)")
    s.add_argument("--critical-only", type=float, help="fraction past which only critical requests use the frontier")
    s.set_defaults(handler=cmd_budget_set)


def _add_trace_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("show_id", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--since", help="only traces since 30m, 2h, 7d ago, or an ISO date/time")
    p.set_defaults(handler=cmd_traces_explained)


# -- parser --------------------------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--socket", help="local API socket (default $SWITCHBOARD_SOCKET or the runtime dir)")
    parser.add_argument("--data-dir", help="database directory (default $SWITCHBOARD_DATA_DIR or XDG data dir)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    from daemon import __version__

    parser = argparse.ArgumentParser(
        prog="switchboard", description="Route every LLM request to the right model.",
        epilog="Start with `make run` (daemon + dashboard), then `switchboard ask \"hello\"`. "
               "`switchboard VERB --help` explains each verb.",
    )
    parser.add_argument("--version", action="version", version=f"switchboard {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(name: str, handler: Handler, help_text: str, *, json_flag: bool = False) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text, description=help_text)
        _add_common(p)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON for machines")
        p.set_defaults(handler=handler)
        return p

    p = verb("daemon", cmd_daemon, "run the daemon in the foreground")
    p.add_argument("--config", help="config file (default $SWITCHBOARD_CONFIG or ~/.config/switchboard/config.toml)")
    p.add_argument("--http", help="loopback listener host:port, '' to turn TCP off (default from config)")
    p.add_argument("--demo", action=argparse.BooleanOptionalAction, default=None,
                   help="run on the simulated providers (--no-demo: never). Default: demo mode when no provider "
                        "key is set and no config exists, as `make run` does")

    verb("status", cmd_status, "show the daemon's state and models", json_flag=True)

    dev = verbs.add_parser("dev", help="manage developers and their keys")
    dev_verbs = dev.add_subparsers(dest="dev_verb", required=True, metavar="ACTION")
    p = dev_verbs.add_parser("add", help="create a developer and print its key once")
    _add_common(p)
    p.add_argument("name", help="the developer's name (their OS user name for local use)")
    p.add_argument("--admin", action="store_true", help="may manage developers and see every trace")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_dev_add)
    p = dev_verbs.add_parser("key", help="give an existing developer another key, printed once")
    _add_common(p)
    p.add_argument("name", help="the developer")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_dev_key)
    p = dev_verbs.add_parser("revoke", help="revoke every key of a developer (their TCP requests are refused)")
    _add_common(p)
    p.add_argument("name", help="the developer whose keys to revoke")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_dev_revoke)
    p = dev_verbs.add_parser("list", help="list developers")
    _add_common(p)
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_dev_list)

    p = verb("ask", cmd_ask, "route and run one prompt, print the answer", json_flag=True)
    p.add_argument("prompt", help="what to ask")
    p.add_argument("--model", default="auto", help="auto, auto:<policy>, or a configured model name")
    p.add_argument("--max-tokens", type=int, default=None, help="the most tokens the answer may have")
    p.add_argument("--system", default=None, help="system prompt")
    p.add_argument("--critical", action="store_true", help="mark the request critical (keeps the frontier tier)")

    from daemon.cli.router import register as register_router_verbs

    register_router_verbs(verb)
    from daemon.cli.report import register as register_report_verb

    register_report_verb(verb)

    p = verb("traces", cmd_traces, "list recent traces, or show one", json_flag=True)
    p.add_argument("trace_id", nargs="?", help="show this trace in full")
    p.add_argument("--developer", help="only this developer's (admin)")
    p.add_argument("--all", action="store_true", help="every developer's (the default for an admin)")
    p.add_argument("--mine", action="store_true", help="only my own traces (an admin sees everyone's otherwise)")
    p.add_argument("--model", help="only traces this model answered")
    p.add_argument("--surface", choices=["api", "mcp", "lsp", "cli"], help="only traces that came this way")
    p.add_argument("--outcome", choices=["ok", "error", "refused", "cancelled"], help="only traces with this outcome")
    p.add_argument("--since-minutes", type=float, default=None, metavar="N", help="only the last N minutes")
    p.add_argument("--limit", type=int, default=20, help="at most this many (default 20, newest)")
    _add_trace_filters(p)
    _add_budget_verbs(verbs, verb)
    from daemon.cli.store import register as register_store_verbs

    register_store_verbs(verbs)

    p = verb("mcp", cmd_mcp, "serve the MCP tools on stdio for a coding agent (claude mcp add switchboard -- switchboard mcp)")
    from mcp_server.__main__ import add_arguments as add_mcp_arguments  # argparse only: cheap

    add_mcp_arguments(p)

    p = verb("lsp", cmd_lsp, "run the LSP bridge over stdio (for your editor)")  # type: ignore[arg-type]
    p.set_defaults(sync=True)

    p = verb("tui", cmd_tui, "open the live dashboard: spend, routing, traces, reviews, matrix")
    p.add_argument("--window", choices=["1h", "24h", "7d", "30d"], default="24h", help="figures over this window")
    p.add_argument("--no-start", action="store_true", help="do not start the daemon when it is not running")

    p = verbs.add_parser("sim", help="run the simulated providers standalone",
                         description="Run the simulated providers standalone (OpenAI- and Anthropic-format fake "
                                     "models); prints the base URL as the first line.")
    from daemon.sim.options import add_sim_arguments  # argparse only: cheap

    add_sim_arguments(p)
    p.set_defaults(handler=cmd_sim)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``switchboard`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:  # a bare `switchboard`: what it can do, not an argparse error
        parser.print_help()
        return 0
    if args.verb == "dev" and not hasattr(args, "handler"):
        return 2
    from daemon.errors import SwitchboardError

    try:
        if getattr(args, "sync", False):  # the verb runs its own event loop (pygls)
            return args.handler(args)
        if args.verb == "daemon":
            from daemon.app.event_loop import loop_factory

            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                return runner.run(args.handler(args))
        return asyncio.run(args.handler(args))
    except SwitchboardError as exc:
        print(f"switchboard: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """``switchboard traces | head``: the reader has what it wanted. Exit quietly, as ``cat`` does,
    with stdout pointed at /dev/null so the interpreter's final flush cannot raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


if __name__ == "__main__":
    raise SystemExit(main())
