"""A stand-in daemon process for the team-store race: opens its own store on the shared URL and runs
N requests concurrently (reserve the worst case, settle at a smaller true cost), printing each
settle once it returned. Started by test_store_team.py; not a test module."""

from __future__ import annotations

import asyncio
import sys

from daemon.errors import BudgetExceededError
from daemon.store import open_store

PRICE = 10_000


async def main(url: str, budget_id: int, name: str, requests: int, period: float) -> None:
    store = open_store(url, None)  # type: ignore[arg-type]
    await store.open()
    try:
        budget = next(b for b in await store.list_budgets() if b.id == budget_id)

        async def one(i: int) -> None:
            trace_id = f"{name}-{i}"
            try:
                await store.reserve(trace_id, [(budget, period)], PRICE)
            except BudgetExceededError:
                print("refused", trace_id, 0, flush=True)
                return
            actual = PRICE - (i % 7) * 1_000  # the true cost is at most the worst case
            await store.settle(trace_id, actual)
            print("settled", trace_id, actual, flush=True)

        await asyncio.gather(*(one(i) for i in range(requests)))
    finally:
        await store.close()


if __name__ == "__main__":
    url, budget_id, name, requests, period = sys.argv[1:6]
    asyncio.run(main(url, int(budget_id), name, int(requests), float(period)))
