"""What a call costs: config prices first, LiteLLM's bundled price map second, the provider's own figure
when it sends one.

The price map is read from the JSON file LiteLLM ships (no network, and without importing LiteLLM,
which takes seconds). Cache reads, cache writes and reasoning tokens each get their own price.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.config import ModelSettings
from daemon.gateway.types import Usage
from daemon.store.records import usd_to_micros

log = logging.getLogger("switchboard.gateway")

DEFAULT_OUTPUT_CAP = 4096
"""Output tokens assumed for the worst case when a request sets no ``max_tokens``; a request whose cost
is reserved against a budget is sent this cap, so what it settles cannot exceed what it reserved."""


@functools.cache
def bundled_price_map() -> dict[str, dict[str, Any]]:
    """LiteLLM's bundled ``model_prices_and_context_window`` map (empty if it cannot be found)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("LiteLLM's bundled price map at %s could not be read; only config prices apply", path)
        return {}


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per token of each kind."""

    input: float
    output: float
    cache_read: float
    cache_write: float
    reasoning: float


def _map_entry(model: ModelSettings) -> dict[str, Any]:
    table = bundled_price_map()
    full = model.litellm_model
    bare = full.split("/", 1)[1] if "/" in full else full
    return table.get(full) or table.get(bare) or {}


_PRICES: dict[int, tuple[ModelSettings, Prices]] = {}
"""Prices per deployment object, by identity: hashing a config model (every field) on each call cost
more than the arithmetic it saved. The model is kept with its prices so its id cannot be reused."""
_PRICES_LIMIT = 256


def prices_of(model: ModelSettings) -> Prices:
    """The prices of one deployment: a price set in config wins over the bundled map's."""
    known = _PRICES.get(id(model))
    if known is not None and known[0] is model:
        return known[1]
    if len(_PRICES) >= _PRICES_LIMIT:
        _PRICES.clear()  # configs reloaded many times over: start again
    prices = _PRICES[id(model)] = (model, _prices_of(model))
    return prices[1]


def _prices_of(model: ModelSettings) -> Prices:
    entry = _map_entry(model) if not model.simulated else {}
    given = model.model_fields_set

    def pick(config_field: str, value: float | None, map_key: str) -> float | None:
        if config_field in given and value is not None:
            return value / 1e6
        mapped = entry.get(map_key)
        return float(mapped) if isinstance(mapped, int | float) else None

    input_price = pick("input_usd_per_mtok", model.input_usd_per_mtok, "input_cost_per_token")
    output_price = pick("output_usd_per_mtok", model.output_usd_per_mtok, "output_cost_per_token")
    input_price = model.input_usd_per_mtok / 1e6 if input_price is None else input_price
    output_price = model.output_usd_per_mtok / 1e6 if output_price is None else output_price
    cache_read = pick("cache_read_usd_per_mtok", model.cache_read_usd_per_mtok, "cache_read_input_token_cost")
    cache_write = pick("cache_write_usd_per_mtok", model.cache_write_usd_per_mtok, "cache_creation_input_token_cost")
    reasoning = entry.get("output_cost_per_reasoning_token")
    return Prices(
        input=input_price,
        output=output_price,
        cache_read=input_price * 0.1 if cache_read is None else cache_read,
        cache_write=input_price * 1.25 if cache_write is None else cache_write,
        reasoning=float(reasoning) if isinstance(reasoning, int | float) else output_price,
    )


def cost_micros(model: ModelSettings, usage: Usage) -> int:
    """The cost of one answer in micro-dollars (the provider's own figure when it gave one)."""
    if usage.provider_cost_usd is not None:
        return usd_to_micros(usage.provider_cost_usd)
    p = prices_of(model)
    fresh_input = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
    reasoning = min(usage.reasoning_tokens, usage.output_tokens)
    usd = (
        fresh_input * p.input + usage.cached_tokens * p.cache_read + usage.cache_write_tokens * p.cache_write
        + (usage.output_tokens - reasoning) * p.output + reasoning * p.reasoning
    )
    return usd_to_micros(usd)


def output_cap(model: ModelSettings, input_tokens: int, max_tokens: int | None) -> int:
    """The most output a request can produce on ``model``: its ``max_tokens`` (``DEFAULT_OUTPUT_CAP`` when
    unset), never more than the context window leaves after the input."""
    return min(max_tokens or DEFAULT_OUTPUT_CAP, max(1, model.context_window - input_tokens))


def worst_case_micros(model: ModelSettings, input_tokens: int, max_tokens: int | None) -> int:
    """The most a request can cost on ``model``: all its input uncached plus the most output it can
    produce (``output_cap``)."""
    p = prices_of(model)
    output = output_cap(model, input_tokens, max_tokens)
    return usd_to_micros(input_tokens * max(p.input, p.cache_write) + output * max(p.output, p.reasoning))


def affordable_output(model: ModelSettings, input_tokens: int, allowance_micros: int) -> int:
    """How many output tokens still fit in ``allowance_micros`` once the input is paid for at its worst
    (negative when even the input does not fit; ``DEFAULT_OUTPUT_CAP``-free models get a large number)."""
    p = prices_of(model)
    left = allowance_micros / 1_000_000 - input_tokens * max(p.input, p.cache_write)
    per_token = max(p.output, p.reasoning)
    if per_token <= 0:
        return 1 << 30 if left >= 0 else -1
    return int(left // per_token)
