"""Correction of the embedding model's same-language bias, estimated from the indexed corpus.

Multilingual encoders place every text partly along a language-identity direction, so a query
scores higher against passages of its own language whatever they say. Two corrections, both
estimated at publish time from the corpus itself:

* centring: each language's mean passage vector is subtracted from that language's passages
  (and the corpus mean from the query) before renormalising, which removes language identity
  from the passages more completely than a projection;
* projection: the span of the (centred) per-language means is projected out of the query, the
  post-hoc removal of a low-rank language subspace, which catches what the query's own
  language adds.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

# A language needs this many chunks before its mean is a language signal rather than one passage's topic.
MIN_CHUNKS_PER_LANGUAGE = 3
# Directions carrying less than this share of the language-mean variance are noise, not language.
MIN_ENERGY = 0.02
# A language mean estimated from few documents is partly their topic: it is shrunk towards the
# corpus mean by n_docs / (n_docs + SHRINK_DOCS), so one document's language keeps its topic.
SHRINK_DOCS = 0.5


def language_subspace(vectors: np.ndarray, langs: Sequence[str]) -> np.ndarray:
    """Orthonormal basis (r, dim) of the directions that separate the corpus languages; r may be 0."""
    sums, counts = _sums(vectors, langs)
    return subspace_of(sums, counts, vectors.shape[1] if vectors.ndim == 2 else 0)


def subspace_of(sums: dict[str, np.ndarray], counts: dict[str, int], dim: int) -> np.ndarray:
    """`language_subspace` from per-language vector sums and chunk counts (kept running by the segments)."""
    means = [sums[lang] / counts[lang] for lang in sorted(sums) if counts[lang] >= MIN_CHUNKS_PER_LANGUAGE]
    if len(means) < 2:
        return np.zeros((0, dim), np.float32)
    centred = np.stack(means) - np.mean(means, axis=0)
    _, singular, basis = np.linalg.svd(centred, full_matrices=False)
    energy = singular**2 / max(float((singular**2).sum()), 1e-12)
    return basis[energy > MIN_ENERGY].astype(np.float32)


def _sums(vectors: np.ndarray, langs: Sequence[str]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    labels = np.asarray(langs)
    sums = {lang: vectors[labels == lang].astype(np.float64).sum(axis=0) for lang in sorted(set(langs))}
    return sums, {lang: int((labels == lang).sum()) for lang in sums}


def project_out(queries: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Remove the language subspace from query vectors."""
    if len(basis) == 0:
        return queries
    return (queries - (queries @ basis.T) @ basis).astype(np.float32)


@dataclass(frozen=True)
class Centring:
    """Mean passage vector per language, and of the whole corpus (the query's centre)."""

    langs: list[str]
    means: np.ndarray  # (len(langs), dim)
    corpus_mean: np.ndarray  # (dim,)

    @classmethod
    def fit(cls, vectors: np.ndarray, langs: Sequence[str], docs: Sequence[str]) -> "Centring":
        """Means of the languages with enough chunks, shrunk by their number of documents; others get the corpus mean."""
        sums, counts = _sums(vectors, langs)
        labels, doc_ids = np.asarray(langs), np.asarray(docs)
        n_docs = {lang: len(set(doc_ids[labels == lang])) for lang in sums}
        return cls.of_sums(sums, counts, n_docs, vectors.shape[1] if vectors.ndim == 2 else 0)

    @classmethod
    def of_sums(cls, sums: dict[str, np.ndarray], counts: dict[str, int], n_docs: dict[str, int],
                dim: int) -> "Centring":
        """`fit` from per-language vector sums, chunk counts and document counts (kept running by the segments)."""
        total = sum(counts.values())
        overall = sum(sums.values()) / total if total else np.zeros(dim)
        kept = [lang for lang in sorted(sums) if counts[lang] >= MIN_CHUNKS_PER_LANGUAGE]
        means = np.zeros((len(kept), dim))
        for i, lang in enumerate(kept):
            n = n_docs[lang]
            means[i] = overall + (sums[lang] / counts[lang] - overall) * n / (n + SHRINK_DOCS)
        return cls(kept, means.astype(np.float32), np.asarray(overall, np.float32))

    @classmethod
    def none(cls, dim: int) -> "Centring":
        """No centring (an index published before centring existed)."""
        return cls([], np.zeros((0, dim), np.float32), np.zeros(dim, np.float32))

    def rows(self, langs: Sequence[str]) -> np.ndarray:
        """Index into `table` of each chunk's centre (its language's mean, else the corpus mean)."""
        position = {lang: i for i, lang in enumerate(self.langs)}
        return np.asarray([position.get(lang, len(self.langs)) for lang in langs], np.int64)

    @property
    def table(self) -> np.ndarray:
        """The language means followed by the corpus mean."""
        return np.vstack([self.means, self.corpus_mean[None, :]])

    def save(self, path: Path) -> None:
        """Write the means beside a version's other derived files."""
        with open(path, "wb") as handle:
            np.savez(handle, langs=np.asarray(self.langs, dtype=str), means=self.means, corpus_mean=self.corpus_mean)

    @classmethod
    def load(cls, path: Path, dim: int) -> "Centring":
        """Read what `save` wrote; no centring when the file is absent."""
        if not path.exists():
            return cls.none(dim)
        with np.load(path) as data:
            return cls([str(x) for x in data["langs"]], data["means"], data["corpus_mean"])


def centre(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Subtract each row's centre and renormalise to unit length."""
    shifted = vectors - centres
    return (shifted / np.maximum(np.linalg.norm(shifted, axis=-1, keepdims=True), 1e-12)).astype(np.float32)
