"""Anthropic-compatible endpoints: /v1/messages, /v1/messages/count_tokens."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
