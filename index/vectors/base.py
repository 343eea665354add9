"""The vector backend protocol: build from (ids, vectors), search by inner product, save and load."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    """Nearest neighbours by inner product over L2-normalised vectors, keyed by chunk id."""

    name: str

    @property
    def ntotal(self) -> int:
        """Number of vectors held."""
        ...

    def set_search_params(self, params: str) -> None:
        """Approximate-search knobs such as "nprobe=128"; empty means the backend's default."""
        ...

    def search(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each (n_queries, k); missing neighbours have id -1; `exclude` ids never come back."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to a single file."""
        ...
