"""The daemon's lifespan: its services, then the background jobs that run beside the request path.

The service container (``daemon.core.services``) opens what a request uses and keeps it up to date.
The jobs are the app's: telemetry (trace events, OTLP export, retention) and the evaluation job are
started here once the services exist, and stopped after the last requests' traces were written (so
those are still published and exported), before the services close.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from daemon.app import heap
from daemon.core.services import DaemonOptions, Services, open_container
from daemon.gateway import litellm_transport
from daemon.gateway.direct import DIRECT_PROVIDERS
from daemon.jobs.evaluation import run_periodically
from daemon.jobs.telemetry import observing


@contextlib.asynccontextmanager
async def open_services(options: DaemonOptions) -> AsyncIterator[Services]:
    """The services with the background jobs running: what the daemon serves requests with."""
    async with open_container(options) as services, observing(services):  # trace events, OTLP spans, retention
        jobs = [asyncio.create_task(run_periodically(services), name="evaluation")]
        if any(m.enabled and m.provider not in DIRECT_PROVIDERS for m in services.settings.models.values()):
            # Only providers the direct path does not speak need LiteLLM; warm it (4-5 s) off the loop.
            jobs.append(asyncio.create_task(_preload_litellm(), name="litellm-preload"))
        try:
            yield services
        finally:
            await services.drain()  # the last traces reach telemetry before it stops
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)


async def _preload_litellm() -> None:
    """Import LiteLLM off the loop, then freeze its ~200 MB of module objects out of the collector's passes."""
    await litellm_transport.preload()
    heap.settle()
