"""Pricing: config prices over LiteLLM's bundled map, cache and reasoning tokens, provider-reported cost."""

from __future__ import annotations

import pytest

from daemon.config import ModelSettings
from daemon.gateway import Usage, cost_micros, prices_of, worst_case_micros


def test_bundled_price_map_applies_when_config_sets_no_price():
    sonnet = ModelSettings(litellm_model="anthropic/claude-sonnet-4-5")
    prices = prices_of(sonnet)
    assert prices.input == 3e-06 and prices.output == 1.5e-05
    assert prices.cache_read == 3e-07 and prices.cache_write == 3.75e-06


def test_config_prices_override_the_bundled_map():
    pricier = ModelSettings(litellm_model="anthropic/claude-sonnet-4-5", input_usd_per_mtok=4.0,
                            output_usd_per_mtok=20.0, cache_read_usd_per_mtok=0.5)
    prices = prices_of(pricier)
    assert prices.input == 4e-06 and prices.output == 2e-05 and prices.cache_read == 5e-07
    assert prices.cache_write == 3.75e-06  # not set in config: the map's still applies


def test_unknown_model_defaults_cache_prices_from_the_input_price():
    local = ModelSettings(litellm_model="openai/my-local-model", input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)
    prices = prices_of(local)
    assert prices.cache_read == pytest.approx(1e-07) and prices.cache_write == pytest.approx(1.25e-06)


def test_cached_and_written_input_tokens_are_priced_apart():
    model = ModelSettings(litellm_model="openai/x", input_usd_per_mtok=10.0, output_usd_per_mtok=20.0,
                          cache_read_usd_per_mtok=1.0, cache_write_usd_per_mtok=12.5)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cached_tokens=600_000, cache_write_tokens=200_000)
    # 200k fresh x $10/M + 600k read x $1/M + 200k written x $12.5/M + 100k out x $20/M
    assert cost_micros(model, usage) == 2_000_000 + 600_000 + 2_500_000 + 2_000_000


def test_reasoning_tokens_are_output_tokens_priced_once():
    model = ModelSettings(litellm_model="openai/x", input_usd_per_mtok=1.0, output_usd_per_mtok=4.0)
    with_reasoning = Usage(input_tokens=0, output_tokens=1000, reasoning_tokens=800)
    assert cost_micros(model, with_reasoning) == cost_micros(model, Usage(output_tokens=1000)) == 4000


def test_provider_reported_cost_wins():
    model = ModelSettings(litellm_model="openai/x", input_usd_per_mtok=1.0, output_usd_per_mtok=4.0)
    assert cost_micros(model, Usage(input_tokens=10**6, provider_cost_usd=0.0123)) == 12_300


def test_worst_case_is_all_input_plus_max_tokens_of_output():
    model = ModelSettings(litellm_model="openai/x", input_usd_per_mtok=1.0, output_usd_per_mtok=4.0,
                          cache_write_usd_per_mtok=1.0, context_window=10_000)
    assert worst_case_micros(model, 1000, 500) == 1000 + 2000
    assert worst_case_micros(model, 9000, None) == 9000 + 4 * 1000  # no max_tokens: what the window leaves
