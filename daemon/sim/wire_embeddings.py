"""The OpenAI embeddings wire format: ``POST /v1/embeddings``.

Vectors are a pure function of the model's name and the text (unit length, seeded by a hash), so a
test can tell which input became which vector and that the same text always gives the same one.
``encoding_format: "base64"`` packs the floats as little-endian float32, as api.openai.com does.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from typing import Any

from daemon.sim.answers import count_tokens
from daemon.sim.profiles import ModelProfile
from daemon.sim.turns import SimError


def embedding_vector(model: str, text: str, dimensions: int) -> list[float]:
    """The unit vector ``model`` gives ``text`` (``dimensions`` floats)."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{model}\x00{counter}\x00{text}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def _texts(raw: Any) -> list[str]:
    """The inputs as texts (token-id arrays become their ids joined, which is as good as text here)."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(v, int) for v in raw):
        return [" ".join(map(str, raw))]
    if isinstance(raw, list) and raw and all(isinstance(v, str) or isinstance(v, list) for v in raw):
        return [v if isinstance(v, str) else " ".join(map(str, v)) for v in raw]
    raise SimError("invalid_request", 400, "'$.input' is invalid. Please check the API reference.", param="input")


def embeddings_body(body: dict[str, Any], profile: ModelProfile) -> dict[str, Any]:
    """The answer to an embeddings request (``SimError`` on a bad one, as the real API words it)."""
    if profile.kind != "embedding":
        raise SimError("invalid_request", 400, f"This model ({profile.name}) does not support embeddings.",
                       param="model")
    texts = _texts(body.get("input"))
    dimensions = body.get("dimensions") or profile.dimensions
    if not isinstance(dimensions, int) or not 1 <= dimensions <= profile.dimensions:
        raise SimError("invalid_request", 400, f"This model does not support {dimensions} dimensions.",
                       param="dimensions")
    tokens = sum(count_tokens(t) for t in texts)
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(profile.name, text, dimensions)
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {"object": "list", "data": data, "model": profile.name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
