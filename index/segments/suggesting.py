"""Suggested concepts at commit: the documents a write put, read beside a bounded sample of the others."""
from __future__ import annotations

from pathlib import Path

from ..concepts import Catalogue
from ..concepts.suggest import documents_as_sources, reference_sample, suggest
from ..embedders import Embedder
from ..glosses import lexicons
from ..glosses.wordclass import WordClasses
from .view import SegmentView

# Documents whose concepts are suggested together (beside one reference sample of the others).
SUGGEST_BATCH = 100


def suggest_for(view: SegmentView, doc_ids: set[str], catalogue: Catalogue, embedder: Embedder,
                dict_dir: Path, cache_dir: Path | None) -> list[dict]:
    """Suggestions (as `suggestions.json` stores them) for the documents `doc_ids` of `view`; none for none."""
    if not doc_ids:
        return []
    classes = WordClasses(lexicons(dict_dir, cache_dir))

    def sources(ids: list[str]) -> list:
        docs = [d for d in map(view.document, ids) if d is not None]
        return documents_as_sources(docs, [c for d in docs for c in view.chunks_of(d.doc_id)])

    ordered = sorted(doc_ids)
    reference = sources(reference_sample(view.sample_candidates(exclude=doc_ids), []))
    found: list[dict] = []
    # In batches beside one reference sample: the cost of a big write grows with its documents, not faster.
    for i in range(0, len(ordered), SUGGEST_BATCH):
        batch = ordered[i:i + SUGGEST_BATCH]
        found += [s.to_dict() for s in suggest(sources(batch) + reference, batch, catalogue,
                                                 embed=embedder.embed_queries, chunk_vectors=view.vectors,
                                                 classify=classes.classify)]
    return found
