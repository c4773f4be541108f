"""The store interface: what the rest of the daemon may ask of the state it keeps.

Two implementations satisfy it: ``SqliteStore`` (one developer's machine, the default) and
``PostgresStore`` (a team sharing budgets, traces and the routing matrix across daemons). Code
outside ``daemon.store`` types against ``Store`` and never learns which one runs.

Rules every implementation keeps (the parametrized suite in tests/daemon/store checks them):
- money is integer micro-dollars, times are float Unix seconds (UTC);
- ``reserve`` is atomic against every claimed budget, also against other processes sharing the store;
- a settled ledger row, once ``settle`` returned, survives any crash;
- ``save_matrix_cells`` makes exactly one new, strictly greater matrix version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from daemon.store.records import (
    Budget,
    Developer,
    Feedback,
    MatrixRow,
    OutcomeRecord,
    Reservation,
    ReviewItem,
    Team,
    TraceQuery,
    TraceRecord,
)


class Store(Protocol):
    """Every public async method of the store. Built by ``open_store``; opened and closed by the lifespan."""

    # -- lifecycle
    async def open(self) -> None:
        """Connect and run pending migrations."""

    async def close(self) -> None:
        """Release connections; committed writes are durable."""

    async def schema_version(self) -> int:
        """The schema version the database is at."""

    def file_problem(self) -> str | None:
        """What went wrong with a local database file since it was opened (deleted, replaced), if
        anything; None for a store that is not a local file."""

    # -- developers, keys and teams
    async def create_developer(
        self, name: str, *, os_user: str | None = None, is_admin: bool = False, team_id: int | None = None
    ) -> Developer:
        """Add a developer; a taken name is an ``InvalidRequestError``."""

    async def developer_for_os_user(self, os_user: str) -> Developer:
        """The developer record of a local OS user, created (as admin) on first use."""

    async def get_developer(self, developer_id: int) -> Developer:
        """One developer by id, or ``NotFoundError``."""

    async def developer_by_name(self, name: str) -> Developer:
        """One developer by name, or ``NotFoundError``."""

    async def list_developers(self) -> list[Developer]:
        """Every developer, oldest first."""

    async def add_key(self, developer_id: int, key_hash: str, prefix: str) -> None:
        """Store the hash of a new developer key."""

    async def revoke_keys(self, developer_id: int) -> int:
        """Revoke every live key of a developer; returns how many were revoked."""

    async def developer_for_key_hash(self, key_hash: str) -> Developer | None:
        """The developer owning an unrevoked key with this hash."""

    async def key_hashes(self, developer_id: int) -> list[str]:
        """The stored key hashes of a developer."""

    async def set_admin(self, developer_id: int, is_admin: bool) -> None:
        """Grant or withdraw admin rights."""

    async def create_team(self, name: str) -> Team:
        """Add a team; a taken name is an ``InvalidRequestError``."""

    async def team_by_name(self, name: str) -> Team:
        """One team by name, or ``NotFoundError``."""

    async def set_team(self, developer_id: int, team_id: int | None) -> None:
        """Put a developer in a team (at most one)."""

    # -- budgets and the ledger
    async def set_budget(
        self,
        scope: str,
        scope_id: int,
        period: str,
        limit_micros: int,
        *,
        soft_threshold: float | None = None,
        critical_only_threshold: float | None = None,
    ) -> Budget:
        """Create or replace the budget of a developer, team or the evaluation job."""

    async def budget_for(self, scope: str, scope_id: int) -> Budget | None:
        """The budget of one developer, team or the evaluation job, if any."""

    async def list_budgets(self) -> list[Budget]:
        """Every budget."""

    async def spend(self, budget_id: int, period_start: float) -> tuple[int, int]:
        """(settled, open reservations) in micro-dollars for one budget period."""

    async def reserve(self, trace_id: str, claims: Sequence[tuple[Budget, float]], amount_micros: int) -> Reservation:
        """Atomically reserve ``amount_micros`` against every (budget, period start) or none of them."""

    async def settle(self, trace_id: str, actual_micros: int) -> None:
        """Close a request's reservations with its true cost."""

    async def release(self, trace_id: str) -> None:
        """Drop a request's reservations entirely."""

    async def reconcile_open_reservations(self) -> int:
        """Close orphaned open reservations: settle those whose trace was recorded at its cost, charge the
        rest their reservation (their calls may have been billed) with a stub trace; returns those charged."""

    async def carry_spend(self, budget_id: int, period_start: float, micros: int) -> None:
        """Count spend made before a budget existed in its period (a settled ledger row, once per period)."""

    async def spend_by_developer(self, since: float) -> dict[int, tuple[int, int]]:
        """developer id → (cost in micro-dollars, requests) of the traces since a time, budget or not."""

    # -- traces
    async def record_traces(self, traces: Sequence[TraceRecord]) -> None:
        """Write finished traces and their attempts in one transaction."""

    async def get_trace(self, trace_id: str) -> TraceRecord:
        """One trace with its attempts, or ``NotFoundError``."""

    async def list_traces(self, query: TraceQuery) -> list[TraceRecord]:
        """Recent traces, newest first, filtered (attempts are not loaded)."""

    async def prune_traces(self, older_than: float, keep_at_most: int) -> int:
        """Delete traces older than a time, then the oldest beyond a count."""

    async def reclaim_space(self) -> int:
        """After a prune: give the space of deleted rows back to the file system in bounded steps;
        returns the bytes given back (0 where the database server reclaims space itself)."""

    # -- feedback and the review queue
    async def add_feedback(
        self, trace_id: str, source: str, score: float, *, developer_id: int | None = None, comment: str | None = None
    ) -> Feedback:
        """Record a quality signal for a trace; an unknown trace is ``NotFoundError``."""

    async def list_feedback(self, trace_id: str) -> list[Feedback]:
        """The quality signals of one trace, oldest first."""

    async def add_review(self, trace_id: str, developer_id: int, answers: Sequence[dict[str, Any]]) -> ReviewItem:
        """Queue a consensus disagreement for a person."""

    async def list_reviews(self, *, status: str | None = "open", developer_id: int | None = None) -> list[ReviewItem]:
        """Review items, oldest first."""

    async def resolve_review(self, review_id: int, chosen_index: int | None) -> ReviewItem:
        """Close a review item with the chosen answer (``None`` dismisses it)."""

    # -- learned outcomes (the router's outcome memory)
    async def add_outcomes(self, outcomes: Sequence[OutcomeRecord]) -> None:
        """Store learned outcomes in one transaction."""

    async def load_outcomes(self, limit: int = 50_000) -> list[OutcomeRecord]:
        """The newest ``limit`` outcomes, oldest first."""

    async def prune_outcomes(self, keep_at_most: int) -> int:
        """Delete all but the newest ``keep_at_most`` outcomes; returns how many went."""

    # -- the routing matrix
    async def matrix_version(self) -> int:
        """The current matrix version (0 before any cell was written)."""

    async def load_matrix(self) -> tuple[int, list[MatrixRow]]:
        """The current version and every cell, consistent with each other."""

    async def save_matrix_cells(
        self, rows: Sequence[MatrixRow], *, source: str, note: str | None = None, replace: bool = False
    ) -> int:
        """Upsert cells as one new matrix version; returns that version. ``replace``: the rows are the
        whole matrix, and cells not among them are deleted (``switchboard matrix import``)."""

    async def update_matrix(
        self,
        change: Callable[[int, list[MatrixRow]], Sequence[MatrixRow]],
        *,
        source: str,
        note: str | None = None,
    ) -> tuple[int, list[MatrixRow]]:
        """Save ``change(version, cells)`` as one new version with no other write in between (no lost
        evidence when daemons learn at once); returns the new version and every cell."""

    # -- metrics and budgets (issue 4)
    async def trace_facts(self, since: float, *, developer_id: int | None = None) -> list[dict[str, Any]]:
        """The columns metrics are computed from, for traces since a time (one developer's, or all)."""

    async def attempt_facts(self, since: float, *, developer_id: int | None = None) -> list[tuple[str, str]]:
        """(model, status) of every attempt of traces since a time."""

    async def trace_quality(self, since: float, *, developer_id: int | None = None) -> dict[str, float]:
        """Mean feedback score of each rated trace since a time."""

    async def get_team(self, team_id: int) -> Team:
        """One team by id, or ``NotFoundError``."""

    async def list_teams(self) -> list[Team]:
        """Every team, oldest first."""

    async def reservations_of(self, trace_id: str) -> list[tuple[int, float, str, int, int]]:
        """(budget id, period start, status, reserved, settled) of every ledger row of one request."""

    async def ledger_totals(self, budget_id: int) -> dict[str, int]:
        """Sums of one budget's ledger over all periods, by status (micro-dollars)."""


@runtime_checkable
class MatrixChangeSource(Protocol):
    """A store that can push matrix changes made by other processes (PostgreSQL LISTEN/NOTIFY).

    Stores without it are polled by ``watch_matrix_version``.
    """

    def subscribe_matrix_changes(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(version)`` when any process commits a new matrix version; returns the unsubscribe."""
        ...
