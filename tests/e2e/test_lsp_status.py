"""What the developer sees: the daemon going offline and coming back, and budget errors shown once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from daemon.client import DaemonClient
from daemon.wire import BudgetSet
from tests.lsp.harness import end_of, inline_completion, lsp_session, open_document, sim_daemon

SOURCE = "def total(items):\n    return "


async def test_daemon_offline_is_reported_once_and_the_bridge_recovers_by_restarting_it(tmp_path: Path) -> None:
    async with sim_daemon(tmp_path) as (sim, daemon):
        # The bridge restarts the daemon itself: give it the test's config and data like a user's environment.
        env = {"SWITCHBOARD_CONFIG": str(daemon.config), "SWITCHBOARD_DATA_DIR": str(daemon.data_dir),
               "SWITCHBOARD_SIM_KEY": "sim-key", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        restarted_pid: int | None = None
        try:
            async with lsp_session(daemon.socket, env=env) as (client, status):
                uri = open_document(client, tmp_path / "cart.py", SOURCE)
                before = await inline_completion(client, uri, end_of(SOURCE))
                assert before is not None and before.items

                daemon.process.kill()  # a crash: the socket file stays behind, nothing answers on it
                await daemon.wait_exit(30)
                sim.clear()

                # Another document: the first one's suggestion would be served from the cache.
                other = open_document(client, tmp_path / "till.py", SOURCE)
                during = await inline_completion(client, other, end_of(SOURCE))
                offline = await status.wait_status("offline")
                warning = await status.wait_message(lambda m: "offline" in m)
                back = await status.wait_message(lambda m: "daemon is back" in m, timeout=60)
                later = open_document(client, tmp_path / "shop.py", SOURCE)
                after = await inline_completion(client, later, end_of(SOURCE))
                offline_messages = [m.message for m in client.messages if "offline" in m.message]
                async with DaemonClient(daemon.socket) as api:
                    restarted_pid = (await api.status()).pid
        finally:
            if restarted_pid is not None and restarted_pid != daemon.process.pid:
                os.kill(restarted_pid, signal.SIGTERM)
    assert during is not None and not during.items
    assert offline["state"] == "offline"
    assert "daemon is offline" in warning
    assert "back" in back
    assert len(offline_messages) == 1
    assert after is not None and after.items
    assert restarted_pid != daemon.process.pid


async def test_a_budget_refusal_is_shown_once_not_on_every_keystroke(tmp_path: Path) -> None:
    async with sim_daemon(tmp_path) as (sim, daemon):
        async with daemon.client() as api:
            me = (await api.status()).developer
            await api.set_budget(BudgetSet(developer=me, period="month", limit_usd=0.0))
        async with lsp_session(daemon.socket) as (client, status):
            uri = open_document(client, tmp_path / "cart.py", SOURCE)
            results = [await inline_completion(client, uri, end_of(SOURCE)) for _ in range(3)]
            refused = await status.wait_status("budget_exceeded")
            budget_messages = [m.message for m in client.messages if "budget" in m.message.lower()]
    assert all(r is not None and not r.items for r in results)
    assert refused["state"] == "budget_exceeded"
    assert len(budget_messages) == 1
    assert sim.requests == []
