"""Vector backends behind one protocol: `faiss` (default) and `numpy` (exact reference)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import VectorIndex
from .numpy import NumpyIndex

BACKENDS = ("faiss", "numpy")


def _backend(name: str):
    if name == "faiss":
        from .faiss import FaissIndex  # faiss takes ~0.5 s to import: not for CLIs that never open a segment

        return FaissIndex
    if name == "numpy":
        return NumpyIndex
    raise ValueError(f"unknown vector backend {name!r} (choose from {', '.join(BACKENDS)})")


def build_index(backend: str, ids: np.ndarray, vectors: np.ndarray, factory: str = "Flat") -> VectorIndex:
    """Build a vector index of the named backend."""
    return _backend(backend).build(ids, vectors, factory)


def load_index(backend: str, path: Path) -> VectorIndex:
    """Load a vector index of the named backend from its file."""
    return _backend(backend).load(path)


__all__ = ["BACKENDS", "VectorIndex", "build_index", "load_index"]
