"""The embedder protocol every backend implements."""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, with separate query and passage roles."""

    name: str
    dim: int
    max_tokens: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised query vectors."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised passage vectors."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens the model sees for a passage, special tokens included."""
        ...
