"""Switchboard's daemon: routes every LLM request to the right model at the right cost."""

__version__ = "0.1.0"
