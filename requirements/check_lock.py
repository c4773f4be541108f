"""Check that ``requirements/lock.txt`` and ``pyproject.toml`` agree, so the lock cannot go stale.

The venv is installed from the lock alone (``pip install --no-deps --require-hashes``), so a
dependency added to ``pyproject.toml`` but not locked would simply be missing, and one left in the
lock after it was dropped would still install. This fails when:

- a direct dependency of ``pyproject.toml`` (runtime or ``test`` extra) is missing from the lock,
  or is not pinned with ``==``, or pins another version than the lock;
- the lock lists a package as coming from ``switchboard (pyproject.toml)`` that pyproject no
  longer names;
- a locked package has no hash.

Regenerate the lock with ``make lock``. Standard library only: it runs before the venv exists.

    python3 requirements/check_lock.py [--pyproject FILE] [--lock FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_LOCK_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """PEP 503 name: case and runs of ``-_.`` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_requirements(pyproject: Path) -> dict[str, str]:
    """Direct requirements (runtime and the ``test`` extra): canonical name -> version spec as written."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    specs = list(project.get("dependencies", []))
    specs += project.get("optional-dependencies", {}).get("test", [])
    out: dict[str, str] = {}
    for spec in specs:
        requirement = spec.split(";", 1)[0].strip()
        match = _NAME.match(requirement)
        if match is None:
            raise ValueError(f"cannot read requirement {spec!r} in {pyproject}")
        out[canonical(match.group(1))] = match.group(3).strip()
    return out


def locked_packages(lock: Path) -> tuple[dict[str, str], set[str], list[str]]:
    """(canonical name -> pinned version, names the lock says come from pyproject, names without a hash)."""
    pins: dict[str, str] = {}
    from_pyproject: set[str] = set()
    unhashed: list[str] = []
    current: str | None = None
    hashed = False
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _LOCK_PIN.match(line)
        if match:
            if current is not None and not hashed:
                unhashed.append(current)
            current, hashed = canonical(match.group(1)), "--hash=" in line
            pins[current] = match.group(2)
        elif current is not None and "--hash=" in line:
            hashed = True
        elif current is not None and line.lstrip().startswith("#") and "switchboard (pyproject.toml)" in line:
            from_pyproject.add(current)
    if current is not None and not hashed:
        unhashed.append(current)
    return pins, from_pyproject, unhashed


def problems(pyproject: Path, lock: Path) -> list[str]:
    """Every disagreement between the two files, in words; empty when they agree."""
    wanted = direct_requirements(pyproject)
    pins, from_pyproject, unhashed = locked_packages(lock)
    found: list[str] = []
    for name, spec in sorted(wanted.items()):
        if not spec.startswith("=="):
            found.append(f"{name}: pyproject.toml does not pin it with == ({spec or 'no version'})")
        if name not in pins:
            found.append(f"{name}: in pyproject.toml but not in the lock")
        elif spec.startswith("==") and spec[2:].strip() != pins[name]:
            found.append(f"{name}: pyproject.toml pins {spec[2:].strip()}, the lock {pins[name]}")
    for name in sorted(from_pyproject - wanted.keys()):
        found.append(f"{name}: the lock has it from pyproject.toml, which no longer names it")
    for name in unhashed:
        found.append(f"{name}: locked without a hash")
    return found


def main(argv: list[str] | None = None) -> int:
    """Print what disagrees and exit 1, or exit 0 quietly."""
    parser = argparse.ArgumentParser(description="Check that the lock and pyproject.toml agree.")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "lock.txt")
    args = parser.parse_args(argv)
    found = problems(args.pyproject, args.lock)
    if found:
        print(f"{args.lock} and {args.pyproject} disagree:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        print("Pin the dependency in pyproject.toml, then regenerate the lock with `make lock`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
