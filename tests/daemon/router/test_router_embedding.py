"""Prompt embeddings: loaded from the installed wheel's files without touching the network, unit
vectors whose similarity means something, and a bounded cost however long the prompt."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from daemon.router.embedding import HEAD_CHARS, TAIL_CHARS, embed_slice, shipped_embedder

pytestmark = pytest.mark.skipif(shipped_embedder() is None, reason="the wordllama wheel (embedding files) is not installed")


def test_loading_and_embedding_open_no_socket_and_never_import_the_wordllama_package() -> None:
    # An audit hook sees every socket the process creates or connects, whatever library asks.
    script = textwrap.dedent("""
        import json, sys
        events = []
        sys.addaudithook(lambda event, args: event.startswith(("socket.", "urllib.")) and events.append(event))
        from daemon.router.embedding import StaticEmbedder
        embedder = StaticEmbedder.load()
        vector = embedder.embed("What is the capital of France?")
        print(json.dumps({"events": events, "dims": len(vector), "imported": "wordllama" in sys.modules}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "0"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"events": [], "dims": 256, "imported": False}


def test_embeddings_are_unit_vectors_and_similar_prompts_are_closer() -> None:
    embedder = shipped_embedder()
    assert embedder is not None
    capital_fr = embedder.embed("What is the capital of France?")
    capital_de = embedder.embed("Which city is the capital of Germany?")
    refactor = embedder.embed("Refactor the retry logic of the payment service into an async state machine")
    for vector in (capital_fr, capital_de, refactor):
        assert vector.dtype == np.float32 and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    assert capital_fr @ capital_de > capital_fr @ refactor + 0.2


def test_empty_text_embeds_to_zeros_rather_than_failing() -> None:
    embedder = shipped_embedder()
    assert embedder is not None
    assert not embedder.embed("").any()


def test_a_long_prompt_is_embedded_from_its_head_and_tail() -> None:
    text = "x" * 10 + "middle " * 50_000 + "y" * 10
    sliced = embed_slice(text)
    assert len(sliced) == HEAD_CHARS + 1 + TAIL_CHARS
    assert sliced.startswith(text[:HEAD_CHARS]) and sliced.endswith(text[-TAIL_CHARS:])
    assert embed_slice("short prompt") == "short prompt"
