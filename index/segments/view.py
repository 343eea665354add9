"""Rows of a list of segments with their deletions: documents, chunks and groundings as one corpus."""
from __future__ import annotations

import functools
from collections import Counter
from typing import Sequence

import numpy as np

from ..concepts.grounding import MAX_EMBEDDING_PASSAGES
from ..records import Chunk, DocHead, DocState, Document, GroundedPassage
from . import tables
from .segment import Deletions, Segment


class SegmentView:
    """Live rows of segments (newest last): what the writer and a snapshot read the same way."""

    def __init__(self, parts: Sequence[tuple[Segment, Deletions]]) -> None:
        self.parts = list(parts)
        self.live = [deleted.live(segment.rows) for segment, deleted in self.parts]

    def locate(self, doc_id: str) -> tuple[int, int] | None:
        """(part, document index) of a live document."""
        for pi in range(len(self.parts) - 1, -1, -1):
            segment, deleted = self.parts[pi]
            index = segment.doc_row.get(doc_id)
            if index is not None and index not in deleted.doc_set:
                return pi, index
        return None

    def _live_docs(self, pi: int, doc_ids) -> list[str]:
        segment, deleted = self.parts[pi]
        return [d for d in doc_ids if segment.doc_row.get(d) is not None and segment.doc_row[d] not in deleted.doc_set]

    def document(self, doc_id: str) -> Document | None:
        """One live document."""
        found = self.locate(doc_id)
        return tables.document(self.parts[found[0]][0].conn, doc_id) if found else None

    def documents(self) -> list[Document]:
        """Every live document, ordered by source."""
        docs = []
        for pi, (segment, deleted) in enumerate(self.parts):
            docs += [d for d in tables.documents(segment.conn) if segment.doc_row[d.doc_id] not in deleted.doc_set]
        return sorted(docs, key=lambda d: d.source)

    def document_states(self) -> dict[str, DocState]:
        """source -> DocState of every live document."""
        states: dict[str, DocState] = {}
        for segment, deleted in self.parts:
            states.update({s: st for s, st in tables.document_states(segment.conn).items()
                           if segment.doc_row[st.doc_id] not in deleted.doc_set})
        return states

    def doc_by_source(self, source: str) -> str | None:
        """Id of the live document with this source."""
        for segment, deleted in reversed(self.parts):
            row = segment.conn.execute("SELECT doc_id FROM documents WHERE source = ?", (source,)).fetchone()
            if row and segment.doc_row[row[0]] not in deleted.doc_set:
                return row[0]
        return None

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a live document with these bytes or the same normalised text."""
        for segment, deleted in self.parts:
            rows = segment.conn.execute("SELECT doc_id FROM documents WHERE content_hash = ? OR text_hash = ?",
                                        (content_hash, text_hash)).fetchall()
            for (doc_id,) in rows:
                if segment.doc_row[doc_id] not in deleted.doc_set:
                    return doc_id
        return None

    def sample_candidates(self, exclude: set[str]) -> list[str]:
        """Live documents a reference sample draws from (`Segment.sample` of each segment), less `exclude`."""
        found = []
        for segment, deleted in self.parts:
            found += [d for d in segment.sample if segment.doc_row[d] not in deleted.doc_set and d not in exclude]
        return found

    def chunk_counts(self) -> dict[str, int]:
        """doc_id -> chunks of every live document."""
        counts: dict[str, int] = {}
        for segment, deleted in self.parts:
            sizes = segment.doc_end - segment.doc_start
            counts.update({d: int(sizes[i]) for i, d in enumerate(segment.doc_ids) if i not in deleted.doc_set})
        return counts

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A live document's chunks in order."""
        found = self.locate(doc_id)
        return tables.chunks_of(self.parts[found[0]][0].conn, doc_id) if found else []

    def chunk_at(self, doc_id: str, ord: int) -> Chunk | None:
        """A live document's chunk at one position, or None."""
        found = self.locate(doc_id)
        return tables.chunk_at(self.parts[found[0]][0].conn, doc_id, ord) if found else None

    def _split(self, chunk_ids: Sequence[int]):
        # Per part: the live chunk ids it holds.
        ids = np.asarray(chunk_ids, np.int64)
        for pi, (segment, _) in enumerate(self.parts):
            found, rows = segment.rows_of(ids)
            keep = self.live[pi][rows]
            if keep.any():
                yield pi, ids[found][keep], rows[keep]

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Raw vectors of live chunks, in the order asked (zeros for unknown ids)."""
        ids = np.asarray(chunk_ids, np.int64)
        width = self.parts[0][0].raw.shape[1] if self.parts else int(getattr(self, "dim", 0))
        out = np.zeros((len(ids), width), np.float32)
        for segment, _ in self.parts:
            found, rows = segment.rows_of(ids)
            if found.any():
                out[found] = segment.raw[rows]
        return out

    def chunks_by_id(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        """Live chunks for a set of ids."""
        found: dict[int, Chunk] = {}
        for pi, ids, _ in self._split(chunk_ids):
            found.update(tables.chunks_by_id(self.parts[pi][0].conn, [int(i) for i in ids]))
        return found

    def document_heads(self, doc_ids: Sequence[str]) -> dict[str, DocHead]:
        """What citations need of a few live documents."""
        heads: dict[str, DocHead] = {}
        for pi, (segment, _) in enumerate(self.parts):
            heads.update(tables.document_heads(segment.conn, self._live_docs(pi, doc_ids)))
        return heads

    def document_languages(self) -> dict[str, int]:
        """Live documents per document language."""
        counts: dict[str, int] = {}
        for segment, deleted in self.parts:
            for i, lang in enumerate(segment.meta["doc_langs"]):
                if i not in deleted.doc_set:
                    counts[lang] = counts.get(lang, 0) + 1
        return dict(sorted(counts.items()))

    # -- concept groundings: label hits stand; by meaning, each concept keeps its best live passages --

    @functools.cached_property
    def _by_meaning(self) -> set[tuple[str, int]]:
        best: dict[str, list[tuple[float, int]]] = {}
        for pi, (segment, _) in enumerate(self.parts):
            rows = segment.conn.execute(
                "SELECT concept_id, chunk_id, score FROM concept_passages WHERE via = 'embedding'").fetchall()
            if not rows:
                continue
            ids = np.asarray([r[1] for r in rows], np.int64)
            _, at = segment.rows_of(ids)
            for (cid, chunk_id, score), live in zip(rows, self.live[pi][at]):
                if live:
                    best.setdefault(cid, []).append((-score, chunk_id))
        return {(cid, c) for cid, found in best.items() for _, c in sorted(found)[:MAX_EMBEDDING_PASSAGES]}

    def _kept(self, pi: int, rows: list) -> list:
        if not rows:
            return []
        _, at = self.parts[pi][0].rows_of(np.asarray([r["chunk_id"] for r in rows], np.int64))
        live = self.live[pi][at]
        return [r for r, ok in zip(rows, live)
                if ok and (r["via"] != "embedding" or (r["concept_id"], r["chunk_id"]) in self._by_meaning)]

    def groundings(self, concept_id: str | None = None) -> list[GroundedPassage]:
        """Grounded passages by concept, best first (ties in chunk order)."""
        found = []
        for pi, (segment, _) in enumerate(self.parts):
            for r in self._kept(pi, tables.groundings(segment.conn, concept_id)):
                found.append(GroundedPassage(r["concept_id"], r["chunk_id"], r["score"], r["via"], r["sentence"],
                                             r["start"], r["end"], r["doc_id"], r["ord"], r["lang"], r["text"],
                                             r["title"], r["source"]))
        return sorted(found, key=lambda g: (g.concept_id, -g.score, g.chunk_id))

    @functools.cached_property
    def _concepts_of(self) -> dict[int, list[str]]:
        # Read once per version (a search asks for hundreds of candidates' concepts; groundings are few per chunk).
        found: dict[int, list[tuple[float, str]]] = {}
        for pi, (segment, _) in enumerate(self.parts):
            rows = segment.conn.execute("SELECT concept_id, chunk_id, score, via FROM concept_passages").fetchall()
            for r in self._kept(pi, rows):
                found.setdefault(r["chunk_id"], []).append((-r["score"], r["concept_id"]))
        return {c: [cid for _, cid in sorted(marks)] for c, marks in found.items()}

    def concepts_by_chunk(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        """Concept ids each live chunk is grounded in, strongest first (ties by id)."""
        concepts_of = self._concepts_of
        return {int(c): concepts_of[c] for c in chunk_ids if c in concepts_of}

    def concept_counts(self) -> dict[str, int]:
        """concept_id -> grounded live passages."""
        return dict(Counter(cid for concepts in self._concepts_of.values() for cid in concepts))
