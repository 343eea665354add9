"""Document centroids: each document's mean chunk vector, the document-level context of its passages."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np


def save_centroids(path: Path, chunk_docs: Sequence[str], vectors: np.ndarray) -> None:
    """Write each document's normalised mean chunk vector."""
    doc_ids, inverse = np.unique(np.asarray(chunk_docs, dtype=str), return_inverse=True)
    sums = np.zeros((len(doc_ids), vectors.shape[1]), np.float64)
    np.add.at(sums, inverse, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    with open(path, "wb") as handle:
        np.savez(handle, doc_ids=doc_ids, centroids=(sums / np.maximum(norms, 1e-12)).astype(np.float32))


def load_centroids(path: Path) -> tuple[list[str], np.ndarray]:
    """Read what `save_centroids` wrote."""
    with np.load(path) as data:
        return [str(d) for d in data["doc_ids"]], data["centroids"]
