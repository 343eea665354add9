"""Document centroids: each document's mean chunk vector, the document-level context of its passages.

Two sets are kept: of the centred passage vectors (what ranking uses) and of the vectors as
embedded (for ranking without the language-bias correction, an evaluation ablation).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np


def _means(inverse: np.ndarray, count: int, vectors: np.ndarray) -> np.ndarray:
    sums = np.zeros((count, vectors.shape[1]), np.float64)
    np.add.at(sums, inverse, vectors)
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def save_centroids(path: Path, chunk_docs: Sequence[str], centred: np.ndarray, raw: np.ndarray) -> None:
    """Write each document's normalised mean chunk vector, of the centred and of the raw vectors."""
    doc_ids, inverse = np.unique(np.asarray(chunk_docs, dtype=str), return_inverse=True)
    with open(path, "wb") as handle:
        np.savez(handle, doc_ids=doc_ids, centroids=_means(inverse, len(doc_ids), centred),
                 raw_centroids=_means(inverse, len(doc_ids), raw))


def load_centroids(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read what `save_centroids` wrote: doc ids, centred centroids, raw centroids."""
    with np.load(path) as data:
        centroids = data["centroids"]
        raw = data["raw_centroids"] if "raw_centroids" in data.files else centroids
        return [str(d) for d in data["doc_ids"]], centroids, raw
