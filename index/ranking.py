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
    neighbour_weight: float = 0.2
    lexical_weight: float = 0.3
    lexical_floor: float = 0.2
    debias: bool = True
    candidates: int = 200


@dataclass
class Corpus:
    """What ranking needs of a loaded version, aligned with `lexical.chunk_ids`."""

    vectors: VectorIndex
    lexical: LexicalIndex
    basis: np.ndarray
    chunk_docs: np.ndarray
    chunk_langs: np.ndarray  # a passage's own language where langdetect was sure, else its document's
    doc_ids: list[str]
    doc_centroids: np.ndarray
    fetch_vectors: Callable[[Sequence[int]], np.ndarray]

    def __post_init__(self) -> None:
        self.row_of = {int(c): i for i, c in enumerate(self.lexical.chunk_ids)}
        self.doc_row = {d: i for i, d in enumerate(self.doc_ids)}
        # Rows are in chunk-id order and a document's chunks are stored consecutively, in order.
        rows = np.arange(len(self.chunk_docs))
        same_prev = np.r_[False, self.chunk_docs[1:] == self.chunk_docs[:-1]]
        same_next = np.r_[self.chunk_docs[:-1] == self.chunk_docs[1:], False]
        self.prev_row = np.where(same_prev, rows - 1, rows)
        self.next_row = np.where(same_next, rows + 1, rows)


def lexical_scores(corpus: Corpus, query: str, query_lang: str) -> np.ndarray:
    """BM25 on a 0..1 scale: every term for same-language passages, longer words for the rest."""
    total = np.zeros(len(corpus.chunk_langs), np.float32)
    long_words = " ".join(w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS)
    for lang in corpus.lexical.langs:
        text = query if lang == query_lang else long_words
        if text:
            scores, bound = corpus.lexical.scores(analyze_query(text, lang), lang)
            total += scores / bound
    return total


def _dense_in_context(corpus: Corpus, rows: np.ndarray, query_vector: np.ndarray, config: RankingConfig) -> np.ndarray:
    """Passage similarity read in context: blended with its document's centroid and its best neighbour.

    Answers often straddle a chunk boundary, and a passage of a relevant document is more likely
    relevant itself; both help most across languages, where single-passage scores are close.
    """
    around = np.unique(np.concatenate([rows, corpus.prev_row[rows], corpus.next_row[rows]]))
    dense = dict(zip(around.tolist(), corpus.fetch_vectors(corpus.lexical.chunk_ids[around]) @ query_vector))
    own = np.asarray([dense[r] for r in rows.tolist()])
    neighbour = np.maximum([dense[r] for r in corpus.prev_row[rows].tolist()],
                           [dense[r] for r in corpus.next_row[rows].tolist()])
    doc = corpus.doc_centroids[[corpus.doc_row[d] for d in corpus.chunk_docs[rows]]] @ query_vector
    return (1 - config.doc_weight) * own + config.doc_weight * doc + config.neighbour_weight * neighbour


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
    """Ranked (chunk_id, score), best first, at most k; `lang` keeps passages in that language.

    `query_lang` `und` (unsure) treats every corpus language alike: only longer words count lexically.
    """
    n = len(corpus.lexical.chunk_ids)
    if n == 0:
        return []
    allowed = np.ones(n, bool) if lang is None else corpus.chunk_langs == lang
    # A language filter keeps only part of the candidates; widen the pool by that part's inverse share.
    pool = min(n, max(config.candidates, 20 * k) * n // max(1, int(allowed.sum())))
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
        scores = _dense_in_context(corpus, rows, query_vector, config)
        if mode == "hybrid":
            # Weak overlap (a shared common word, an English phrase quoted in a Swedish text) is as
            # likely by chance as not; only the part of BM25 above the floor counts as evidence.
            evidence = np.maximum(0.0, lexical[rows] - config.lexical_floor) / (1 - config.lexical_floor)
            scores = scores + config.lexical_weight * evidence
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
