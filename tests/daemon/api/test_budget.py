"""GET/PUT /api/budget in process: the owner (admin) sets and reads budgets; a TCP key without
admin rights sees only its own and cannot set any."""

from __future__ import annotations

from pathlib import Path

import httpx

from daemon.api.auth import IdentifyDeveloper
from daemon.app.server import build_app
from daemon.wire import BudgetStatus
from tests.support import in_process_daemon


async def test_admin_sets_a_developer_budget_and_reads_it_back(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, client):
        await client.post("/api/developers", json={"name": "alice"})
        put = await client.put("/api/budget", json={"developer": "alice", "period": "week", "limit_usd": 12.5,
                                                    "soft_threshold": 0.7})
        got = BudgetStatus.model_validate((await client.get("/api/budget", params={"developer": "alice"})).json())
        everyone = BudgetStatus.model_validate((await client.get("/api/budget", params={"all": "1"})).json())
        mine = BudgetStatus.model_validate((await client.get("/api/budget")).json())
    assert put.status_code == 200, put.text
    (info,) = got.budgets
    assert (info.scope, info.name, info.period, info.limit_usd, info.soft_threshold) == ("developer", "alice", "week", 12.5, 0.7)
    assert info.critical_only_threshold == 0.95  # the config default
    assert (info.spent_usd, info.reserved_usd, info.state) == (0.0, 0.0, "ok")
    assert info.resets_at - info.period_start == 7 * 86_400
    assert info.next_action.startswith("routed normally")
    assert [b.name for b in everyone.budgets] == ["alice"]
    assert mine.budgets == []  # the owner has no budget of their own


async def test_team_budget_is_set_by_name_creates_the_team_and_takes_members(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, client):
        await client.post("/api/developers", json={"name": "alice"})
        await client.put("/api/budget", json={"developer": "alice", "limit_usd": 3})
        put = await client.put("/api/budget", json={"team": "platform", "limit_usd": 100, "members": ["alice"]})
        alices = BudgetStatus.model_validate((await client.get("/api/budget", params={"developer": "alice"})).json())
        unknown = await client.put("/api/budget", json={"team": "other", "limit_usd": 1, "members": ["nobody"]})
        stray = await client.put("/api/budget", json={"developer": "alice", "limit_usd": 1, "members": ["alice"]})
        team = await services.store.team_by_name("platform")
    (info,) = BudgetStatus.model_validate(put.json()).budgets
    assert (info.scope, info.name, info.period, info.limit_usd) == ("team", "platform", "month", 100.0)
    assert team.name == "platform"
    assert [(b.scope, b.name) for b in alices.budgets] == [("developer", "alice"), ("team", "platform")]
    assert unknown.status_code == 404 and stray.status_code == 400


async def test_bad_budget_requests_say_what_is_wrong(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, client):
        both = await client.put("/api/budget", json={"developer": "x", "team": "y", "limit_usd": 1})
        neither = await client.put("/api/budget", json={"limit_usd": 1})
        unknown = await client.put("/api/budget", json={"developer": "nobody", "limit_usd": 1})
        inverted = await client.put("/api/budget", json={"team": "t", "limit_usd": 1, "soft_threshold": 0.9,
                                                         "critical_only_threshold": 0.5})
    assert both.status_code == neither.status_code == inverted.status_code == 400
    assert "not both and not neither" in both.json()["error"]["message"]
    assert unknown.status_code == 404
    assert "must not be below the soft threshold" in inverted.json()["error"]["message"]


async def test_a_developer_key_without_admin_rights_sees_only_its_own_budget(sim_config_file: Path, tmp_path: Path):
    async with in_process_daemon(sim_config_file, data_dir=tmp_path / "d") as (services, owner):
        alice_key = (await owner.post("/api/developers", json={"name": "alice"})).json()["key"]
        await owner.post("/api/developers", json={"name": "bob"})
        await owner.put("/api/budget", json={"developer": "alice", "limit_usd": 5})
        await owner.put("/api/budget", json={"developer": "bob", "limit_usd": 7})
        tcp = IdentifyDeveloper(build_app(services), services, "tcp")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tcp), base_url="http://sb",
                                     headers={"authorization": f"Bearer {alice_key}"}) as alice:
            mine = BudgetStatus.model_validate((await alice.get("/api/budget")).json())
            others = await alice.get("/api/budget", params={"developer": "bob"})
            everyone = await alice.get("/api/budget", params={"all": "1"})
            setting = await alice.put("/api/budget", json={"developer": "alice", "limit_usd": 500})
    assert [(b.name, b.limit_usd) for b in mine.budgets] == [("alice", 5.0)]
    assert others.status_code == everyone.status_code == setting.status_code == 403
    assert "only an admin" in setting.json()["error"]["message"]
