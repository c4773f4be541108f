"""The lock/pyproject consistency check (``requirements/check_lock.py``), on the real files and on
copies with one disagreement each."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "requirements" / "check_lock.py"
PYPROJECT = (REPO / "pyproject.toml").read_text(encoding="utf-8")
LOCK = (REPO / "requirements" / "lock.txt").read_text(encoding="utf-8")
ORJSON = '    "orjson==3.11.5",\n'


def run_check(tmp_path: Path, pyproject: str, lock: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "lock.txt").write_text(lock, encoding="utf-8")
    return subprocess.run([sys.executable, str(CHECK), "--pyproject", str(tmp_path / "pyproject.toml"),
                           "--lock", str(tmp_path / "lock.txt")], capture_output=True, text=True, timeout=30)


def test_the_shipped_lock_and_pyproject_agree(tmp_path: Path) -> None:
    result = run_check(tmp_path, PYPROJECT, LOCK)
    assert result.returncode == 0, result.stderr


def drop_lock_entry(lock: str, name: str) -> str:
    """The lock without ``name``'s block (its pin line, hashes and via comments)."""
    lines = lock.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}=="))
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].isalnum()), len(lines))
    return "".join(lines[:start] + lines[end:])


Edit = Callable[[str], str]
CASES: dict[str, tuple[Edit, Edit, str]] = {
    "added to pyproject only": (
        lambda p: p.replace(ORJSON, ORJSON + '    "pyfiglet==1.0.2",\n'), lambda lock: lock,
        "pyfiglet: in pyproject.toml but not in the lock"),
    "added without a pin": (
        lambda p: p.replace(ORJSON, '    "orjson",\n'), lambda lock: lock,
        "orjson: pyproject.toml does not pin it"),
    "bumped in pyproject, lock not regenerated": (
        lambda p: p.replace(ORJSON, '    "orjson==3.11.6",\n'), lambda lock: lock,
        "orjson: pyproject.toml pins 3.11.6, the lock 3.11.5"),
    "dropped from pyproject, left in the lock": (
        lambda p: p.replace(ORJSON, ""), lambda lock: lock,
        "orjson: the lock has it from pyproject.toml, which no longer names it"),
    "dropped from the lock only": (
        lambda p: p, lambda lock: drop_lock_entry(lock, "orjson"),
        "orjson: in pyproject.toml but not in the lock"),
    "locked without a hash": (
        lambda p: p, lambda lock: drop_lock_entry(lock, "orjson") + "orjson==3.11.5\n    # via switchboard (pyproject.toml)\n",
        "orjson: locked without a hash"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_disagreement_fails_the_check_and_says_what_to_do(tmp_path: Path, case: str) -> None:
    edit_pyproject, edit_lock, complaint = CASES[case]
    pyproject, lock = edit_pyproject(PYPROJECT), edit_lock(LOCK)
    assert (pyproject, lock) != (PYPROJECT, LOCK), "the case changed nothing"
    result = run_check(tmp_path, pyproject, lock)
    assert result.returncode == 1
    assert complaint in result.stderr
    assert "make lock" in result.stderr
