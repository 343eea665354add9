"""Read-back audit of a published version: every document and passage found through the read paths search uses.

Checksums prove that files are what was written; this proves that what was written can be read. Every store's
`verify()` runs it over its current snapshot, so the embedded and the PostgreSQL store are held to one standard.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np

from .queryplan import QueryPlan
from .protocols import Snapshot

BATCH = 1000  # ids per read call: what a search asks for at most, with room to spare
EXAMPLES = 5  # ids named per kind of problem


class _Findings:
    """Problems by kind, each with a count and a few example ids."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.examples: dict[str, list[str]] = defaultdict(list)

    def add(self, kind: str, items: Sequence[object]) -> None:
        if len(items):
            self.counts[kind] += len(items)
            self.examples[kind] += [str(i) for i in items[:EXAMPLES - len(self.examples[kind])]]

    def report(self, version: str) -> list[str]:
        return [f"{version}: {n} {kind} (e.g. {', '.join(self.examples[kind])})" for kind, n in self.counts.items()]


def audit_reads(snapshot: Snapshot) -> list[str]:
    """Problems reading back `snapshot`; an empty list means every live passage is reachable by every read path."""
    found = _Findings()
    docs = snapshot.documents()
    counts = snapshot.chunk_counts()
    problems = []
    if len(docs) != snapshot.n_documents:
        problems.append(f"{snapshot.version}: {len(docs)} documents listed, the version counts {snapshot.n_documents}")
    owner: dict[int, str] = {}
    order: dict[int, tuple[int, int]] = {}  # chunk id -> (its ord, ids before and after it in the document)
    for doc in docs:
        chunks = snapshot.chunks_of(doc.doc_id)
        found.add("documents without passages", [doc.doc_id] if not chunks else [])
        found.add("documents whose passage count differs from chunk_counts",
                  [doc.doc_id] if len(chunks) != counts.get(doc.doc_id) else [])
        for i, chunk in enumerate(chunks):
            owner[chunk.chunk_id] = doc.doc_id
            order[chunk.chunk_id] = (chunks[i - 1].chunk_id if i else chunk.chunk_id,
                                     chunks[i + 1].chunk_id if i + 1 < len(chunks) else chunk.chunk_id)
    if len(owner) != snapshot.n_chunks:
        problems.append(f"{snapshot.version}: {len(owner)} passages found by document, the version counts"
                        f" {snapshot.n_chunks}")
    ids = sorted(owner)
    for start in range(0, len(ids), BATCH):
        _audit_batch(snapshot, ids[start:start + BATCH], owner, order, found)
    doc_ids = [d.doc_id for d in docs]
    for start in range(0, len(doc_ids), BATCH):
        batch = doc_ids[start:start + BATCH]
        heads = snapshot.document_heads(batch)
        found.add("documents without a title record", [d for d in batch if d not in heads])
        # The raw centroid: a centred one is zero where a language has a single passage (its own mean).
        _, raw = snapshot.doc_centroids(batch)
        empty = ~np.isfinite(raw).all(axis=1) | (np.linalg.norm(raw, axis=1) == 0)
        found.add("documents without a centroid", [d for d, bad in zip(batch, empty) if bad])
    return problems + found.report(snapshot.version)


def _audit_batch(snapshot: Snapshot, batch: list[int], owner: dict[int, str], order: dict[int, tuple[int, int]],
                 found: _Findings) -> None:
    """One batch of ids through chunks_by_id, passages, vectors, concepts_by_chunk and lexical_of."""
    chunks = snapshot.chunks_by_id(batch)
    found.add("passages chunks_by_id misses", [i for i in batch if i not in chunks])
    found.add("passages chunks_by_id gives the wrong document",
              [i for i in batch if i in chunks and chunks[i].doc_id != owner[i]])
    passages = snapshot.passages(batch)
    found.add("passages ranking cannot read (passages)", [i for i in batch if i not in passages])
    found.add("passages with the wrong document in ranking",
              [i for i in batch if i in passages and passages[i].doc_id != owner[i]])
    found.add("passages with wrong neighbours",
              [i for i in batch if i in passages and (passages[i].prev, passages[i].next) != order[i]])
    vectors = snapshot.vectors(batch)
    norms = np.linalg.norm(np.asarray(vectors, np.float32), axis=1) if len(batch) else np.zeros(0)
    found.add("passages without a vector", [i for i, n in zip(batch, norms) if not np.isfinite(n) or n == 0])
    snapshot.concepts_by_chunk(batch)  # must not fail on any live id
    snapshot.lexical_of(QueryPlan(), batch)
