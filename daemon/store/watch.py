"""Noticing new routing-matrix versions written by any daemon sharing the store.

``watch_matrix_version(store, on_change)`` runs until cancelled (start it in the lifespan's task
group) and awaits ``on_change(version)`` each time the store's matrix version moves.

The bound, documented for the team: with PostgreSQL, another daemon's ``save_matrix_cells`` is
NOTIFYed on commit, so ``on_change`` runs within milliseconds plus the time ``on_change`` itself
takes; if a notification is lost (the listening connection dropped), polling every
``poll_seconds`` still catches it. With SQLite (one daemon, no other writers) polling is the only
path. Either way: a new version is seen at most ``poll_seconds`` (default 2 s) after it commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from daemon.errors import StoreUnavailableError
from daemon.store.interface import MatrixChangeSource, Store

log = logging.getLogger("switchboard.store")

DEFAULT_POLL_SECONDS = 2.0


async def watch_matrix_version(
    store: Store,
    on_change: Callable[[int], Awaitable[None]],
    *,
    since: int | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> None:
    """Await ``on_change(version)`` whenever the matrix version differs from the last one seen.

    ``since`` is the version the caller already has (from ``load_matrix``), so a version committed
    between loading and watching is not missed; ``None`` starts from the current version.
    """
    seen = await store.matrix_version() if since is None else since
    wake = asyncio.Event()
    unsubscribe = (
        store.subscribe_matrix_changes(lambda _version: wake.set())
        if isinstance(store, MatrixChangeSource) else None
    )
    try:
        while True:
            try:
                version = await store.matrix_version()
                if version != seen:
                    await on_change(version)
                    seen = version
            except StoreUnavailableError as exc:
                # A team store that is down for a moment must not end the watch: retry at the next poll.
                log.warning("matrix watch: %s", exc.message)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await wake.wait()
            wake.clear()
    finally:
        if unsubscribe is not None:
            unsubscribe()
