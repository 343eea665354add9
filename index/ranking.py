"""Dense, lexical and hybrid ranking over one loaded index version.

Dense = similarity after the language-bias correction (passages centred on their language's
mean, the query on the corpus mean with the language subspace projected out), read in context
(the passage's document centroid and best neighbour), with one round of pseudo-relevance
feedback from the best documents when the corpus has enough of them for the best few to be a
selection. Hybrid adds BM25 where it is trustworthy: all query terms against passages in the
query's language, and the query's words translated by the lexical bridge (`index/bridge.py`), each
weighted by its evidence, against passages in other languages: the query plan (`index/queryplan.py`),
built here once per search and handed to the store. A concept the query names (`index/steering.py`) adds its
labels to the plan and, in hybrid mode, evidence to the passages grounded in it. Every mode subtracts a
demotion for passages that say little (headings, calls to action, bylines); an ungrouped ranking makes a
document's next passage beat other documents by `repeat_share` of the best score per passage of it already placed,
and shows at most `per_document` passages of a document before any document's next ones.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import sparse

from .bridge import Bridge
from .concepts.lookup import NAMES_A_CONCEPT
from .debias import centre, project_out
from .protocols import Snapshot
from .queryplan import plan_query
from .records import Passage
from .steering import Steering


@dataclass(frozen=True)
class RankingConfig:
    """Weights of the hybrid score, the feedback round, the filler demotion and the candidate pool."""

    doc_weight: float = 0.3
    neighbour_weight: float = 0.2
    # Tuned on the development corpus (eval/corpus-install titles: MRR@10 0.718 at 0.3/0.2, a plateau of 0.727-0.730
    # from 0.5 to 1.0 with floors 0-0.2), judged on the test corpus (docs/ranking.md).
    lexical_weight: float = 0.5
    lexical_floor: float = 0.1
    # BM25 against another language reads the query's words translated, never as written: its best match scores
    # lower than an own-language passage holding the same words. Each other language's scores are divided by its
    # best one (at least this much, so weak chance matches stay weak): every language's best match counts alike.
    # Chosen on the development corpus (install titles, all languages: MRR@10 0.839 -> 0.857 / 0.855 / 0.847 and
    # recall@10 0.886 -> 0.852 / 0.879 / 0.887 at 0.3 / 0.5 / 0.7: the best MRR short of losing recall), judged on
    # the test corpus (docs/ranking.md); 0 keeps the raw scores.
    lexical_language_floor: float = 0.5
    # Translate the query's words into the other passage languages for BM25 (`index.bridge`) when given a bridge.
    bridge: bool = True
    debias: bool = True
    centring: bool = True
    # Pseudo-relevance feedback: the query moves towards the mean centroid of the best documents, at most one in
    # `feedback_share` of the corpus's documents (in a corpus of five documents the best five are all of them, which
    # is no evidence at all), and only when the best document leads the next by `feedback_gap` (a close race is no
    # evidence either). Tuned on the development corpora (docs/ranking.md): the best document alone, behind a gap
    # of 0.05, lifts MRR@10 where the mean of the best five cost it.
    feedback_docs: int = 1
    feedback_weight: float = 0.7
    feedback_share: int = 20
    feedback_gap: float = 0.05
    # Subtracted from the score of a passage that says nothing (content prior 0), in proportion.
    filler_weight: float = 0.5
    candidates: int = 200
    # A concept steers a search when its look-up score reaches this (by default, the score at which its card is
    # shown); a passage grounded in it then gains concept_weight x that score (summed over the steering concepts),
    # named_concept_weight where the whole query is the concept's label or alias: its card and first passage then
    # agree (over every wording of every grounded concept of the seed catalogue, 0.89 at 0.1, 0.98-0.99 at 0.2; the
    # even-numbered concepts chose it, the odd ones judged it: docs/ranking.md).
    concept_min_score: float = NAMES_A_CONCEPT
    concept_weight: float = 0.1
    named_concept_weight: float = 0.2
    # Ungrouped: at most this many passages of one document come before every other document's next
    # ones (0: no cap); the passages beyond it follow, best first, so a page is still full.
    per_document: int = 2
    # Ungrouped, and before the cap: a passage ranks as if its score were lower by this share of the best score per
    # passage of its document already above it, so a document's next passage must beat another document's best by
    # that margin. A share, not a fixed amount: cross-language scores are low (a best of 0.15), where a fixed 0.1
    # buried a document's second answer under weak passages of others. Tuned on the development corpora
    # (docs/ranking.md): 0.2 is the largest share that keeps the seed questions' hit@3.
    repeat_share: float = 0.2


def _unit(vector: np.ndarray) -> np.ndarray:
    return centre(vector[None, :], np.zeros((1, len(vector)), np.float32))[0]


def corrected_query(snapshot: Snapshot, query_vector: np.ndarray, config: RankingConfig) -> np.ndarray:
    """The query after the language-bias correction: centred on the corpus mean, language subspace removed.

    The corpus mean rather than the query language's: a wrong guess of a short query's language
    must not move it towards another language's passages.
    """
    q = query_vector - snapshot.centring.corpus_mean if config.centring else query_vector
    if config.debias:
        q = project_out(q[None, :], snapshot.basis)[0]
    return _unit(q)


@dataclass(frozen=True)
class Ranked:
    """A ranking: (chunk_id, score) best first, and the score a passage needs for the search to show it."""

    passages: list[tuple[int, float]]
    floor: float


@dataclass
class _Candidates:
    """Centred vectors of candidate passages and of their neighbours, for scoring one query."""

    vectors: np.ndarray
    own: np.ndarray  # row in `vectors` of each candidate, of its previous and of its next passage
    prev: np.ndarray
    next: np.ndarray
    docs: np.ndarray  # row in `centroids` of each candidate's document
    centroids: np.ndarray  # of the candidates' documents, centred or not like `vectors`


def document_centroids(vectors: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group (a document), the normalised sum of its rows: `group[i]` is row i's; a group without rows is zero.

    What every store returns from `Snapshot.doc_centroids`; one sparse product (np.add.reduceat or a loop
    per document is ten times slower on a search's few thousand candidate rows)."""
    members = sparse.csr_matrix((np.ones(len(group), np.float32), (np.asarray(group), np.arange(len(group)))),
                                shape=(groups, len(group)))
    sums = np.asarray(members @ np.asarray(vectors, np.float32), np.float64)
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _gather(snapshot: Snapshot, ids: list[int], passages: dict[int, Passage], config: RankingConfig) -> _Candidates:
    own = [passages[c] for c in ids]
    around, inverse = np.unique(np.asarray(ids + [p.prev for p in own] + [p.next for p in own],
                                           np.int64), return_inverse=True)
    known = {**passages, **snapshot.passages([int(c) for c in around if int(c) not in passages])}
    raw = snapshot.vectors(around)
    centring = snapshot.centring
    centres = centring.table[centring.rows([known[int(c)].lang for c in around])] if config.centring else np.zeros_like(raw)
    doc_ids, docs = np.unique(np.asarray([p.doc_id for p in own], dtype=object), return_inverse=True)
    centred, raw_centroids = snapshot.doc_centroids(list(doc_ids))
    n = len(ids)
    return _Candidates(centre(raw, centres), inverse[:n], inverse[n : 2 * n], inverse[2 * n :], docs,
                       centred if config.centring else raw_centroids)


def _dense_in_context(cands: _Candidates, q: np.ndarray, config: RankingConfig) -> np.ndarray:
    """Passage similarity read in context: blended with its document's centroid and its best neighbour.

    Answers often straddle a chunk boundary, and a passage of a relevant document is more likely
    relevant itself; both help most across languages, where single-passage scores are close.
    """
    sims = cands.vectors @ q
    neighbour = np.maximum(sims[cands.prev], sims[cands.next])
    doc = cands.centroids[cands.docs] @ q
    return (1 - config.doc_weight) * sims[cands.own] + config.doc_weight * doc + config.neighbour_weight * neighbour


def _feedback(snapshot: Snapshot, cands: _Candidates, scores: np.ndarray, q: np.ndarray,
              config: RankingConfig) -> np.ndarray | None:
    """One round of pseudo-relevance feedback (Rocchio): the query plus the best documents' mean centroid.

    Documents rather than passages: a document's centroid is what its versions in other
    languages share, so feedback pulls in translations rather than more of the query's language.
    None when the corpus is too small for the best documents to be a selection, or when the best
    document does not lead the next by `config.feedback_gap` (following a wrong guess costs more than it finds).
    """
    m = min(config.feedback_docs, snapshot.n_documents // config.feedback_share)
    if m < 1 or config.feedback_weight <= 0:
        return None
    order = np.argsort(-scores, kind="stable")
    ranked_docs = cands.docs[order]
    _, first = np.unique(ranked_docs, return_index=True)
    first = np.sort(first)  # each document's best passage, best document first
    if len(first) > 1 and scores[order[first[0]]] - scores[order[first[1]]] < config.feedback_gap:
        return None
    best = ranked_docs[first[:m]]
    return _unit(q + config.feedback_weight * _unit(cands.centroids[best].mean(axis=0)))


def rank(
    snapshot: Snapshot,
    query: str,
    query_vector: np.ndarray | Callable[[], np.ndarray] | None,
    query_lang: str,
    mode: str = "hybrid",
    k: int = 10,
    lang: str | None = None,
    group: bool = False,
    config: RankingConfig = RankingConfig(),
    steering: Steering = Steering(),
    shown_floor: tuple[float, float] = (float("-inf"), 0.0),
    bridge: Bridge | None = None,
) -> Ranked:
    """Ranked (chunk_id, score), best first, at most k, and the floor of those shown; `lang` keeps passages in that
    language.

    `query_vector` may be None in lexical mode, which never reads it, or a call that waits for it (the lexical
    retrieval runs first, while the query is still being encoded); `bridge` translates the query's words for
    BM25 against passages in other languages. `query_lang` `und` (unsure) treats
    every corpus language alike: only longer words count lexically.
    With `group`, one passage per document, its best; the document's score is that passage's
    (its own similarity blended with its document's centroid similarity and its best neighbour's). Without,
    each passage ranks `config.repeat_share` of the best score lower per passage of its document above it, and
    at most `config.per_document` passages of a document come before the others' next ones, among the passages
    a search shows: those scoring at least max(min_score, share x the best score), `shown_floor` = (min_score,
    share); a cap among passages too weak to show would only empty the page. Grouped, min_score alone. `steering`
    holds the concepts the query names (`index/steering.py`); the best score the share is taken of is the best
    without their bonus, so a named concept raises its passages, not the bar for the others.
    """
    if query_vector is None and mode != "lexical":
        raise ValueError(f"{mode} ranking needs the query vector")
    n = snapshot.n_chunks
    if n == 0:
        return Ranked([], shown_floor[0])
    allowed = n if lang is None else snapshot.chunk_languages().get(lang, 0)
    # A language filter keeps only part of the candidates; widen the pool by that part's inverse share.
    pool = min(n, max(config.candidates, 20 * k) * n // max(1, allowed))

    candidates: set[int] = set()
    lexical: dict[int, float] = {}
    translating = bridge if config.bridge else None
    plan = (plan_query(query, query_lang, snapshot.chunk_languages(), translating, steering.terms)
            if mode != "dense" else None)
    if plan is not None:
        lexical = snapshot.lexical_top(plan, pool)
        candidates.update(lexical)
    vector = query_vector() if callable(query_vector) else query_vector
    q = None if vector is None else corrected_query(snapshot, vector, config)
    if mode in ("hybrid", "dense"):
        candidates.update(c for c, _ in snapshot.dense(q, pool))
    passages = snapshot.passages(sorted(candidates))
    ids = [c for c in sorted(passages) if lang is None or passages[c].lang == lang]
    if not ids:
        return Ranked([], shown_floor[0])
    if plan is not None:
        lexical.update(snapshot.lexical_of(plan, [c for c in ids if c not in lexical]))
    lexical_rows = np.asarray([lexical.get(c, 0.0) for c in ids], np.float32)

    steered = np.zeros(len(ids), np.float32)
    if mode == "lexical":
        scores = lexical_rows
    else:
        cands = _gather(snapshot, ids, passages, config)
        extra = np.zeros(len(ids), np.float32)
        if mode == "hybrid":
            # Weak overlap (a shared common word, an English phrase quoted in a Swedish text) is as
            # likely by chance as not; only the part of BM25 above the floor counts as evidence.
            calibrated = _per_language(lexical_rows, [passages[c].lang for c in ids], query_lang,
                                       config.lexical_language_floor)
            evidence = np.maximum(0.0, calibrated - config.lexical_floor) / (1 - config.lexical_floor)
            steered = _grounded(snapshot, ids, steering, config)
            extra = config.lexical_weight * evidence + steered
        scores = _dense_in_context(cands, q, config)
        # The documents feedback follows are chosen on all the evidence (an exact title match is lexical).
        moved = _feedback(snapshot, cands, scores + extra, q, config)
        if moved is not None:
            scores = _dense_in_context(cands, moved, config)
        scores = scores + extra
    content = np.asarray([passages[c].content for c in ids], np.float32)
    # Squared: a passage of running text (prior near 1) loses next to nothing, a menu or heading much.
    scores = scores - config.filler_weight * (1 - content) ** 2
    _, docs = np.unique(np.asarray([passages[c].doc_id for c in ids], dtype=object), return_inverse=True)
    ratio_floor = max(shown_floor[0], shown_floor[1] * float((scores - steered).max()))
    floor = shown_floor[0] if group else ratio_floor
    if mode == "hybrid":
        scores = _lexical_best_shown(scores, lexical_rows, config.lexical_floor, shown_floor[0], ratio_floor, k,
                                     docs, group)
    order = np.argsort(-scores, kind="stable")
    if group:
        _, first = np.unique(docs[order], return_index=True)
        order = order[np.sort(first)]
    elif config.per_document > 0 or config.repeat_share > 0:
        # The shown passages are a prefix of the order, which is by score.
        best = float(scores[order[0]])
        shown = int(np.count_nonzero(scores >= floor))
        penalty = config.repeat_share * max(best, 0.0)
        head = _spread(order[:shown], scores, docs, penalty) if penalty > 0 else order[:shown]
        if config.per_document > 0:
            head = _capped(head, docs, config.per_document)
        order = np.concatenate([head, order[shown:]])
    return Ranked([(int(ids[i]), float(scores[i])) for i in order[:k]], floor)


def _per_language(lexical: np.ndarray, langs: list[str], query_lang: str, floor: float) -> np.ndarray:
    """BM25 scores with each language but the query's divided by its best score among the candidates, or by
    `floor` where that is higher (see RankingConfig.lexical_language_floor); as they are for an unsure query
    language (`und`), which every language reads alike, or a floor of 0."""
    if floor <= 0 or query_lang == "und" or not len(lexical):
        return lexical
    codes = np.asarray(langs, dtype=object)
    scaled = lexical.copy()
    for lang in set(langs) - {query_lang}:
        mine = codes == lang
        scaled[mine] = lexical[mine] / max(float(lexical[mine].max()), floor)
    return scaled


def _lexical_best_shown(scores: np.ndarray, lexical: np.ndarray, floor: float, min_score: float, shown: float,
                        k: int, docs: np.ndarray, group: bool = False) -> np.ndarray:
    """Scores with the passage the query's words match best (alone) raised onto the first page: to `shown`, the
    ratio threshold, and to the k-th best other score where it fell below them, unless no passage reaches the
    absolute floor `min_score` (`floor` is BM25's). `docs` holds each candidate's document; with `group` (a page
    of documents), the k-th best other document's score. "Alone" is among documents: a passage of another
    document matching as well leaves the scores as they are (nothing tells which is meant), another passage of the
    same document does not (a paragraph the document repeats, its marker word and all, tied with itself and left
    the document off the page).

    Dense similarity cannot tell near-copies apart by the one word they differ in (a code, a name): copies holding
    only the copied sentence can outscore the document that holds it, code and all, so far that the ratio
    threshold would hide the one the reader asked for, or k copies push it off the page. Nor can it find a word it
    never learnt (a command, a product code) in a long document about other things."""
    best = int(np.argmax(lexical))
    other_docs = docs != docs[best]
    rivals = other_docs.copy() if group else np.ones(len(lexical), bool)
    rivals[best] = False
    # Not where nothing reaches the absolute floor: the search then says no passage answers well.
    if lexical[best] <= floor or np.any(lexical[other_docs] == lexical[best]) or scores.max() < min_score:
        return scores
    if not group:
        others = scores[rivals]
    else:
        per_doc = np.full(int(docs.max()) + 1, -np.inf, np.float32)
        np.maximum.at(per_doc, docs[rivals], scores[rivals])
        others = per_doc[np.isfinite(per_doc)]
    kth = float(np.partition(others, len(others) - k)[len(others) - k]) if len(others) >= k else float("-inf")
    wanted = max(shown, kth)  # at most the best score
    if scores[best] >= wanted:
        return scores
    raised = scores.copy()
    raised[best] = np.nextafter(np.float32(wanted), np.float32(np.inf))  # above it after rounding too
    return raised


def _grounded(snapshot: Snapshot, ids: list[int], steering: Steering, config: RankingConfig) -> np.ndarray:
    """Per candidate, the evidence of the steering concepts it is grounded in: each one's look-up score times its
    weight (`named_concept_weight` for a concept the whole query names, else `concept_weight`), summed; 0 without."""
    if not steering.concepts:
        return np.zeros(len(ids), np.float32)
    weight = {c: score * (config.named_concept_weight if c in steering.named else config.concept_weight)
              for c, score in steering.concepts.items()}
    at = {chunk_id: i for i, chunk_id in enumerate(ids)}
    found = np.zeros(len(ids), np.float32)
    for chunk_id, concepts in snapshot.concepts_by_chunk(ids).items():  # the few grounded candidates only
        found[at[chunk_id]] = sum(weight.get(c, 0.0) for c in concepts)
    return found


def _spread(order: np.ndarray, scores: np.ndarray, docs: np.ndarray, penalty: float) -> np.ndarray:
    """`order` re-ranked greedily by score minus `penalty` per passage of the same document already placed."""
    queues: dict[int, list[int]] = {}
    for i in order:
        queues.setdefault(int(docs[i]), []).append(int(i))
    heap = [(-float(scores[q[0]]), n, d) for n, (d, q) in enumerate(queues.items())]
    heapq.heapify(heap)
    placed, taken = [], {d: 0 for d in queues}
    while heap:
        _, n, d = heapq.heappop(heap)
        placed.append(queues[d][taken[d]])
        taken[d] += 1
        if taken[d] < len(queues[d]):
            heapq.heappush(heap, (-float(scores[queues[d][taken[d]]]) + penalty * taken[d], n, d))
    return np.asarray(placed, order.dtype)


def _capped(order: np.ndarray, docs: np.ndarray, cap: int) -> np.ndarray:
    """`order` with each document's passages beyond its first `cap` moved after all the others, keeping their order."""
    seen = np.zeros(int(docs.max()) + 1 if len(docs) else 0, np.int64)
    within = np.empty(len(order), bool)
    for position, i in enumerate(order):
        within[position] = seen[docs[i]] < cap
        seen[docs[i]] += 1
    return np.concatenate([order[within], order[~within]])
