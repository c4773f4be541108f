"""Keeping providers healthy: backoff with jitter, a circuit breaker and local RPM/TPM limits per deployment.

All state is in memory and per daemon; time comes from ``time.monotonic`` so a clock change never
opens or closes a circuit.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from daemon.config import GatewaySettings

CircuitState = Literal["closed", "open", "half_open"]


def backoff_seconds(settings: GatewaySettings, retry: int, retry_after: float | None) -> float:
    """Wait before retry number ``retry`` (0-based): full jitter on a doubling base, or the provider's
    ``Retry-After`` when it asked for longer."""
    ceiling = min(settings.backoff_max, settings.backoff_base * (2**retry))
    jitter = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        return max(retry_after, jitter)
    return jitter


@dataclass
class Circuit:
    """One deployment's circuit: opens after consecutive failures, lets one probe through when half-open."""

    name: str
    state: CircuitState = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False


@dataclass
class CircuitBreakers:
    """Every deployment's circuit; state changes are published as ``circuit`` events."""

    settings: GatewaySettings
    publish: Callable[[str, dict], None] | None = None
    _circuits: dict[str, Circuit] = field(default_factory=dict)

    def state(self, name: str) -> CircuitState:
        """The circuit state of a deployment now (open turns half-open once its reset time has passed)."""
        circuit = self._circuits.get(name)
        if circuit is None:
            return "closed"
        if circuit.state == "open" and time.monotonic() - circuit.opened_at >= self.settings.circuit_reset_seconds:
            self._set(circuit, "half_open")
        return circuit.state

    def retry_in(self, name: str) -> float:
        """Seconds until an open circuit lets a probe through (0 when it is not open)."""
        circuit = self._circuits.get(name)
        if circuit is None or circuit.state != "open":
            return 0.0
        return max(0.0, circuit.opened_at + self.settings.circuit_reset_seconds - time.monotonic())

    def allow(self, name: str) -> bool:
        """Whether a call to ``name`` may go out now (in half-open, only one probe at a time)."""
        state = self.state(name)
        if state == "closed":
            return True
        if state == "half_open":
            circuit = self._circuits[name]
            if not circuit.probing:
                circuit.probing = True
                return True
        return False

    def succeeded(self, name: str) -> None:
        """A call to ``name`` worked: close its circuit."""
        circuit = self._circuits.get(name)
        if circuit is None:
            return
        circuit.failures = 0
        circuit.probing = False
        if circuit.state != "closed":
            self._set(circuit, "closed")

    def failed(self, name: str) -> None:
        """A call to ``name`` failed for the provider's reasons: count it, open the circuit past the limit."""
        circuit = self._circuits.setdefault(name, Circuit(name))
        circuit.failures += 1
        if circuit.state == "half_open" or (circuit.state == "closed" and circuit.failures >= self.settings.circuit_failures):
            circuit.probing = False
            circuit.opened_at = time.monotonic()
            self._set(circuit, "open")

    def released(self, name: str) -> None:
        """A probe ended without a verdict (cancelled): let the next call probe."""
        circuit = self._circuits.get(name)
        if circuit is not None:
            circuit.probing = False

    def _set(self, circuit: Circuit, state: CircuitState) -> None:
        circuit.state = state
        if self.publish is not None:
            self.publish("circuit", {"model": circuit.name, "state": state, "failures": circuit.failures})


class RateWindow:
    """Requests and tokens sent to one deployment in the last minute (sliding windows)."""

    def __init__(self) -> None:
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._token_sum = 0

    def _trim(self, now: float) -> None:
        while self._requests and now - self._requests[0] >= 60.0:
            self._requests.popleft()
        while self._tokens and now - self._tokens[0][0] >= 60.0:
            self._token_sum -= self._tokens.popleft()[1]

    def wait_for(self, rpm: int | None, tpm: int | None, tokens: int) -> float:
        """Seconds until one more request of ``tokens`` fits both limits (0 when it fits now)."""
        now = time.monotonic()
        self._trim(now)
        wait = 0.0
        if rpm is not None and len(self._requests) >= rpm:
            wait = self._requests[len(self._requests) - rpm] + 60.0 - now
        if tpm is not None and self._token_sum + tokens > tpm and self._tokens:
            freed, at = self._token_sum, now
            for sent_at, count in self._tokens:
                freed -= count
                at = sent_at
                if freed + tokens <= tpm:
                    break
            wait = max(wait, at + 60.0 - now)
        return max(wait, 0.0)

    def send(self, tokens: int) -> None:
        """Count a request of ``tokens`` input tokens going out now."""
        now = time.monotonic()
        self._requests.append(now)
        self.take(tokens, now)

    def take(self, tokens: int, now: float | None = None) -> None:
        """Count tokens used now (an answer's output, once it is known)."""
        if tokens > 0:
            self._tokens.append((time.monotonic() if now is None else now, tokens))
            self._token_sum += tokens
