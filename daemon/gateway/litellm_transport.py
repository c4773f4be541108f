"""LiteLLM as a transport, and nothing more: explicit arguments to ``acompletion``, errors mapped once.

LiteLLM costs 4-5 s and ~200 MB to import, so it is imported lazily (``preload()`` warms it in a
thread at daemon start) and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from daemon.errors import (
    AuthenticationError,
    ContentFilterError,
    ContextLengthError,
    InvalidRequestError,
    NotFoundError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)

_lock = threading.Lock()
_module: ModuleType | None = None


def _import() -> ModuleType:
    global _module
    with _lock:
        if _module is None:
            # Without this LiteLLM fetches its price map from the network at import time.
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm

            litellm.telemetry = False
            litellm.suppress_debug_info = True
            _module = litellm
        return _module


async def preload() -> None:
    """Import LiteLLM in a worker thread so the first request does not pay for it."""
    await asyncio.to_thread(_import)


async def litellm_module() -> ModuleType:
    """The LiteLLM module, imported off the event loop if it is not loaded yet."""
    return _module if _module is not None else await asyncio.to_thread(_import)


@contextlib.contextmanager
def map_litellm_errors(model_name: str) -> Iterator[None]:
    """Translate LiteLLM's exceptions into Switchboard's tree, at this one boundary."""
    litellm = _module
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        if litellm is None:
            raise
        where = f"{model_name}: "
        detail = str(getattr(exc, "message", exc))[:500]
        if isinstance(exc, litellm.ContextWindowExceededError):
            raise ContextLengthError(where + detail) from exc
        if isinstance(exc, litellm.ContentPolicyViolationError):
            raise ContentFilterError(where + detail) from exc
        if isinstance(exc, litellm.RateLimitError):
            raise ProviderRateLimitError(where + detail) from exc
        if isinstance(exc, litellm.Timeout):
            raise ProviderTimeoutError(where + detail) from exc
        if isinstance(exc, litellm.AuthenticationError):
            raise AuthenticationError(where + "the provider refused the API key: " + detail) from exc
        if isinstance(exc, litellm.NotFoundError):
            raise NotFoundError(where + detail) from exc
        if isinstance(exc, litellm.BadRequestError):
            raise InvalidRequestError(where + detail) from exc
        if isinstance(exc, (litellm.ServiceUnavailableError, litellm.InternalServerError, litellm.APIConnectionError)):
            raise ProviderUnavailableError(where + detail) from exc
        if isinstance(exc, litellm.APIError):
            raise ProviderError(where + detail) from exc
        raise


async def acompletion(**kwargs: Any) -> Any:
    """``litellm.acompletion`` with LiteLLM's own retries off (the gateway owns retrying)."""
    litellm = await litellm_module()
    return await litellm.acompletion(num_retries=0, **kwargs)
