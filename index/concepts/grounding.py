"""Ground concepts in corpus passages: which chunks (and which sentence) support each concept."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
from rapidfuzz import fuzz

from ..errors import CatalogueError
from .catalogue import Catalogue
from .lookup import ConceptIndex
from ..text import sentence_spans
from .text import TermSpotter, fold

# Blended similarity (best label + definition, averaged, as in lookup) between e5 concept vectors and
# seed paragraphs: pairs whose paragraph names the concept have a median of 0.852, pairs that do
# not have 95th/98th/99th percentiles of 0.845/0.851/0.858. 0.855 admits only the tail beyond the
# ~98.5th percentile of unrelated pairs, so an embedding-only grounding is rare and usually right.
DEFAULT_THRESHOLD = 0.855
# Embedding support is fuzzier than a named label; a few best passages are enough to cite.
MAX_EMBEDDING_PASSAGES = 3
# Some passages (lists, generic lines) sit close to every concept; counting a passage only for its
# few nearest concepts (mutual nearest neighbours) stops such hubs from supporting everything.
CONCEPTS_PER_PASSAGE = 3
# Below this many words a passage is a heading or a bullet, too little text to be evidence by meaning.
_MIN_WORDS = 6


class Passage(Protocol):
    """What grounding needs to know about a chunk."""

    chunk_id: int
    doc_id: str
    lang: str
    text: str


@dataclass(frozen=True)
class Grounding:
    """One passage supporting a concept, with its best sentence (char offsets into the passage)."""

    concept_id: str
    chunk_id: int
    doc_id: str
    lang: str
    score: float
    via: str  # "label" | "embedding"
    sentence: str
    start: int
    end: int


def ground(
    catalogue: Catalogue,
    passages: Sequence[Passage],
    passage_vectors: np.ndarray,
    concept_index: ConceptIndex,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_embedding_passages: int = MAX_EMBEDDING_PASSAGES,
) -> dict[str, list[Grounding]]:
    """Supporting passages per concept id (every id present, best first): label hits, then embedding."""
    if concept_index.catalogue_digest != catalogue.digest:
        raise CatalogueError("the concept index was built from another catalogue; rebuild it")
    vectors = np.asarray(passage_vectors, dtype=np.float32)
    if len(vectors) != len(passages):
        raise ValueError(f"{len(passages)} passages but {len(vectors)} passage vectors")
    spotter = TermSpotter.for_catalogue(catalogue)
    out: dict[str, list[Grounding]] = {cid: [] for cid in catalogue.concepts}
    labelled: set[tuple[str, int]] = set()
    for p in passages:
        spans = sentence_spans(p.text) or [(0, len(p.text))]
        for occ in spotter.find(p.text):
            start, end = next(((s, e) for s, e in spans if s <= occ.start < e), (occ.start, occ.end))
            for cid in occ.concept_ids:
                if (cid, p.chunk_id) not in labelled:
                    labelled.add((cid, p.chunk_id))
                    out[cid].append(_grounding(cid, p, 1.0, "label", start, end))
    if len(passages):
        sims = _similarities(concept_index, vectors)
        near = np.argsort(-sims, axis=1)[:, :CONCEPTS_PER_PASSAGE]
        # A passage counts for its few nearest concepts only, and not at all when it is too short to be evidence.
        outside = np.ones(sims.shape, dtype=bool)
        outside[np.arange(len(passages))[:, None], near] = False
        outside[[i for i, p in enumerate(passages) if len(fold(p.text).split()) < _MIN_WORDS]] = True
        sims[outside] = -1.0
        for ci, cid in enumerate(concept_index.concept_ids):
            order = [i for i in np.argsort(-sims[:, ci]) if sims[i, ci] >= threshold
                     and (cid, passages[i].chunk_id) not in labelled][:max_embedding_passages]
            for i in order:
                start, end = _best_sentence(catalogue, cid, passages[i].text)
                out[cid].append(_grounding(cid, passages[i], round(float(sims[i, ci]), 4), "embedding", start, end))
    return out


def check(catalogue: Catalogue, groundings: dict[str, list[Grounding]]) -> list[str]:
    """Ids of concepts with no supporting passage, in catalogue order."""
    return [cid for cid in catalogue.concepts if not groundings.get(cid)]


def _similarities(index: ConceptIndex, vectors: np.ndarray) -> np.ndarray:
    """(passages, concepts) blend of the best label/alias similarity and the definition similarity."""
    term_sims = vectors @ index.term_vectors.T
    best = np.full((len(vectors), len(index.concept_ids)), -1.0, dtype=np.float32)
    for ci in range(len(index.concept_ids)):
        best[:, ci] = term_sims[:, index.term_concept == ci].max(axis=1)
    return (best + vectors @ index.definition_vectors.T) / 2


def _best_sentence(catalogue: Catalogue, concept_id: str, text: str) -> tuple[int, int]:
    # Lexical closeness to the concept's own wordings is cheap and needs no extra embedding calls.
    concept = catalogue.get(concept_id)
    wordings = [fold(t) for t in (*concept.labels.values(), *(a for v in concept.aliases.values() for a in v))]
    wordings = [w for w in wordings if len(w) >= 5]
    spans = sentence_spans(text) or [(0, len(text))]
    scores = [max((fuzz.partial_ratio(w, fold(text[s:e])) for w in wordings), default=0) for s, e in spans]
    return spans[int(np.argmax(scores))]


def _grounding(cid: str, p: Passage, score: float, via: str, start: int, end: int) -> Grounding:
    return Grounding(cid, p.chunk_id, p.doc_id, p.lang, score, via, p.text[start:end], start, end)
