"""The gateway: the only code that calls providers. Attempts, failover and cost live here."""

from daemon.gateway.engine import ChatRequest, Completion, Gateway

__all__ = ["ChatRequest", "Completion", "Gateway"]
