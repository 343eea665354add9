"""Dense, lexical and hybrid ranking over one loaded index version.

Hybrid = dense similarity with the language-bias correction, smoothed by the passage's document
(a passage inherits part of its document's relevance), plus BM25 where it is trustworthy: all
query terms against passages in the query's language, and only longer words (names, shared
loan words: Disney, Kindle, data) against passages in other languages, where short words are
false friends ("de", "in", "is").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .debias import project_out
from .lexical import LexicalIndex, analyze_query, words
from .vectors import VectorIndex

MODES = ("hybrid", "dense", "lexical")
CROSS_LANGUAGE_MIN_CHARS = 4


@dataclass(frozen=True)
class RankingConfig:
    """Weights of the hybrid score and the size of the candidate pool."""

    doc_weight: float = 0.4
    lexical_weight: float = 0.3
    debias: bool = True
    candidates: int = 200


@dataclass
class Corpus:
    """What ranking needs of a loaded version, aligned with `lexical.chunk_ids`."""

    vectors: VectorIndex
    lexical: LexicalIndex
    basis: np.ndarray
    chunk_docs: np.ndarray
    chunk_langs: np.ndarray
    doc_ids: list[str]
    doc_centroids: np.ndarray
    fetch_vectors: Callable[[Sequence[int]], np.ndarray]

    def __post_init__(self) -> None:
        self.row_of = {int(c): i for i, c in enumerate(self.lexical.chunk_ids)}
        self.doc_row = {d: i for i, d in enumerate(self.doc_ids)}


def lexical_scores(corpus: Corpus, query: str, query_lang: str) -> np.ndarray:
    """BM25 on a 0..1 scale: every term for same-language passages, longer words for the rest."""
    total = np.zeros(len(corpus.chunk_langs), np.float32)
    long_words = [w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS]
    for lang in np.unique(corpus.chunk_langs):
        rows = np.flatnonzero(corpus.chunk_langs == lang)
        if lang == query_lang:
            terms = analyze_query(query, lang)
        else:
            terms = analyze_query(" ".join(long_words), lang) if long_words else []
        if terms:
            scores, bound = corpus.lexical.scores(terms, rows)
            total[rows] = scores[rows] / bound
    return total


def rank(
    corpus: Corpus,
    query: str,
    query_vector: np.ndarray,
    query_lang: str,
    mode: str = "hybrid",
    k: int = 10,
    lang: str | None = None,
    group: bool = False,
    config: RankingConfig = RankingConfig(),
) -> list[tuple[int, float]]:
    """Ranked (chunk_id, score), best first, at most k."""
    n = len(corpus.lexical.chunk_ids)
    if n == 0:
        return []
    allowed = np.ones(n, bool) if lang is None else corpus.chunk_langs == lang
    pool = min(n, max(config.candidates, 20 * k))
    if lang is not None:
        pool = n  # a language filter can leave few matches among the top candidates; score them all
    query_vector = project_out(query_vector[None, :], corpus.basis)[0] if config.debias else query_vector

    candidates: set[int] = set()
    lexical = lexical_scores(corpus, query, query_lang) if mode in ("hybrid", "lexical") else None
    if lexical is not None:
        top = np.argsort(-lexical)[:pool]
        candidates.update(int(corpus.lexical.chunk_ids[i]) for i in top if lexical[i] > 0)
    if mode in ("hybrid", "dense"):
        _, ids = corpus.vectors.search(query_vector, pool)
        candidates.update(int(i) for i in ids[0] if i >= 0)
    rows = np.asarray(sorted(corpus.row_of[c] for c in candidates if c in corpus.row_of), dtype=np.int64)
    rows = rows[allowed[rows]] if len(rows) else rows
    if not len(rows):
        return []

    chunk_ids = corpus.lexical.chunk_ids[rows]
    if mode == "lexical":
        scores = lexical[rows]
    else:
        dense = corpus.fetch_vectors(chunk_ids) @ query_vector
        doc_rows = [corpus.doc_row[d] for d in corpus.chunk_docs[rows]]
        doc_dense = corpus.doc_centroids[doc_rows] @ query_vector
        scores = (1 - config.doc_weight) * dense + config.doc_weight * doc_dense
        if mode == "hybrid":
            scores = scores + config.lexical_weight * lexical[rows]
    order = np.argsort(-scores, kind="stable")
    if group:
        seen: set[str] = set()
        keep = []
        for i in order:
            doc = corpus.chunk_docs[rows[i]]
            if doc not in seen:
                seen.add(doc)
                keep.append(i)
        order = np.asarray(keep, dtype=np.int64)
    return [(int(chunk_ids[i]), float(scores[i])) for i in order[:k]]
