"""Tiered merge (in the manner of Lucene): which segments are due, and their live rows gathered as one segment's."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..records import Chunk
from . import tables
from .segment import Deletions, NewRows, Segment

# Tiered merge: this many segments of one size tier (powers of ten of live rows) become one...
MERGE_FACTOR = 10
# ...inline after a commit while their rows stay below this; bigger merges wait for `python -m index merge`.
INLINE_MERGE_ROWS = 200_000
# A segment with more than this share of its rows deleted is rewritten.
MAX_DELETED_SHARE = 0.5

Parts = Sequence[tuple[Segment, Deletions]]


def merge_plan(parts: Parts, max_rows: int, digest: str) -> list[int]:
    """Indices of the segments due for a merge: a full tier, a mostly deleted or a stale segment."""
    tiers: dict[int, list[int]] = {}
    for i, (segment, deleted) in enumerate(parts):
        live = segment.rows - len(deleted.rows)
        if segment.rows and (len(deleted.rows) / segment.rows > MAX_DELETED_SHARE or stale(parts[i], digest)):
            if live <= max_rows:
                return [i]
        tiers.setdefault(len(str(max(1, live))), []).append(i)
    for tier in sorted(tiers):
        members = tiers[tier]
        if len(members) >= MERGE_FACTOR:
            chosen = members[:MERGE_FACTOR]
            if sum(parts[i][0].rows for i in chosen) <= max_rows:
                return chosen
    return []


def stale(part: tuple[Segment, Deletions], digest: str) -> bool:
    """Whether a segment's groundings were made with another concept catalogue than the one of `digest`."""
    return part[0].meta["catalogue"] != digest


def merged_rows(parts: Parts, chosen: Sequence[int], digest: str,
                ground: Callable[[list[Chunk], np.ndarray], list[tuple]], dim: int) -> NewRows | None:
    """The live rows of the chosen segments as one segment's (groundings of stale ones redone by `ground`);
    None when everything in them was deleted."""
    docs, chunks, vectors, groundings = [], [], [], []
    for pi in chosen:
        segment, deleted = parts[pi]
        live = deleted.live(segment.rows)
        ids = [int(i) for i in np.asarray(segment.ids)[live]]
        docs += [d for d in tables.documents(segment.conn) if segment.doc_row[d.doc_id] not in deleted.doc_set]
        found = tables.chunks_by_id(segment.conn, ids)
        chunks += [found[i] for i in ids]
        vectors.append(np.asarray(segment.raw[live]))
        if segment.meta["catalogue"] == digest:
            kept = set(ids)
            groundings += [tuple(r) for r in segment.conn.execute("SELECT * FROM concept_passages")
                           if r["chunk_id"] in kept]
        else:
            groundings += ground([found[i] for i in ids], vectors[-1])
    if not docs:
        return None
    # Rows in chunk-id order, which keeps each document's rows together (a document's ids are consecutive):
    # the segment invariant `check_rows` states.
    keyed = sorted(range(len(chunks)), key=lambda i: chunks[i].chunk_id)
    matrix = np.concatenate(vectors)[keyed].reshape(len(keyed), dim)
    chunks = [chunks[i] for i in keyed]
    first: dict[str, int] = {}
    for chunk in chunks:
        first.setdefault(chunk.doc_id, len(first))
    docs = sorted(docs, key=lambda d: first.get(d.doc_id, len(first)))
    return NewRows(docs, chunks, matrix, groundings)
