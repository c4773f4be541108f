"""Model names clients send, resolved through ``[aliases]``: the most specific pattern wins, whatever
the order; configured names and ``auto`` mean themselves; an unknown name lists what is accepted."""

from __future__ import annotations

import pytest

from daemon.config import load_settings, validate
from daemon.config.aliases import resolve, specificity
from daemon.core.routing import RoutingInput, _route_request
from daemon.errors import ConfigError, InvalidRequestError


class _Services:
    """What ``_route_request`` reads off the daemon's services: the settings."""

    def __init__(self, settings) -> None:
        self.settings = settings


def test_shipped_aliases_take_the_ids_claude_code_and_codex_send() -> None:
    settings = load_settings()
    for name in ("claude-opus-4-8", "claude-sonnet-5", "claude-opus-5-5", "claude-3-5-sonnet-latest",
                 "gpt-6.2-sol", "gpt-5-codex", "o3", "chatgpt-4o-latest"):
        resolved = resolve(settings, name)
        assert (resolved.target, resolved.hint) == ("auto", None), name
        assert resolved.pattern is not None
    for name in ("claude-haiku-4-5-20251001", "claude-haiku-5-5", "CLAUDE-3-5-HAIKU-LATEST", "gpt-5-mini",
                 "gpt-4.1-nano", "o4-mini", "codex-mini-latest", "gpt-5.1-codex-mini"):
        resolved = resolve(settings, name)
        assert (resolved.target, resolved.hint) == ("auto", "light"), name


def test_the_most_specific_pattern_wins_whatever_the_order() -> None:
    settings = validate({"models": {"big": {"litellm_model": "openai/big"}, "small": {"litellm_model": "openai/small"}},
                         "aliases": {"claude-*": "big", "claude-*haiku*": {"to": "small", "hint": "light"},
                                     "claude-haiku-4*": {"to": "auto:cheapest"}}}, source="test")
    assert resolve(settings, "claude-opus-4-8").pinned == "big"
    haiku = resolve(settings, "claude-3-5-haiku-latest")
    assert (haiku.pinned, haiku.hint, haiku.pattern) == ("small", "light", "claude-*haiku*")
    newest = resolve(settings, "claude-haiku-4-5-20251001")
    assert (newest.policy, newest.pinned, newest.pattern) == ("cheapest", None, "claude-haiku-4*")
    assert specificity("o[0-9]*-mini*") == 7 and specificity("*") == 0


def test_configured_names_and_auto_mean_themselves_even_when_a_pattern_matches() -> None:
    settings = validate({"models": {"gpt-4o": {"litellm_model": "openai/gpt-4o"}},
                         "aliases": {"gpt-*": "auto:cheapest"}}, source="test")
    assert resolve(settings, "gpt-4o").pinned == "gpt-4o" and resolve(settings, "gpt-4o").pattern is None
    assert resolve(settings, "auto").target == "auto"
    assert resolve(settings, "auto:fast").policy == "fast"


def test_an_unknown_name_is_refused_with_everything_that_is_accepted() -> None:
    settings = validate({"models": {"mine": {"litellm_model": "openai/mine"}}, "aliases": {"claude-*": "auto"}},
                        source="test")
    with pytest.raises(InvalidRequestError) as err:
        resolve(settings, "mystery-7b")
    message = err.value.message
    assert message.startswith("model: unknown model 'mystery-7b'; send 'auto', 'auto:<policy>' (balanced, cascade")
    assert "a configured model (mine)" in message and "an [aliases] pattern (claude-*)" in message
    with pytest.raises(InvalidRequestError, match="unknown routing policy 'nope'"):
        resolve(settings, "auto:nope")


def test_an_alias_to_something_that_does_not_exist_is_refused_with_its_key() -> None:
    with pytest.raises(ConfigError, match=r"aliases\.'claude-\*' goes to 'sonnet', which is neither 'auto'"):
        validate({"aliases": {"claude-*": "sonnet"}}, source="test")
    with pytest.raises(ConfigError, match="aliases.claude-.*.hint"):
        validate({"aliases": {"claude-*": {"to": "auto", "hint": "tiny"}}}, source="test")


def test_the_router_sees_the_name_the_client_sent_and_the_aliases_hint() -> None:
    services = _Services(load_settings())
    request, resolved = _route_request(services, RoutingInput(  # type: ignore[arg-type]
        messages=({"role": "user", "content": "summarise this title"},), requested_model="claude-haiku-4-5-20251001"),
        request_id="r1")
    assert (request.requested_model, request.model_hint, request.pinned_model, request.policy) == (
        "claude-haiku-4-5-20251001", "light", None, None)
    assert resolved.pattern == "claude-*haiku*"
    plain, _ = _route_request(services, RoutingInput(  # type: ignore[arg-type]
        messages=({"role": "user", "content": "hi"},), requested_model="auto:fast"), request_id="r2")
    assert (plain.requested_model, plain.model_hint, plain.policy) == ("auto:fast", None, "fast")
