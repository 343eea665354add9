"""Correction of the embedding model's same-language bias, estimated from the indexed corpus.

Multilingual encoders place every text partly along a language-identity subspace, so a query
scores higher against passages of its own language whatever they say. Following the post-hoc
approach of removing a low-rank language subspace (the span of the per-language mean
embeddings, centred), we project that subspace out of the query before scoring. Since the
projection P is symmetric, q·Pp = (Pq)·p: the stored passage vectors stay untouched.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

# A language needs this many chunks before its mean is a language signal rather than one passage's topic.
MIN_CHUNKS_PER_LANGUAGE = 3
# Directions carrying less than this share of the language-mean variance are noise, not language.
MIN_ENERGY = 0.02


def language_subspace(vectors: np.ndarray, langs: Sequence[str]) -> np.ndarray:
    """Orthonormal basis (r, dim) of the directions that separate the corpus languages; r may be 0."""
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    labels = np.asarray(langs)
    means = [
        vectors[labels == lang].mean(axis=0)
        for lang in sorted(set(langs))
        if (labels == lang).sum() >= MIN_CHUNKS_PER_LANGUAGE
    ]
    if len(means) < 2:
        return np.zeros((0, dim), np.float32)
    centred = np.stack(means) - np.mean(means, axis=0)
    _, singular, basis = np.linalg.svd(centred, full_matrices=False)
    energy = singular**2 / max(float((singular**2).sum()), 1e-12)
    return basis[energy > MIN_ENERGY].astype(np.float32)


def project_out(queries: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Remove the language subspace from query vectors."""
    if len(basis) == 0:
        return queries
    return (queries - (queries @ basis.T) @ basis).astype(np.float32)
