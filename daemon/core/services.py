"""The daemon's services and their lifetime: one async context manager opens and closes them all.

This is the container a request uses (store, gateway, trace writer, matrix, learned outcomes, guard
scans, event bus) and the tasks that keep it current (config, matrix and store-file watches). The
background jobs (``daemon.jobs``) are not started here: the app's lifespan (``daemon.app.lifespan``)
starts them on the opened services."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from daemon.config import Settings, load_settings, user_config_path
from daemon.config.demo import demo_overlay
from daemon.config.watch import LiveConfig
from daemon.core.learning import KnowledgeState, LatencyTracker, MatrixState, outcomes_from
from daemon.core.tracing import TraceWriter
from daemon.events import EventBus
from daemon.gateway import Gateway
from daemon.guard import ScanPool
from daemon.keys import hash_key
from daemon.paths import ensure_private_data_dir
from daemon.router.embedding import shipped_embedder
from daemon.router.matrix import QualitySignal
from daemon.store import Store, open_store, watch_matrix_version
from daemon.store.records import Developer

KEY_RECHECK_S = 30.0
"""A cached key lookup is checked against the store again after this long, so a key revoked on
another daemon sharing a team store stops working here within it (at once on the daemon that revoked it)."""

log = logging.getLogger("switchboard.daemon")


@dataclass(frozen=True)
class DaemonOptions:
    """How this daemon process was started (flags and environment, not the config file)."""

    socket: Path
    data_dir: Path
    config_path: Path | None = None
    http: str | None = None
    """Overrides ``[daemon] http`` when given (``""`` turns TCP off)."""
    demo: bool = False


@dataclass
class Services:
    """Everything a request handler needs; built by ``open_container``, never by hand."""

    options: DaemonOptions
    config: LiveConfig
    store: Store
    gateway: Gateway
    traces: TraceWriter
    matrix: MatrixState
    scans: ScanPool
    """Worker processes for the guard's scans of large requests (off the event loop)."""
    knowledge: KnowledgeState
    """What the router learned from outcomes (``daemon.core.learning``); decisions read ``knowledge.current``."""
    latency: LatencyTracker = field(default_factory=LatencyTracker)
    events: EventBus = field(default_factory=EventBus)
    started_at: float = field(default_factory=time.time)
    http_address: str | None = None
    simulated: bool = False
    store_problem: str | None = None
    """What happened to the database file under the running daemon (``watch_store_file``), if anything."""
    sim: Any = None
    """The simulated providers of demo mode (a ``daemon.sim.SimServer``), else None: the demo scenario
    scripts their faults and behaviours through ``/api/demo``."""
    _developers_by_key: dict[str, tuple[Developer, float]] = field(default_factory=dict)
    """Key hash → (developer, when looked up): rechecked after ``KEY_RECHECK_S``."""
    _key_digests: dict[str, str] = field(default_factory=dict, repr=False)
    """Key → its hash, so a request does not hash its key again (bounded; cleared when full)."""
    _local_developer: Developer | None = None
    candidate_cache: Any = None
    """The router's candidates for the current config, health and latencies (``daemon.core.routing``)."""
    _detached: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _writer: asyncio.Task[None] | None = field(default=None, repr=False)

    def detach(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Finish ``work`` after its request has been answered (cancelled at shutdown, before the last
        traces are written)."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    async def cancel_detached(self) -> None:
        """Cancel the work still running after its request and wait for it to record what it did."""
        tasks = list(self._detached)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Stop taking work and write what was done: cancel the work left after answered requests, then let
        the trace writer finish everything queued (idempotent; the container does it again when it closes)."""
        await self.cancel_detached()
        if self._writer is not None and not self._writer.done():
            await self.traces.close()
            await self._writer

    @property
    def settings(self) -> Settings:
        """The config in force now."""
        return self.config.settings

    async def learn(
        self,
        signals: Sequence[QualitySignal],
        *,
        source: str,
        trace_id: str | None,
        embedding: bytes | np.ndarray | None,
        difficulty: float | None,
        outcome_source: str | None = None,
    ) -> int:
        """Fold quality signals on one request into the routing matrix and, when the request kept its
        ask's vector, into the outcome memory (stored, and read by the next decision). Returns the
        matrix version in force afterwards."""
        version = await self.matrix.apply(signals, self.settings.routing, source=source)
        await self.knowledge.learn(outcomes_from(signals, trace_id=trace_id, embedding=embedding,
                                                 difficulty=difficulty, source=outcome_source))
        return version

    async def developer_for_key(self, key: str) -> Developer | None:
        """The developer owning a key (cached: the TCP hot path must not hit the store each time)."""
        digest = self._key_digests.get(key)
        if digest is None:
            if len(self._key_digests) >= 1024:
                self._key_digests.clear()
            digest = self._key_digests[key] = hash_key(key)
        cached = self._developers_by_key.get(digest)
        now = time.monotonic()
        if cached is not None and now - cached[1] < KEY_RECHECK_S:
            return cached[0]
        developer = await self.store.developer_for_key_hash(digest)
        if developer is None:
            self._developers_by_key.pop(digest, None)
        else:
            self._developers_by_key[digest] = (developer, now)
        return developer

    def forget_keys(self) -> None:
        """Drop the cached key lookups (a key was revoked here: it stops working at once)."""
        self._developers_by_key.clear()

    async def local_developer(self) -> Developer:
        """The OS user who owns the socket, as a developer (created and made admin on first use)."""
        if self._local_developer is None:
            self._local_developer = await self.store.developer_for_os_user(getpass.getuser())
        return self._local_developer



@contextlib.asynccontextmanager
async def open_container(options: DaemonOptions) -> AsyncIterator[Services]:
    """Open the store, the gateway, the trace writer and the tasks that keep them current; close them all after."""
    config_path = options.config_path or user_config_path()
    settings = load_settings(config_path)
    if not settings.store.url:
        ensure_private_data_dir(options.data_dir)  # SQLite's traces, key hashes and budgets: the user's alone
    async with contextlib.AsyncExitStack() as stack:
        # The embedder's files load in a thread while the store opens, so no request pays for them.
        embedder = asyncio.create_task(asyncio.to_thread(shipped_embedder), name="embedder-load")
        stack.callback(embedder.cancel)  # a start that fails before awaiting it leaves no task behind
        overlay = sim = None
        if options.demo:
            from daemon.sim import DEMO_PROFILES, SimServer

            os.environ.setdefault("SWITCHBOARD_SIM_KEY", "simulated")
            sim = await stack.enter_async_context(SimServer(DEMO_PROFILES))
            overlay = demo_overlay(settings, sim.url)
            settings = load_settings(config_path, overlay=overlay)
        live = LiveConfig(settings, config_path, overlay)
        store = open_store(settings.store.url, options.data_dir)
        await store.open()
        stack.push_async_callback(store.close)
        charged = await store.reconcile_open_reservations()
        if charged:
            log.warning("charged %d budget reservations a previous run left open (their calls may have been "
                        "billed; `switchboard traces` lists them as errors)", charged)
        events = EventBus()
        gateway = Gateway(settings.models, settings.gateway, events.publish)
        stack.push_async_callback(gateway.aclose)
        live.on_change(lambda s: (gateway.update_models(s.models), gateway.update_settings(s.gateway)))
        traces = TraceWriter(store)
        matrix = MatrixState(store)
        await matrix.load()
        knowledge = KnowledgeState(store, settings.learning.max_outcomes)
        learned = await knowledge.load()
        if learned:
            log.info("the router learned from %d stored outcomes", learned)
        live.on_change(lambda s: setattr(knowledge, "max_outcomes", s.learning.max_outcomes))
        scans = ScanPool()
        stack.push_async_callback(scans.aclose)
        services = Services(options, live, store, gateway, traces, matrix, scans, knowledge, events=events,
                            simulated=options.demo, sim=sim)
        traces.subscribe(services.latency.observe_trace)
        background = [
            asyncio.create_task(live.watch(), name="config-watch"),
            asyncio.create_task(gateway.warm(), name="gateway-warm"),
            asyncio.create_task(knowledge.run(), name="knowledge-upkeep"),
            asyncio.create_task(watch_store_file(services), name="store-file-watch"),
            # Team store: another daemon's new matrix version is loaded within the bound in daemon/store/watch.py.
            asyncio.create_task(watch_matrix_version(store, lambda _v: matrix.load(), since=matrix.matrix.version),
                                name="matrix-watch"),
        ]
        services._writer = asyncio.create_task(traces.run(), name="trace-writer")
        if await embedder is None:
            log.warning("the prompt embedder's files are missing (is the wordllama package installed?): routing "
                        "works from the other features, and learns no similar past prompts")
        try:
            yield services
        finally:
            await services.drain()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)


STORE_PROBLEM_FOR_OTHERS = ("the daemon's database file was deleted or replaced; its owner can see more "
                            "(`switchboard status`)")
"""A store problem as a developer who is not an admin is told it (the full text names the data dir)."""

STORE_LOST_NEXT = ("everything this daemon records from now on is lost when it stops. Restore the file (or "
                   "its directory) from a backup, or restart the daemon to begin a new, empty database")


async def watch_store_file(services: Services) -> None:
    """Check every ``store.file_check_seconds`` that the database file is still the one opened; when it
    is not (its data dir was deleted, say), say so loudly: the log, ``status`` and a ``store`` event."""
    last: str | None = None
    while True:
        await asyncio.sleep(services.settings.store.file_check_seconds)
        problem = services.store.file_problem()
        if problem == last:
            continue
        last = problem
        services.store_problem = f"{problem}: {STORE_LOST_NEXT}" if problem else None
        if problem:
            log.error("%s", services.store_problem)
        else:
            log.warning("the database file is back where it was; this daemon still writes to the one it opened")
        services.events.publish("store", {"problem": services.store_problem})

