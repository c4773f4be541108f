"""Write the smoke data files from their source in this package.

    .venv/bin/python -m bench.smoke.build           # rewrite bench/data/obvious_pairs.jsonl and typed_prompts.jsonl
    .venv/bin/python -m bench.smoke.build --check   # exit 1 if the files differ from what the source makes

The prompts live in Python (pairs.py, typed.py) so that the long agent system prompts, tool schemas
and shared conversations are written once; the JSON-lines files are what the benchmark and anyone
else read. Edit the source, then rebuild.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PAIRS_FILE = DATA_DIR / "obvious_pairs.jsonl"
TYPED_FILE = DATA_DIR / "typed_prompts.jsonl"


def jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object a line, non-ASCII kept readable."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def expected() -> dict[Path, str]:
    """Each data file's content as the source makes it."""
    from bench.smoke.pairs import PAIRS
    from bench.smoke.typed import TYPED

    return {PAIRS_FILE: jsonl(PAIRS), TYPED_FILE: jsonl(TYPED)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10))} lines)")
    for path in stale:
        print(f"{path} is stale: run .venv/bin/python -m bench.smoke.build", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
