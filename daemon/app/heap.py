"""The daemon's garbage-collector settings: a long-lived heap frozen once loaded, young objects
collected less often.

Each request allocates a few hundred short-lived container objects (ASGI scopes, dicts of the wire
bodies, events, the trace record) that reference counting frees; with CPython's default gen-0
threshold of 700 the cyclic collector still ran every ~17 requests, and each older-generation pass
walked every module, class and config object the daemon loaded at start. Measured with
``gc.callbacks`` against the simulated provider: ~6% of the daemon's CPU per request. Freezing the
heap after start-up takes the loaded objects out of every pass (``gc.freeze``), and a larger gen-0
threshold makes the passes over young objects rarer; neither changes what is collected, only when.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Container allocations (net of frees) between gen-0 passes; CPython's default is 700."""


def tune() -> None:
    """Collect young objects less often (the older generations keep CPython's ratios)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle() -> None:
    """Collect what start-up left behind, then freeze the rest out of later passes.

    Called once the daemon is serving, and again after a large lazy import (LiteLLM) has loaded (what
    was frozen before is thawed first, so garbage among it is collected too). Objects frozen here and
    dropped later are still freed by reference counting; only a reference cycle among them would
    stay (a config reload's old settings, at most, which are small).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
