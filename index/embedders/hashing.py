"""A deterministic feature-hashing embedder (`hash:<dim>`): no model, for plumbing tests and scale benchmarks.

Words and word pairs are hashed into signed buckets, so texts that share words have similar vectors;
it knows nothing of meaning or of other languages and must never judge retrieval quality.
"""
from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

from .base import QUERY_TOKEN_BUDGET

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Signed feature hashing of lower-cased words and adjacent word pairs, L2-normalised."""

    max_tokens = 512
    max_query_tokens = QUERY_TOKEN_BUDGET

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = f"hash:{dim}"

    def _vector(self, text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        vector = np.zeros(self.dim, np.float32)
        for feature in (*words, *(f"{a} {b}" for a, b in zip(words, words[1:]))):
            code = zlib.crc32(feature.encode("utf-8"))
            vector[code % self.dim] += 1.0 if code & 0x80000000 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0], norm = 1.0, 1.0  # an empty text still gets a valid unit vector
        return vector / norm

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Hash queries (queries and passages share one space)."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Hash passages."""
        return self._embed(texts)

    def count_tokens(self, text: str) -> int:
        """Words, plus the two special tokens a transformer would add."""
        return len(_WORD.findall(text)) + 2

    def count_query_tokens(self, text: str) -> int:
        """As for passages: queries and passages are hashed alike."""
        return self.count_tokens(text)
