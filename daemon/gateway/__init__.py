"""The gateway: the only code that calls providers. Attempts, failover and cost live here."""

from daemon.gateway.engine import Completion, Gateway, ChatRequest

__all__ = ["ChatRequest", "Completion", "Gateway"]
