"""Reading server-sent events back: for tests that look at the sim's streams on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: its `event:` name (None when absent) and its `data:` payload."""

    event: str | None
    data: str

    def json(self) -> Any:
        """The data parsed as JSON (raises ValueError for garbage or `[DONE]`)."""
        return json.loads(self.data)


def parse_sse(text: str) -> list[SseEvent]:
    """Split an SSE body into events; a trailing partial event (a cut stream) is kept."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if name is not None or data:
            events.append(SseEvent(name, "\n".join(data)))
    return events
