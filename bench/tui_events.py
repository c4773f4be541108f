"""Does a burst of trace events make the dashboard lag? Feeds 100 trace events a second (and then a
1,000-event burst) into the running app, headless, and prints how late the event loop ran (the UI's
responsiveness) and how long a trace took to reach the tail, next to the targets.

    .venv/bin/python bench/tui_events.py [--rate 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.wire import Event
from tui.app import SwitchboardApp

TARGET_LAG_P99_MS = 50.0
TARGET_VISIBLE_P99_MS = 400.0


def trace_event(i: int) -> Event:
    return Event(type="trace", at=time.time(), data={
        "id": f"bench{i:08d}", "created_at": time.time(), "developer": "bench", "surface": ("lsp", "mcp", "api")[i % 3],
        "outcome": "ok" if i % 50 else "error", "model": ("sim-nano", "sim-pro")[i % 2], "task_type": "code_edit",
        "latency_ms": 50.0 + i % 400, "cost_usd": 0.0001 * (i % 7), "fallback_used": i % 13 == 0,
        "escalated": i % 17 == 0, "error_code": None if i % 50 else "provider_timeout",
    })


async def main(rate: float, seconds: float) -> None:
    app = SwitchboardApp(None)
    lags: list[float] = []
    visible: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        stop = asyncio.Event()

        async def probe() -> None:  # how late a 10 ms timer fires = how long the UI could not react
            while not stop.is_set():
                start = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append((time.perf_counter() - start - 0.01) * 1000)

        probing = asyncio.create_task(probe())
        sent: dict[str, float] = {}
        total = int(rate * seconds)
        started = time.perf_counter()
        for i in range(total):
            event = trace_event(i)
            sent[event.data["id"]] = time.perf_counter()
            app.handle_event(event)
            if i % 10 == 0:
                for trace_id in list(sent):
                    if trace_id in app.overview.tail._traces:
                        visible.append((time.perf_counter() - sent.pop(trace_id)) * 1000)
            await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.perf_counter()))
        burst_start = time.perf_counter()
        for i in range(total, total + 1000):
            app.handle_event(trace_event(i))
        while f"bench{total + 999:08d}" not in app.overview.tail._traces:
            await pilot.pause(0.01)
        burst_ms = (time.perf_counter() - burst_start) * 1000
        stop.set()
        await probing
    lags.sort()
    visible.sort()

    def p(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    print(f"{total} trace events at {rate:.0f}/s into the dashboard, then a burst of 1000")
    print(f"  event-loop lag   p50 {p(lags, 0.5):6.1f} ms   p99 {p(lags, 0.99):6.1f} ms   max {max(lags):6.1f} ms"
          f"   (target p99 < {TARGET_LAG_P99_MS:.0f} ms)")
    print(f"  event → tail     p50 {p(visible, 0.5):6.1f} ms   p99 {p(visible, 0.99):6.1f} ms"
          f"   (target p99 < {TARGET_VISIBLE_P99_MS:.0f} ms; batches every 200 ms)")
    print(f"  1000-event burst on screen after {burst_ms:.0f} ms; mean lag {statistics.fmean(lags):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    options = parser.parse_args()
    asyncio.run(main(options.rate, options.seconds))
