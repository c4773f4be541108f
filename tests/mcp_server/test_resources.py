"""Daemon events become resource-updated notifications for the resources they change."""

from __future__ import annotations

from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated

from daemon.wire import Event
from mcp_server.resources import BUDGET_URI, MATRIX_URI, TRACES_URI, ResourceWatch, trace_uri, uris_for


def test_events_map_to_the_resources_they_change() -> None:
    assert uris_for(Event(type="matrix", at=0, data={"version": 3})) == [MATRIX_URI]
    assert uris_for(Event(type="budget", at=0, data={})) == [BUDGET_URI]
    assert uris_for(Event(type="trace", at=0, data={"id": "t1", "cost_usd": 0.01})) == [
        TRACES_URI, trace_uri("t1"), BUDGET_URI]
    assert uris_for(Event(type="trace", at=0, data={"id": "t2", "cost_usd": 0})) == [TRACES_URI, trace_uri("t2")]
    assert uris_for(Event(type="circuit", at=0, data={})) == []


async def test_a_change_is_published_to_listen_streams() -> None:
    bus = InMemorySubscriptionBus()
    seen: list[object] = []
    bus.subscribe(seen.append)
    await ResourceWatch(bus).changed(MATRIX_URI)
    assert seen == [ResourceUpdated(uri=MATRIX_URI)]
