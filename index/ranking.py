"""Dense, lexical and hybrid ranking over one loaded index version.

Dense = similarity after the language-bias correction (passages centred on their language's
mean, the query on the corpus mean with the language subspace projected out), read in context
(the passage's document centroid and best neighbour), with one round of pseudo-relevance
feedback from the best documents when the corpus has enough of them for the best few to be a
selection. Hybrid adds BM25 where it is trustworthy: all query terms against passages in the
query's language, and only longer words (names, shared loan words: Disney, Kindle, data) against
passages in other languages, where short words are false friends ("de", "in", "is"). Every
mode subtracts a demotion for passages that say little (headings, calls to action, bylines).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .debias import centre, project_out
from .lexical import LexicalIndex, analyze_query, words
from .vectors import VectorIndex

MODES = ("hybrid", "dense", "lexical")
CROSS_LANGUAGE_MIN_CHARS = 4


@dataclass(frozen=True)
class RankingConfig:
    """Weights of the hybrid score, the feedback round, the filler demotion and the candidate pool."""

    doc_weight: float = 0.3
    neighbour_weight: float = 0.2
    lexical_weight: float = 0.3
    lexical_floor: float = 0.2
    debias: bool = True
    centring: bool = True
    # Pseudo-relevance feedback: the query moves towards the mean centroid of the best documents,
    # at most one in `feedback_share` of the corpus's documents (in a corpus of five documents the
    # best five are all of them, which is no evidence at all).
    feedback_docs: int = 5
    feedback_weight: float = 0.7
    feedback_share: int = 20
    # Subtracted from the score of a passage that says nothing (content prior 0), in proportion.
    filler_weight: float = 0.5
    candidates: int = 200


@dataclass
class Corpus:
    """What ranking needs of a loaded version, aligned with `lexical.chunk_ids`."""

    vectors: VectorIndex  # holds the centred passage vectors
    lexical: LexicalIndex
    basis: np.ndarray
    chunk_docs: np.ndarray
    chunk_langs: np.ndarray  # a passage's own language where langdetect was sure, else its document's
    doc_ids: list[str]
    doc_centroids: np.ndarray  # means of the centred passage vectors
    raw_centroids: np.ndarray  # means of the passage vectors as embedded (ranking without centring)
    fetch_vectors: Callable[[Sequence[int]], np.ndarray]  # as embedded, before centring
    centres: np.ndarray  # (languages + 1, dim): each language's mean passage vector, then the corpus mean
    centre_row: np.ndarray  # per chunk: its row in `centres`
    content: np.ndarray  # per chunk: content prior in 0..1

    def __post_init__(self) -> None:
        self.row_of = {int(c): i for i, c in enumerate(self.lexical.chunk_ids)}
        self.doc_row = {d: i for i, d in enumerate(self.doc_ids)}
        self.chunk_doc_row = np.asarray([self.doc_row[d] for d in self.chunk_docs], np.int64)
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


def _unit(vector: np.ndarray) -> np.ndarray:
    return centre(vector[None, :], np.zeros((1, len(vector)), np.float32))[0]


def corrected_query(corpus: Corpus, query_vector: np.ndarray, config: RankingConfig) -> np.ndarray:
    """The query after the language-bias correction: centred on the corpus mean, language subspace removed.

    The corpus mean rather than the query language's: a wrong guess of a short query's language
    must not move it towards another language's passages.
    """
    q = query_vector - corpus.centres[-1] if config.centring else query_vector
    if config.debias:
        q = project_out(q[None, :], corpus.basis)[0]
    return _unit(q)


@dataclass
class _Candidates:
    """Centred vectors of candidate passages and of their neighbours, for scoring one query."""

    vectors: np.ndarray
    own: np.ndarray  # row in `vectors` of each candidate, of its previous and of its next passage
    prev: np.ndarray
    next: np.ndarray
    docs: np.ndarray  # document row of each candidate
    centroids: np.ndarray  # of every document, centred or not like `vectors`


def _gather(corpus: Corpus, rows: np.ndarray, config: RankingConfig) -> _Candidates:
    around, inverse = np.unique(np.concatenate([rows, corpus.prev_row[rows], corpus.next_row[rows]]),
                                return_inverse=True)
    raw = corpus.fetch_vectors(corpus.lexical.chunk_ids[around])
    centres = corpus.centres[corpus.centre_row[around]] if config.centring else np.zeros_like(raw)
    n = len(rows)
    return _Candidates(centre(raw, centres), inverse[:n], inverse[n : 2 * n], inverse[2 * n :],
                       corpus.chunk_doc_row[rows], corpus.doc_centroids if config.centring else corpus.raw_centroids)


def _dense_in_context(corpus: Corpus, cands: _Candidates, q: np.ndarray, config: RankingConfig) -> np.ndarray:
    """Passage similarity read in context: blended with its document's centroid and its best neighbour.

    Answers often straddle a chunk boundary, and a passage of a relevant document is more likely
    relevant itself; both help most across languages, where single-passage scores are close.
    """
    sims = cands.vectors @ q
    neighbour = np.maximum(sims[cands.prev], sims[cands.next])
    doc = cands.centroids[cands.docs] @ q
    return (1 - config.doc_weight) * sims[cands.own] + config.doc_weight * doc + config.neighbour_weight * neighbour


def _feedback(corpus: Corpus, cands: _Candidates, scores: np.ndarray, q: np.ndarray,
              config: RankingConfig) -> np.ndarray | None:
    """One round of pseudo-relevance feedback (Rocchio): the query plus the best documents' mean centroid.

    Documents rather than passages: a document's centroid is what its versions in other
    languages share, so feedback pulls in translations rather than more of the query's language.
    None when the corpus is too small for the best documents to be a selection.
    """
    m = min(config.feedback_docs, len(corpus.doc_ids) // config.feedback_share)
    if m < 1 or config.feedback_weight <= 0:
        return None
    ranked_docs = cands.docs[np.argsort(-scores, kind="stable")]
    _, first = np.unique(ranked_docs, return_index=True)
    best = ranked_docs[np.sort(first)[:m]]
    return _unit(q + config.feedback_weight * _unit(cands.centroids[best].mean(axis=0)))


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
    With `group`, one passage per document, its best; the document's score is that passage's
    (its own similarity blended with its document's centroid similarity and its best neighbour's).
    """
    n = len(corpus.lexical.chunk_ids)
    if n == 0:
        return []
    allowed = np.ones(n, bool) if lang is None else corpus.chunk_langs == lang
    # A language filter keeps only part of the candidates; widen the pool by that part's inverse share.
    pool = min(n, max(config.candidates, 20 * k) * n // max(1, int(allowed.sum())))
    q = corrected_query(corpus, query_vector, config)

    candidates: set[int] = set()
    lexical = lexical_scores(corpus, query, query_lang) if mode in ("hybrid", "lexical") else None
    if lexical is not None:
        top = np.argsort(-lexical)[:pool]
        candidates.update(int(corpus.lexical.chunk_ids[i]) for i in top if lexical[i] > 0)
    if mode in ("hybrid", "dense"):
        _, ids = corpus.vectors.search(q[None, :], pool)
        candidates.update(int(i) for i in ids[0] if i >= 0)
    rows = np.asarray(sorted(corpus.row_of[c] for c in candidates if c in corpus.row_of), dtype=np.int64)
    rows = rows[allowed[rows]] if len(rows) else rows
    if not len(rows):
        return []

    if mode == "lexical":
        scores = lexical[rows]
    else:
        cands = _gather(corpus, rows, config)
        scores = _dense_in_context(corpus, cands, q, config)
        moved = _feedback(corpus, cands, scores, q, config)
        if moved is not None:
            scores = _dense_in_context(corpus, cands, moved, config)
        if mode == "hybrid":
            # Weak overlap (a shared common word, an English phrase quoted in a Swedish text) is as
            # likely by chance as not; only the part of BM25 above the floor counts as evidence.
            evidence = np.maximum(0.0, lexical[rows] - config.lexical_floor) / (1 - config.lexical_floor)
            scores = scores + config.lexical_weight * evidence
    # Squared: a passage of running text (prior near 1) loses next to nothing, a menu or heading much.
    scores = scores - config.filler_weight * (1 - corpus.content[rows]) ** 2
    order = np.argsort(-scores, kind="stable")
    if group:
        _, first = np.unique(corpus.chunk_doc_row[rows][order], return_index=True)
        order = order[np.sort(first)]
    chunk_ids = corpus.lexical.chunk_ids[rows]
    return [(int(chunk_ids[i]), float(scores[i])) for i in order[:k]]
