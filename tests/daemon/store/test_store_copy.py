"""Moving a developer's SQLite history into the team store: `switchboard store copy` and `store migrate`."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

from daemon.store import SqliteStore, open_store
from daemon.store.copy import copy_sqlite_to_postgres
from daemon.store.records import AttemptRecord, MatrixRow, OutcomeRecord, TraceRecord
from daemon.store.schema_postgres import SCHEMA_VERSION
from tests.support import REPO

PERIOD = 1_767_225_600.0


async def _personal_store(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    try:
        ada = await store.developer_for_os_user("ada")  # the owner: admin of a personal store
        await store.create_developer("bot")
        await store.add_key(ada.id, "hash-ada", "sb-ad")
        team = await store.create_team("core")
        await store.set_team(ada.id, team.id)
        mine = await store.set_budget("developer", ada.id, "month", 50_000_000)
        await store.set_budget("team", team.id, "month", 500_000_000)
        await store.record_traces([TraceRecord(
            "tr-1", ada.id, "lsp", PERIOD + 5, "ok", 40.0, answered_model="fast", cost_micros=1234,
            decision={"model": "fast"},
            attempts=(AttemptRecord(0, "fast", "ok", PERIOD + 5, 40.0, cost_micros=1234),),
        )])
        await store.reserve("tr-1", [(mine, PERIOD)], 5000)
        await store.settle("tr-1", 1234)
        await store.add_feedback("tr-1", "editor", 1.0, developer_id=ada.id)
        await store.add_outcomes([OutcomeRecord("fast", 1.0, 1.0, "editor", "chat", -1.5, bytes(128), PERIOD + 6, "tr-1"),
                                  OutcomeRecord("fast", 0.5, 1.0, "judge", "chat", -1.5, bytes(128), PERIOD + 7)])
        await store.add_review("tr-1", ada.id, [{"answer": "a"}, {"answer": "b"}])
        await store.save_matrix_cells([MatrixRow("chat", 0, "fast", 0.7, 3.0, None, None, None, PERIOD)], source="config")
        await store.save_matrix_cells([MatrixRow("chat", 0, "fast", 0.8, 4.0, 10.0, 20.0, 0.001, PERIOD)],
                                      source="feedback")
    finally:
        await store.close()


async def test_copy_moves_history_under_the_team_stores_own_ids_once(postgres_url: str, tmp_path: Path) -> None:
    source = tmp_path / "personal.db"
    await _personal_store(source)
    team = open_store(postgres_url, tmp_path)
    await team.open()
    try:
        await team.create_developer("zed")  # the team store's ids differ from the personal store's
        report = await copy_sqlite_to_postgres(f"sqlite:///{source}", postgres_url)
        assert report.copied["developers"] == 2 and report.copied["traces"] == 1 and report.copied["ledger"] == 1

        ada = await team.developer_by_name("ada")
        assert ada.id != 1 and not ada.is_admin and ada.os_user == "ada"
        assert ada.team_id == (await team.team_by_name("core")).id
        assert await team.developer_for_key_hash("hash-ada") == ada
        trace = await team.get_trace("tr-1")
        assert trace.developer_id == ada.id and trace.host == socket.gethostname()
        assert trace.decision == {"model": "fast"} and trace.attempts[0].cost_micros == 1234
        budget = await team.budget_for("developer", ada.id)
        assert budget is not None and await team.spend(budget.id, PERIOD) == (1234, 0)
        assert [f.score for f in await team.list_feedback("tr-1")] == [1.0]
        assert [r.answers for r in await team.list_reviews(developer_id=ada.id)] == [({"answer": "a"}, {"answer": "b"})]
        assert [(o.trace_id, o.source) for o in await team.load_outcomes()] == [("tr-1", "editor"), (None, "judge")]
        assert (await team.load_matrix())[0] == 2
        assert (await team.load_matrix())[1][0].quality == 0.8

        again = await copy_sqlite_to_postgres(f"sqlite:///{source}", postgres_url)
        assert sum(again.copied.values()) == 0
        assert again.skipped["traces"] == 1 and again.skipped["matrix_cells"] == 1 and again.notes
        assert again.skipped["outcomes"] == 2 and len(await team.load_outcomes()) == 2
        assert len(await team.list_developers()) == 3
    finally:
        await team.close()


async def _switchboard(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "daemon", *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_store_verbs_migrate_then_copy_from_the_command_line(blank_postgres_url: str, tmp_path: Path) -> None:
    postgres_url = blank_postgres_url
    code, out, err = await _switchboard("store", "migrate", "--url", postgres_url, "--json")
    assert code == 0, err
    assert json.loads(out)["schema_version"] == SCHEMA_VERSION

    source = tmp_path / "personal.db"
    await _personal_store(source)
    code, out, err = await _switchboard("store", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url)
    assert code == 0, err
    assert "traces" in out and "1 copied" in out

    code, _, err = await _switchboard("store", "copy", "--from", f"sqlite:///{tmp_path}/missing.db", "--to", postgres_url)
    assert code == 1 and "no SQLite store" in err

    code, out, err = await _switchboard("store", "team", "platform", "ada", "bot", "--url", postgres_url)
    assert code == 0 and out.strip() == "team platform: ada, bot", err
    code, _, err = await _switchboard("store", "team", "platform", "nobody", "--url", postgres_url)
    assert code == 1 and "no developer named 'nobody'" in err
