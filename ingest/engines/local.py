"""The in-process engine: files are prepared and passages embedded in this process, one after another."""
from __future__ import annotations

from typing import Callable, Sequence, TypeVar

import numpy as np

from index.embedders import get_embedder

from .base import Progress, Steps

BATCH_SIZE = 16
T = TypeVar("T")
R = TypeVar("R")


class LocalEngine:
    """Works in the calling process (the embedder parallelises over this machine's cores itself)."""

    name = "local"

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def start(self) -> None:
        """Nothing to start: the embedder loads at first use."""

    def close(self) -> None:
        """Nothing to release."""

    def map(self, fn: Callable[[T, Steps | None], R], items: Sequence[T], progress: Progress | None = None,
            steps: Steps | None = None) -> list[R]:
        """`fn(item, steps)` for each item in turn."""
        results = []
        for item in items:
            results.append(fn(item, steps))
            if progress:
                progress(len(results))
        return results

    def embed(self, passages: Sequence[str], embedder: str, progress: Progress | None = None) -> np.ndarray:
        """Vectors for `passages`, in order; progress is reported after every batch."""
        model = get_embedder(embedder)
        parts = []
        for i in range(0, len(passages), self.batch_size):
            parts.append(model.embed_passages(passages[i : i + self.batch_size]))
            if progress:
                progress(min(i + self.batch_size, len(passages)))
        return np.concatenate(parts) if parts else np.zeros((0, model.dim), dtype=np.float32)
