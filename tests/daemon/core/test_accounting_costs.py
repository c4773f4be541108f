"""What the ledger is charged: the gateway's price function against hand-computed figures for
plain, cached-input, cache-write and reasoning-token usage, and the worst case reserved."""

from __future__ import annotations

from daemon.config import ModelSettings
from daemon.gateway.cost import cost_micros, worst_case_micros
from daemon.gateway.types import Usage

# $2.50 / $10.00 per million input / output tokens, cache reads $1.25: easy to do by hand.
MODEL = ModelSettings(litellm_model="openai/hand-priced", input_usd_per_mtok=2.5, output_usd_per_mtok=10.0,
                      cache_read_usd_per_mtok=1.25, simulated=True, context_window=100_000)


def test_plain_usage_costs_input_and_output_at_their_prices():
    # 1000 x $2.50/M + 500 x $10/M = $0.0025 + $0.005 = $0.0075
    assert cost_micros(MODEL, Usage(input_tokens=1000, output_tokens=500)) == 7_500


def test_cached_input_tokens_cost_the_cache_read_price_instead():
    # 200 fresh x $2.50/M + 800 cached x $1.25/M + 500 x $10/M = $0.0005 + $0.001 + $0.005
    assert cost_micros(MODEL, Usage(input_tokens=1000, output_tokens=500, cached_tokens=800)) == 6_500


def test_cache_writes_default_to_a_quarter_more_than_input():
    # 600 fresh x $2.50/M + 400 written x $3.125/M = $0.0015 + $0.00125
    assert cost_micros(MODEL, Usage(input_tokens=1000, output_tokens=0, cache_write_tokens=400)) == 2_750


def test_reasoning_tokens_are_part_of_the_output_and_not_billed_twice():
    # 100 x $2.50/M + 2000 output (1800 of them reasoning) x $10/M = $0.00025 + $0.02
    assert cost_micros(MODEL, Usage(input_tokens=100, output_tokens=2000, reasoning_tokens=1800)) == 20_250


def test_the_providers_own_figure_wins_when_it_sends_one():
    assert cost_micros(MODEL, Usage(input_tokens=1000, output_tokens=500, provider_cost_usd=0.0123)) == 12_300


def test_worst_case_covers_every_way_the_call_can_be_billed():
    worst = worst_case_micros(MODEL, 1000, 500)
    # all input at the dearest input price (cache write, $3.125/M) + all 500 output tokens
    assert worst == 3_125 + 5_000
    for usage in (Usage(input_tokens=1000, output_tokens=500), Usage(input_tokens=1000, output_tokens=500, cached_tokens=900),
                  Usage(input_tokens=1000, output_tokens=500, reasoning_tokens=499),
                  Usage(input_tokens=1000, output_tokens=500, cache_write_tokens=1000)):
        assert cost_micros(MODEL, usage) <= worst
