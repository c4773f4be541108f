"""OpenAI-compatible endpoints: /v1/chat/completions, /v1/completions, /v1/models."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
