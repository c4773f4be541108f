"""``switchboard report``: what routing saved against one model for everything, as text, JSON or HTML."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


async def cmd_report(args: argparse.Namespace) -> int:
    """Spend against the counterfactual, per day, surface and developer, with the quality evidence."""
    from daemon.cli.savings_report import report_html, report_text
    from daemon.client import DaemonClient

    async with DaemonClient(args.socket, autostart=True, data_dir=args.data_dir) as client:
        savings = await client.savings(args.window, all=args.all, baseline=args.baseline)
        me = (await client.status()).developer
    whose = "every developer" if args.all else me
    if args.json:
        print(savings.model_dump_json(indent=2))
    elif not args.html:
        print(report_text(savings, whose=whose))
    if args.html:
        Path(args.html).write_text(report_html(savings, whose=whose), encoding="utf-8")
        print(f"wrote {args.html}: open it in a browser, or send it as it is (one self-contained file)",
              file=sys.stderr)
    return 0


def register(verb: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``report`` to the ``switchboard`` parser (``verb`` is cli.build_parser's helper)."""
    p = verb("report", cmd_report, "what routing saved: spend vs sending everything to one model, with quality",
             json_flag=True)
    p.add_argument("--window", choices=["1h", "24h", "7d", "30d"], default="7d", help="over this window (default 7d)")
    p.add_argument("--baseline", metavar="MODEL",
                   help="compare with this model (default: [report] baseline_model, else the priciest frontier model)")
    p.add_argument("--all", action="store_true", help="every developer's requests (admin)")
    p.add_argument("--html", metavar="FILE", help="also write an HTML page with plots, to open or share")
