"""The in-process engine: the embedder runs in this process, batch after batch."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from index.embedders import get_embedder

from .base import Progress

BATCH_SIZE = 16


class LocalEngine:
    """Embeds in the calling process; progress is reported after every batch."""

    name = "local"

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def embed(self, passages: Sequence[str], embedder: str, progress: Progress | None = None) -> np.ndarray:
        """Vectors for `passages`, in order."""
        model = get_embedder(embedder)
        parts = []
        for i in range(0, len(passages), self.batch_size):
            parts.append(model.embed_passages(passages[i : i + self.batch_size]))
            if progress:
                progress(min(i + self.batch_size, len(passages)))
        return np.concatenate(parts) if parts else np.zeros((0, model.dim), dtype=np.float32)
