"""Exact brute-force backend in plain NumPy: a reference for FAISS and a fallback without it."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class NumpyIndex:
    """All vectors in one matrix; search is a matrix product and a partial sort."""

    name = "numpy"

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = np.asarray(ids, dtype=np.int64)
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, factory: str = "Flat") -> "NumpyIndex":
        """Build from chunk ids and vectors; only exact search exists here, so `factory` must be Flat."""
        if factory != "Flat":
            raise ValueError(f"the numpy backend only does exact search, not {factory!r}")
        return cls(ids, vectors)

    @classmethod
    def load(cls, path: Path) -> "NumpyIndex":
        """Read an index written by `save`."""
        with np.load(path) as data:
            return cls(data["ids"], data["vectors"])

    @property
    def ntotal(self) -> int:
        """Number of vectors held."""
        return len(self._ids)

    def set_search_params(self, params: str) -> None:
        """Exact search has no knobs; anything but an empty string is an error."""
        if params:
            raise ValueError(f"the numpy backend takes no search parameters, not {params!r}")

    def search(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids by inner product, never those in `exclude`."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        scores = np.full((len(queries), k), -np.inf, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        if self.ntotal == 0:
            return np.zeros_like(scores), ids
        sims = queries @ self._vectors.T
        top = min(k, self.ntotal)
        if exclude is not None and len(exclude):
            sims[:, np.isin(self._ids, exclude)] = -np.inf
            top = min(top, self.ntotal - int(np.isin(self._ids, exclude).sum()))
            if top <= 0:
                return np.zeros_like(scores), ids
        part = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        for row, cand in enumerate(part):
            order = cand[np.argsort(-sims[row, cand], kind="stable")]
            scores[row, :top] = sims[row, order]
            ids[row, :top] = self._ids[order]
        return scores, ids

    def save(self, path: Path) -> None:
        """Write to one .npz file (written through a handle so NumPy adds no suffix)."""
        with open(path, "wb") as handle:
            np.savez(handle, ids=self._ids, vectors=self._vectors)
