"""The guard's work as plain jobs: the same function runs them inline for small requests and in the
scan worker (``daemon.guard.worker``) for large ones, so both paths redact alike."""

from __future__ import annotations

from typing import Any

from daemon.guard.injection import scan
from daemon.guard.redact import Redactor

Job = tuple[Any, ...]


def redact_job(values: list[Any], secrets: bool, pii: bool) -> Job:
    """Redact each JSON value with its own counts."""
    return ("redact", values, secrets, pii)


def scan_job(items: list[tuple[str, str]]) -> Job:
    """Scan each (where, text) for prompt injection."""
    return ("scan", items)


def run_job(job: Job) -> Any:
    """A job's result: ``[(value, {kind: count}), ...]`` for redact, ``[(kind, where), ...]`` for scan."""
    if job[0] == "redact":
        _, values, secrets, pii = job
        out = []
        for value in values:
            redactor = Redactor(secrets=secrets, pii=pii)
            out.append((redactor.json(value), dict(redactor.counts)))
        return out
    if job[0] == "scan":
        return [(finding.kind, finding.where) for where, text in job[1] for finding in scan(text, where)]
    raise ValueError(f"unknown guard job {job[0]!r}")


def text_size(value: Any, limit: int) -> int:
    """Characters of every string (keys included) in a JSON value, counting stops once past ``limit``."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(k) for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        if total > limit:
            break
    return total
