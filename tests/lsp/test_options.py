"""Options: defaults, per-key fallback with a reason, secret files never sent."""

from __future__ import annotations

from lsp.options import DEFAULTS, is_ignored, language_enabled, parse_options


def test_missing_options_give_the_defaults_without_problems() -> None:
    options, problems = parse_options(None)
    assert options == DEFAULTS
    assert problems == []


def test_an_invalid_value_falls_back_to_its_default_and_keeps_the_valid_ones() -> None:
    options, problems = parse_options({"debounce_ms": -5, "max_lines": 3})
    assert options.debounce_ms == DEFAULTS.debounce_ms
    assert options.max_lines == 3
    assert len(problems) == 1 and "debounce_ms" in problems[0]


def test_unknown_options_are_reported() -> None:
    options, problems = parse_options({"debounse_ms": 10})
    assert options == DEFAULTS
    assert problems == ["unknown option 'debounse_ms' ignored"]


def test_settings_nested_under_switchboard_are_read_over_the_current_options() -> None:
    base, _ = parse_options({"max_lines": 4})
    options, problems = parse_options({"switchboard": {"languages": {"markdown": False}}}, base)
    assert problems == []
    assert options.max_lines == 4
    assert not language_enabled("markdown", options)
    assert language_enabled("python", options)


def test_a_non_object_is_refused_with_the_defaults() -> None:
    options, problems = parse_options(["nope"])
    assert options == DEFAULTS
    assert problems and "object" in problems[0]


def test_secret_files_are_ignored_whatever_the_options_say() -> None:
    options, _ = parse_options({"ignore": []})
    for path in ("/repo/.env", "/repo/.env.local", "/home/me/.ssh/id_ed25519", "/repo/certs/server.pem",
                 "/repo/config/secrets.yaml", "/repo/prod.tfvars"):
        assert is_ignored(path, options), path
    assert not is_ignored("/repo/app/main.py", options)


def test_user_ignore_globs_match_names_and_paths() -> None:
    options, _ = parse_options({"ignore": ["*.generated.ts", "vendor/*"]})
    assert is_ignored("/repo/src/api.generated.ts", options)
    assert is_ignored("/repo/vendor/lib.py", options)
    assert not is_ignored("/repo/src/api.ts", options)


def test_the_master_switch_turns_every_language_off() -> None:
    options, _ = parse_options({"enable": False})
    assert not language_enabled("python", options)
