"""The command line explains itself: ``--version``, a bare ``switchboard``, and ``--help`` on every verb."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from daemon import __version__
from daemon.cli import build_parser, main


def verb_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every verb and sub-verb of the parser, as argv prefixes."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append((*prefix, name))
                paths += verb_paths(sub, (*prefix, name))
    return paths


VERBS = verb_paths(build_parser())


def test_every_readme_verb_is_in_the_parser() -> None:
    for verb in ("daemon", "status", "dev", "ask", "traces", "route", "matrix", "eval", "budget", "tui", "mcp",
                 "lsp", "store", "sim"):
        assert (verb,) in VERBS


@pytest.mark.parametrize("path", VERBS, ids=" ".join)
def test_help_on_every_verb_exits_zero_with_a_usage(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: switchboard {' '.join(path)}") or f"usage: switchboard {path[0]}" in out


def test_a_bare_switchboard_prints_help_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: switchboard" in out and "ask" in out and "--help" in out


def test_version_is_printed() -> None:
    result = subprocess.run([sys.executable, "-m", "daemon", "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.strip() == f"switchboard {__version__}"


def test_sim_help_lists_the_sims_options() -> None:
    result = subprocess.run([sys.executable, "-m", "daemon", "sim", "--help"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout and "--instant" in result.stdout


def parsers(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser of every verb and sub-verb, with its argv prefix."""
    out = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += parsers(sub, (*prefix, name))
    return out


def test_every_option_and_argument_says_what_it_is_for() -> None:
    silent = []
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if action.help == argparse.SUPPRESS:
                continue
            if not (action.help or "").strip():
                silent.append(f"switchboard {' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
    assert not silent, "options without help text:\n" + "\n".join(silent)
