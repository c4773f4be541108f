"""Static sentence embeddings of prompts, computed in process: no model server, no download.

The vectors are WordLlama's (``l2_supercat``, MIT): one 256-dimension vector per token of a
Llama-2 tokenizer, trained so that their mean is a sentence embedding. Both the vectors and the
tokenizer ship inside the ``wordllama`` wheel; they are read from its folder directly. The
package itself is never imported: its loader looks for the tokenizer in the wrong folder and then
tries to download it, and its ``__init__`` reconfigures logging.

An embedding is the mean of the token vectors of a bounded slice of the prompt (its head and
tail: instructions sit at either end, and a pasted file's middle adds cost, not meaning),
normalised to unit length, so cosine similarity is a dot product. About 0.05 ms for a
200-character prompt and at most ~0.15 ms however long it is (tokenising is most of it).

Loading reads files (``StaticEmbedder.load``), so the daemon does it once at start; ``embed`` is
pure computation.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

HEAD_CHARS = 480
TAIL_CHARS = 240
"""The slice of a long prompt that is embedded: its first and last characters."""

MEMORY_DIMS = 64
"""Leading dimensions kept for the outcome memory's neighbour search. WordLlama is trained with
Matryoshka losses, so a prefix of the vector is itself an embedding (at a small loss of accuracy)."""

_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"


class EmbeddingUnavailableError(RuntimeError):
    """The embedding files are missing (the ``wordllama`` wheel is not installed)."""


def embed_slice(text: str) -> str:
    """The part of ``text`` that is embedded."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


@dataclass(frozen=True, eq=False)
class StaticEmbedder:
    """Token vectors and their tokenizer; ``embed(text)`` is a unit vector (float32)."""

    vectors: np.ndarray
    """(vocabulary, dims) float32: 32 MB for the shipped vectors, whose float16 file is converted once
    (a float16 gather and mean costs five times more per request)."""
    tokenizer: Any
    """A ``tokenizers.Tokenizer`` (no padding, no truncation)."""
    version: str = "wordllama-l2_supercat-256"
    _zero: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zero", np.zeros(self.vectors.shape[1], np.float32))

    @property
    def dims(self) -> int:
        """Dimensions of an embedding."""
        return int(self.vectors.shape[1])

    def embed(self, text: str) -> np.ndarray:
        """The unit-length mean token vector of ``text``'s head and tail (zeros for empty text)."""
        ids = self.tokenizer.encode(embed_slice(text), add_special_tokens=False).ids
        if not ids:
            return self._zero
        mean = self.vectors[ids].mean(axis=0)
        norm = float(np.sqrt(mean @ mean))
        return mean / norm if norm > 0 else self._zero

    @classmethod
    def load(cls, folder: Path | None = None) -> StaticEmbedder:
        """Read the shipped vectors and tokenizer (from ``folder``, default the ``wordllama`` wheel's)."""
        folder = folder or wordllama_folder()
        weights, tokenizer_file = folder / _WEIGHTS, folder / _TOKENIZER
        if not weights.is_file() or not tokenizer_file.is_file():
            raise EmbeddingUnavailableError(f"embedding files not found under {folder}")
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        vectors = np.ascontiguousarray(read_safetensor(weights, "embedding.weight"), dtype=np.float32)
        return cls(vectors=vectors, tokenizer=tokenizer)


def wordllama_folder() -> Path:
    """The installed ``wordllama`` package's folder, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailableError("the wordllama package is not installed (it carries the embedding files)")
    return Path(next(iter(spec.submodule_search_locations)))


_DTYPES = {"F16": np.float16, "F32": np.float32, "BF16": None}


def read_safetensor(path: Path, name: str) -> np.ndarray:
    """One tensor of a ``.safetensors`` file as a read-only array over a memory map of the file.

    The format is an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
    shape and byte range, then the raw data: small enough to read here without another package.
    """
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    header_len = int.from_bytes(mapped[:8], "little")
    header = json.loads(mapped[8 : 8 + header_len])
    if name not in header:
        raise EmbeddingUnavailableError(f"{path} has no tensor {name!r}")
    meta = header[name]
    dtype = _DTYPES.get(meta["dtype"])
    if dtype is None:
        raise EmbeddingUnavailableError(f"{path}: tensor dtype {meta['dtype']} is not supported")
    start, end = meta["data_offsets"]
    base = 8 + header_len
    return np.frombuffer(mapped, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize,
                         offset=base + start).reshape(meta["shape"])


@lru_cache(maxsize=1)
def shipped_embedder() -> StaticEmbedder | None:
    """The shipped embedder, loaded once; None when its files are not installed (routing then works
    from the other features alone)."""
    try:
        return StaticEmbedder.load()
    except EmbeddingUnavailableError:
        return None
