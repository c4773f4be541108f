"""The guard's scan time against the size of hostile text: is it linear, and what does it cost?

    .venv/bin/python bench/guard_scan.py [--sizes 16000,128000,1000000] [--rev main] [--budget 20]

For every adversarial family of the fuzz test (``tests/daemon/guard/adversarial.py``: repeated
private-key markers, near-miss emails, long runs of token prefixes, digit groups, injection words)
and for ordinary text (this repository's Python source, the README), it times one redaction plus one
injection scan (CPU time, the least of a few runs) at each size, and prints milliseconds, nanoseconds per
character and the growth from the previous size (8x the text should cost ~8x; a quadratic pattern
costs ~64x). The summary gives the worst cost per character and what that means at the inline
limit (texts above it are scanned by a worker process, off the event loop) and at the daemon's body
limit. ``--rev`` times a git revision's guard too, in its own process, with ``--budget`` seconds per
family (a quadratic guard would otherwise take hours at the larger sizes).
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BODY_LIMIT = 16 * 1024 * 1024
"""The daemon's default request body limit (characters of prompt at most about as many)."""


def _texts() -> list[tuple[str, str, str, str]]:
    from tests.daemon.guard.adversarial import FAMILIES

    code = "".join(Path(p).read_text() for p in sorted(glob.glob(str(REPO / "daemon/**/*.py"), recursive=True)))
    prose = (REPO / "README.md").read_text()
    return ([(f.name, f.unit, f.prefix, f.suffix) for f in FAMILIES]
            + [("ordinary: python source", code, "", ""), ("ordinary: README prose", prose, "", "")])


def measure(cases: list[tuple[str, str, str, str]], sizes: list[int], budget: float) -> dict[str, list[float | None]]:
    """Fastest seconds per (case, size); None once a case has spent its ``budget`` seconds."""
    from daemon.guard import Redactor, scan

    out: dict[str, list[float | None]] = {}
    for name, unit, prefix, suffix in cases:
        spent, times = 0.0, []
        for size in sizes:
            if spent > budget:
                times.append(None)
                continue
            text = prefix + unit * max(1, (size - len(prefix) - len(suffix)) // len(unit)) + suffix
            text = text[:size] if len(unit) > size else text
            best = float("inf")
            for _ in range(3 if size <= 1_000_000 else 1):
                start = time.thread_time()  # CPU time: other processes on a shared machine do not count
                Redactor().text(text)
                scan(text, "bench")
                elapsed = time.thread_time() - start
                best, spent = min(best, elapsed), spent + elapsed
                if spent > budget:
                    break
            times.append(best)
        out[name] = times
    return out


def _other_revision(rev: str, cases: list[tuple[str, str, str, str]], sizes: list[int],
                    budget: float) -> dict[str, list[float | None]]:
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(tree), rev],
                       check=True, capture_output=True)
        try:
            child = subprocess.run(
                [sys.executable, "-c", "import json, sys; sys.path.insert(0, sys.argv[1]); "
                 "sys.path.insert(1, sys.argv[2]); from guard_scan import measure; "
                 "a = json.load(sys.stdin); print(json.dumps(measure(a['cases'], a['sizes'], a['budget'])))",
                 str(tree), str(REPO / "bench")],
                input=json.dumps({"cases": cases, "sizes": sizes, "budget": budget}), capture_output=True,
                text=True, check=True, cwd=tree,
            )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
    return json.loads(child.stdout)


def _row(name: str, sizes: list[int], times: list[float | None]) -> str:
    cells, previous = [], None
    for size, seconds in zip(sizes, times, strict=True):
        if seconds is None:
            cells.append(f"{'(budget spent)':>30}")
            previous = None
            continue
        growth = f"x{seconds / previous:5.1f}" if previous else "      "
        cells.append(f"{seconds * 1e3:10.1f} ms {seconds / size * 1e9:6.0f} ns/ch {growth}")
        previous = seconds
    return f"{name:34s}" + "".join(cells)


def main() -> int:
    sys.path.insert(0, str(REPO))  # here, not at import: a --rev child imports this module with its own tree first
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="16000,128000,1024000", help="text sizes in characters, each 8x the last")
    parser.add_argument("--rev", action="append", default=[], help="a git revision to time too (repeatable)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per family for a --rev")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = _texts()
    print(f"guard scan (redaction + injection scan), CPU time, least of 3 runs; sizes {sizes} characters\n")
    results = {"working tree": measure(cases, sizes, float("inf"))}
    for rev in args.rev:
        results[rev] = _other_revision(rev, cases, sizes, args.budget)
    for label, figures in results.items():
        print(f"== {label}")
        for name, *_ in cases:
            print(_row(name, sizes, figures[name]))
        print()
    from daemon.guard import INLINE_MAX_CHARS

    mine = results["working tree"]
    hostile = {n: t for n, t in mine.items() if not n.startswith("ordinary")}
    worst = max((t[-1] / sizes[-1], n) for n, t in hostile.items() if t[-1] is not None)
    growth = max((t[-1] / t[-2], n) for n, t in mine.items() if t[-1] is not None and t[-2])
    print(f"worst cost per character at {sizes[-1]}: {worst[0] * 1e9:.0f} ns ({worst[1]})")
    print(f"largest growth for 8x the text: x{growth[0]:.1f} ({growth[1]}); linear is ~8, quadratic ~64")
    print(f"inline limit {INLINE_MAX_CHARS} characters: at most ~{worst[0] * INLINE_MAX_CHARS * 1e3:.0f} ms of the "
          f"event loop per request; above it the scan runs in a worker process")
    print(f"body limit {BODY_LIMIT} characters: ~{worst[0] * BODY_LIMIT:.0f} s of worker time at worst "
          "(guard.scan_timeout bounds it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
