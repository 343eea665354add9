"""Any sentence-transformers model, by hub name or local path (`st:<name or path>`)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from ..errors import MissingPackage
from .base import QUERY_TOKEN_BUDGET


class SentenceTransformerEmbedder:
    """A sentence-transformers model; e5-style prefixes are applied when the model name says e5."""

    def __init__(self, model: str, device: str | None = None) -> None:
        try:  # torch: seconds to import, and an optional package set: only for st: models
            from sentence_transformers import SentenceTransformer
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"embedder 'st:{model}' needs sentence-transformers ({exc}): "
                                 "pip install -r requirements-st.txt") from None
        self.name = f"st:{model}"
        self._model = SentenceTransformer(model, device=device)
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.max_query_tokens = min(QUERY_TOKEN_BUDGET, self.max_tokens)
        is_e5 = "e5" in model.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries."""
        return self._encode([self._query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages."""
        return self._encode([self._passage_prefix + t for t in texts])

    def count_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer produces, special tokens included."""
        return len(self._model.tokenizer(self._passage_prefix + text)["input_ids"])

    def count_query_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer produces for a query, prefix and special tokens included."""
        return len(self._model.tokenizer(self._query_prefix + text)["input_ids"])
