"""Budget reservations as the ledger grows: reserve + settle on SQLite at 1,000 to 50,000 ledger rows in
one budget period, next to the per-period ledger sum that reservations ran before schema 2.

    .venv/bin/python bench/ledger_growth.py [--sizes 1000,10000,50000] [--rounds 200]

A reservation must know what the period has used, under the store's write lock. Summing the ledger
grows with every request of the month; the running total kept by the ledger's triggers does not.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.store import SqliteStore  # noqa: E402

PERIOD = 1_767_225_600.0
_OLD_SUM = ("SELECT COALESCE(SUM(CASE WHEN status = 'settled' THEN settled_micros "
            "WHEN status = 'open' THEN reserved_micros END), 0) FROM ledger WHERE budget_id = ? AND period_start = ?")


async def run(sizes: list[int], rounds: int) -> None:
    """Grow the ledger to each size and time both ways of knowing the period's use."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "ledger.db")
        await store.open()
        budget = await store.set_budget("developer", 1, "month", 10**15)
        print(f"{'ledger rows':>12} {'reserve+settle ms':>18} {'old per-period sum ms':>22}")
        try:
            rows = 0
            for size in sizes:
                async with store._write() as db:  # seed settled rows straight into the ledger
                    await db.executemany(
                        "INSERT INTO ledger (trace_id, budget_id, period_start, status, reserved_micros, "
                        "settled_micros, created_at) VALUES (?, ?, ?, 'settled', 1000, 900, 0)",
                        [(f"seed-{i}", budget.id, PERIOD) for i in range(rows, size)],
                    )
                rows = size
                started = time.perf_counter()
                for i in range(rounds):
                    await store.reserve(f"r-{size}-{i}", [(budget, PERIOD)], 1000)
                    await store.settle(f"r-{size}-{i}", 900)
                reserve_ms = (time.perf_counter() - started) / rounds * 1000
                rows += rounds
                started = time.perf_counter()
                for _ in range(rounds):
                    await store._fetchone(_OLD_SUM, (budget.id, PERIOD))
                sum_ms = (time.perf_counter() - started) / rounds * 1000
                print(f"{size:>12,} {reserve_ms:>18.2f} {sum_ms:>22.2f}")
        finally:
            await store.close()


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000", help="ledger sizes (comma-separated)")
    parser.add_argument("--rounds", type=int, default=200, help="reservations per size")
    args = parser.parse_args()
    asyncio.run(run([int(s) for s in args.sizes.split(",")], args.rounds))


if __name__ == "__main__":
    main()
