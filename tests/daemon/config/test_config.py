"""Config: shipped defaults, user overrides, and refusals that name the key path and the reason."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from daemon.config import DEFAULT_CONFIG_PATH, load_settings, read_toml
from daemon.config.watch import LiveConfig
from daemon.errors import ConfigError


def test_shipped_defaults_load_and_document_every_top_level_table() -> None:
    settings = load_settings(None) if not Path("~/.config/switchboard/config.toml").expanduser().exists() else None
    raw = read_toml(DEFAULT_CONFIG_PATH)
    assert settings is None or settings.daemon.http == "127.0.0.1:7411"
    text = DEFAULT_CONFIG_PATH.read_text()
    for table in raw:
        assert f"[{table}" in text
    # Every scalar key of the shipped tables has a comment line right above it or a model-level doc block.
    for table in ("daemon", "store", "gateway", "guard", "budgets", "traces", "routing", "evaluation"):
        for key in (k for k, v in raw[table].items() if not isinstance(v, dict)):
            before = text.split(f"\n{key} =", 1)[0].rstrip().splitlines()[-1]
            assert before.startswith("#"), f"[{table}] {key} has no comment"


def test_user_file_overrides_defaults_key_by_key(tmp_path: Path) -> None:
    user = tmp_path / "c.toml"
    user.write_text('[gateway]\nmax_retries = 5\n[models.gpt-4o-mini]\ntier = "medium"\n')
    settings = load_settings(user)
    assert settings.gateway.max_retries == 5
    assert settings.gateway.connect_timeout == 5.0  # untouched default
    assert settings.models["gpt-4o-mini"].tier == "medium"
    assert settings.models["gpt-4o-mini"].litellm_model == "openai/gpt-4o-mini"  # merged, not replaced


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[gateway]\nmax_retries = "lots"\n', "gateway.max_retries"),
        ('[gateway]\nretries = 2\n', "gateway.retries: unknown key"),
        ('[models.x]\ntier = "small"\n', "models.x.litellm_model: Field required"),
        ('[models.x]\nlitellm_model = "openai/x"\nfallbacks = ["nope"]\n', "unknown fallback 'nope'"),
        ("[daemon\nhttp = 1\n", "not valid TOML"),
    ],
)
def test_invalid_config_is_refused_with_key_path_and_reason(tmp_path: Path, body: str, expected: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_settings(user)
    assert expected in caught.value.message
    assert str(user) in caught.value.message


def test_missing_config_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")


def test_live_config_keeps_the_last_good_settings_on_a_bad_reload(tmp_path: Path) -> None:
    user = tmp_path / "c.toml"
    user.write_text("[gateway]\nmax_retries = 4\n")
    live = LiveConfig(load_settings(user), user)
    seen = []
    live.on_change(seen.append)
    user.write_text("[gateway]\nmax_retries = -1\n")
    assert live.reload() is False
    assert live.settings.gateway.max_retries == 4
    assert live.error and "gateway.max_retries" in live.error
    user.write_text("[gateway]\nmax_retries = 1\n")
    assert live.reload() is True
    assert live.settings.gateway.max_retries == 1 and live.error is None
    assert [s.gateway.max_retries for s in seen] == [1]


async def test_the_watcher_reloads_on_the_files_changes_and_ignores_its_busy_folder(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    user = tmp_path / "c.toml"
    user.write_text("[gateway]\nmax_retries = 4\n")
    live = LiveConfig(load_settings(user), user)
    reloaded = asyncio.Event()
    live.on_change(lambda _settings: reloaded.set())
    caplog.set_level(logging.INFO)
    watcher = asyncio.create_task(live.watch())
    try:
        await asyncio.sleep(0.3)  # the watch is set up in a thread; nothing announces it
        for i in range(40):  # a log file next to the config, written all the time
            (tmp_path / "daemon.log").write_text(f"line {i}\n" * i)
            (tmp_path / f"scratch-{i}.tmp").write_text("x")
            await asyncio.sleep(0.01)
        assert not reloaded.is_set()
        user.write_text("[gateway]\nmax_retries = 1\n")
        async with asyncio.timeout(5):
            await reloaded.wait()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    assert live.settings.gateway.max_retries == 1
    # One write of the config is one or two batches of changes; the 80 writes next to it are none.
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("watchfiles") and r.levelno >= logging.INFO]
    assert len(logged) <= 2, logged



@pytest.mark.parametrize("example", sorted((DEFAULT_CONFIG_PATH.parent / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_example_config_is_valid(example: Path) -> None:
    settings = load_settings(example)
    assert settings.models  # the examples merge onto the shipped models


def test_a_user_policy_is_added_to_the_shipped_ones(tmp_path: Path) -> None:
    user = tmp_path / "c.toml"
    user.write_text('[routing.policies.thrifty]\nkind = "cheapest"\n')
    policies = load_settings(user).routing.policies
    assert policies["thrifty"].kind == "cheapest"
    assert {"balanced", "cascade", "fast", "consensus"} <= set(policies)
