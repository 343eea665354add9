"""The embedding-engine protocol: where passage vectors are computed (in process today, a cluster later)."""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np

# Called with the number of passages embedded so far; it may raise to abort the work (a stopping runner).
Progress = Callable[[int], None]


class EmbeddingEngine(Protocol):
    """Embeds the passages of prepared documents with a named embedder, reporting progress as it goes."""

    name: str

    def embed(self, passages: Sequence[str], embedder: str, progress: Progress | None = None) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised passage vectors, in the order given."""
        ...
