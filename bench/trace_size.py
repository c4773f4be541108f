"""Bytes per stored trace on make run's demo workload (issue 16, low finding 16).

    .venv/bin/python bench/trace_size.py [--seconds 40] [--workers 2] [--pace 0.1]

A real demo-mode daemon (``--demo``: the simulated providers) runs the demo workload
(``daemon.cli.demo_workload.run_demo``, faster) for a while and stops; then the database is read
directly: the average of the trace row's stored bytes (every column's length, as SQLite keeps it),
the decision JSON's share, and the pages the traces table and its indexes take per trace (dbstat).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.cli.demo_workload import run_demo  # noqa: E402
from tests.support import running_daemon, write_config  # noqa: E402

_ROW_BYTES = (
    "SELECT COUNT(*), AVG({row}), AVG(COALESCE(length(CAST(decision_json AS BLOB)), 0)), "
    "AVG(COALESCE(length(CAST(prompt AS BLOB)), 0) + COALESCE(length(CAST(answer AS BLOB)), 0)), "
    "AVG(COALESCE(length(guard_json), 0)), AVG(COALESCE(length(embedding), 0)) FROM traces"
)


def measure(db: Path) -> dict[str, float]:
    """Average stored bytes per trace row, and the parts of it, in a stopped daemon's database."""
    conn = sqlite3.connect(db)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(traces)")]
        row = " + ".join(f"COALESCE(length(CAST({c} AS BLOB)), 0)" for c in columns)
        n, avg_row, avg_decision, avg_text, avg_guard, avg_embedding = conn.execute(_ROW_BYTES.format(row=row)).fetchone()
        pages = conn.execute(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'traces' OR name IN "
            "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'traces')"
        ).fetchone()[0]
        payload = conn.execute("SELECT COALESCE(SUM(payload), 0) FROM dbstat WHERE name = 'traces'").fetchone()[0]
        with_attempts = conn.execute(
            "SELECT COALESCE(SUM(payload), 0) FROM dbstat WHERE name IN ('traces', 'attempts') OR name IN "
            "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('traces', 'attempts'))"
        ).fetchone()[0]
    finally:
        conn.close()
    return {"traces": n, "row_bytes": avg_row or 0, "decision_bytes": avg_decision or 0,
            "prompt_answer_bytes": avg_text or 0, "guard_bytes": avg_guard or 0, "embedding_bytes": avg_embedding or 0,
            "table_and_index_bytes": pages / n if n else 0, "payload_bytes": payload / n if n else 0,
            "with_attempts_bytes": with_attempts / n if n else 0}


async def run(seconds: float, workers: int, pace: float, keep: str | None = None) -> None:
    """Run the demo on a fresh demo-mode daemon, stop it, and print what its traces take."""
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp) / "config.toml", {"daemon": {"http": ""}})
        data = Path(tmp) / "data"
        async with running_daemon(config, data_dir=data, extra_args=["--demo"]) as daemon, daemon.client() as client:
            demo = asyncio.create_task(run_demo(client, pace_s=pace, workers=workers, cycle_s=15.0))
            await asyncio.sleep(seconds)
            demo.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await demo
        figures = measure(data / "switchboard.db")
        if keep:
            import shutil

            shutil.copy(data / "switchboard.db", keep)
    report(figures)


def report(figures: dict[str, float]) -> None:
    """Print what ``measure`` found."""
    print(f"traces stored                        {figures['traces']:>8,}")
    print(f"bytes per trace row (all columns)    {figures['row_bytes']:>8.0f}")
    print(f"  of which decision JSON             {figures['decision_bytes']:>8.0f}")
    print(f"  of which prompt + answer text      {figures['prompt_answer_bytes']:>8.0f}")
    print(f"  of which guard JSON                {figures['guard_bytes']:>8.0f}")
    print(f"  of which embedding                 {figures['embedding_bytes']:>8.0f}")
    print(f"stored row payload per trace (dbstat){figures['payload_bytes']:>8.0f}")
    print(f"  with its attempts and indexes      {figures['with_attempts_bytes']:>8.0f}")
    print(f"table + index pages per trace        {figures['table_and_index_bytes']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pace", type=float, default=0.1)
    parser.add_argument("--keep", help="copy the database there, to look at")
    parser.add_argument("--measure", help="only measure this (stopped daemon's) database")
    args = parser.parse_args()
    if args.measure:
        report(measure(Path(args.measure)))
        return
    asyncio.run(run(args.seconds, args.workers, args.pace, args.keep))


if __name__ == "__main__":
    main()
