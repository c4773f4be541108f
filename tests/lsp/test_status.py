"""The status the developer sees: every change notified, attention-worthy ones shown once."""

from __future__ import annotations

import asyncio

from lsp.status import STATUS_NOTIFICATION, StatusReporter


class Screen:
    """What an editor would display: notifications and shown messages."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, object]] = []
        self.shown: list[tuple[str, str]] = []

    def notify(self, method: str, params: dict[str, object]) -> None:
        assert method == STATUS_NOTIFICATION
        self.notifications.append(params)

    def show(self, kind: str, message: str) -> None:
        self.shown.append((kind, message))


def reporter(busy_after: float = 0.0) -> tuple[StatusReporter, Screen]:
    screen = Screen()
    return StatusReporter(screen.notify, screen.show, busy_after=busy_after), screen


def test_a_budget_refusal_is_shown_once_until_a_request_succeeds() -> None:
    status, screen = reporter()
    for _ in range(5):
        status.budget_exceeded("the monthly budget of me is spent")
    assert [k for k, _ in screen.shown] == ["error"]
    status.answered("sim-nano", 20, 1500, stepped_down=False)
    status.budget_exceeded("the monthly budget of me is spent")
    assert [k for k, _ in screen.shown] == ["error", "error"]


def test_offline_is_shown_once_per_outage_and_recovery_is_announced() -> None:
    status, screen = reporter()
    status.offline("connection refused")
    status.offline("connection refused")
    assert status.is_offline
    status.online()
    assert not status.is_offline
    assert sum("offline" in m for _, m in screen.shown) == 1
    assert any("daemon is back" in m for _, m in screen.shown)
    assert [n["state"] for n in screen.notifications] == ["offline", "ready"]


def test_slow_and_stepped_down_answers_change_the_state() -> None:
    status, screen = reporter()
    status.answered("sim-ultra", 2500, 1500, stepped_down=False)
    assert status.state == "slow"
    status.answered("sim-nano", 30, 1500, stepped_down=True)
    status.answered("sim-nano", 30, 1500, stepped_down=True)
    assert status.state == "stepped_down"
    assert sum("budget" in m for _, m in screen.shown) == 1


def test_busy_returns_to_ready_when_the_last_request_ends() -> None:
    status, screen = reporter()
    status.busy()
    status.busy()
    status.idle()
    assert status.state == "busy"
    status.idle()
    assert status.state == "ready"
    assert screen.shown == []


async def test_a_request_shows_busy_only_once_it_has_run_a_while() -> None:
    status, screen = reporter(busy_after=0.05)
    status.busy()
    status.answered("sim-nano", 10, 1500, stepped_down=False)
    status.idle()
    assert [n["state"] for n in screen.notifications] == ["ready"]  # a quick answer: no flicker

    status.busy()
    assert status.state == "ready"
    await asyncio.sleep(0.15)
    assert status.state == "busy"
    status.idle()
    assert [n["state"] for n in screen.notifications] == ["ready", "busy", "ready"]
