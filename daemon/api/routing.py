"""The router integration: /api/route, /api/consensus, /api/feedback, /api/matrix, /api/reviews, /api/eval."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
