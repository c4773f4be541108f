"""The routing matrix as a TOML file a person edits: ``switchboard matrix export`` / ``import``.

The file is for people first: qualities to three decimals, latencies to a tenth of a millisecond,
costs to four significant digits, times as UTC dates, each band with its complexity range in a
comment. Importing it replaces the whole matrix: a ``[[cells]]`` table deleted from the file is a
cell deleted from the matrix, so the export → edit → import round trip does what the file says.
"""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, datetime
from typing import Any

from daemon.router.matrix import N_BANDS, RoutingMatrix, band_label

HEADER = (
    "# Switchboard routing matrix: one [[cells]] table per (task type, complexity band, model).\n"
    "# quality is 0-1; evidence is how many outcomes it rests on (decayed). Edit, then\n"
    "#   switchboard matrix import FILE\n"
    "# Import REPLACES the whole matrix: delete a [[cells]] table to forget that cell.\n"
)


def _number(key: str, value: float) -> str:
    if not math.isfinite(value):
        return "0.0"
    if key == "quality":
        value = round(value, 3)
    elif key == "evidence" or key.startswith("latency"):
        value = round(value, 1 if key.startswith("latency") else 2)
    elif key == "mean_cost_usd":
        value = float(f"{value:.4g}")
    text = repr(float(value))
    return text


def dumps(matrix: RoutingMatrix) -> str:
    """The matrix as an editable TOML document that ``loads`` reads back."""
    lines = [HEADER, f"version = {matrix.version}", ""]
    for row in matrix.to_rows():
        lines.append("[[cells]]")
        lines.append(f'task_type = "{row["task_type"]}"')
        lines.append(f'band = {row["band"]}  # complexity {band_label(row["band"])}')
        lines.append(f'model = "{_escape(row["model"])}"')
        for key in ("quality", "evidence", "latency_p50_ms", "latency_p95_ms", "mean_cost_usd"):
            if row[key] is not None:
                lines.append(f"{key} = {_number(key, row[key])}")
        if row["updated_at"]:
            stamp = datetime.fromtimestamp(row["updated_at"], UTC).replace(microsecond=0)
            lines.append(f"updated_at = {stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        lines.append("")
    return "\n".join(lines) + "\n"


def loads(text: str) -> RoutingMatrix:
    """Read a matrix file; ``ValueError`` names the cell and what is wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    cells = data.get("cells", [])
    if not isinstance(cells, list):
        raise ValueError("`cells` must be an array of [[cells]] tables")
    rows = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise ValueError(f"cells[{index}] is not a table")
        missing = [k for k in ("task_type", "band", "model", "quality") if k not in cell]
        if missing:
            raise ValueError(f"cells[{index}] lacks {', '.join(missing)}")
        row: dict[str, Any] = dict(cell)
        if isinstance(row.get("updated_at"), datetime):
            stamp = row["updated_at"]
            row["updated_at"] = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
        try:
            RoutingMatrix.from_rows([row])  # one cell at a time, so the error can say which
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cells[{index}] ({cell.get('task_type')}, band {cell.get('band')}, "
                             f"{cell.get('model')}): {exc}; bands are 0..{N_BANDS - 1}") from None
        rows.append(row)
    try:
        version = int(data.get("version", 0))
    except (TypeError, ValueError):
        raise ValueError("`version` must be a whole number") from None
    return RoutingMatrix.from_rows(rows, version=version)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
