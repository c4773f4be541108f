"""JSON on the request path: orjson, about five times faster than the standard library both ways.

Every gateway request parses the caller's body, serialises the provider's, parses the answer, writes
the caller's and stores a trace with two JSON columns: with the standard library that was ~6% of the
daemon's CPU per request. Output is compact UTF-8 bytes; input may be ``bytes`` or ``str``; a bad
document raises ``ValueError`` like ``json.loads``.
"""

from __future__ import annotations

from typing import Any

import orjson

loads = orjson.loads


def dumps(obj: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (``TypeError`` for what JSON cannot hold)."""
    return orjson.dumps(obj)


def dumps_text(obj: Any) -> str:
    """Compact JSON as ``str`` (for text columns)."""
    return orjson.dumps(obj).decode()
