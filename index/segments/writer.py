"""The segmented writer: a write adds one small segment and deletion files, then publishes a small manifest.

Nothing of the published corpus is copied or rebuilt: new documents become a new segment (their
postings, vectors, FAISS index and concept groundings computed for them alone), replaced and
deleted documents become deletion files of the segments holding them, and the global statistics
(BM25 document frequencies and lengths, the language correction's sums) move by what changed.
Segments pile up; `merge` rewrites a tier of small ones into one (tiered, in the manner of Lucene).

The writer keeps the lock, the buffer of new documents and publishing; beside it: `merge` (which segments are due,
their rows gathered), `stats` (the statistics moved by a write); label vectors come from `index.concepts.labelcache` and suggested concepts
from `index.suggestions`, shared with the PostgreSQL store.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .. import suggestions, versions
from ..errors import IndexCorrupt
from ..concepts import Catalogue, ConceptIndex, ground
from ..concepts.labelcache import concept_index
from ..concepts.lookup import saved_for
from ..concepts.storage import CatalogueSlot, save_catalogue, stored_catalogue
from ..debias import Centring
from ..embedders import Embedder, get_embedder
from ..glosses import DEFAULT_DICT_DIR
from ..records import Chunk, DocState, Document, IndexSettings, Published, check_embedder, document_hash, text_hash
from . import layout, tables
from . import merge as merging
from .legacy import is_legacy, legacy_rows
from .segment import ALL_CANDIDATES, CONCEPTS_FILE, DELETES, Deletions, NewRows, Segment, write_segment
from .stats import SUMS, Stats, centring_with, next_stats
from .view import SegmentView

log = logging.getLogger(__name__)

# New documents are written out as a segment once this many chunks wait in memory.
FLUSH_CHUNKS = 50_000


class SegmentWriter(CatalogueSlot):
    """A context manager holding the writer lock while one new version is prepared."""

    def __init__(self, index_dir: Path, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
                 lock_timeout: float = 30.0, segments: dict[str, Segment] | None = None, *,
                 cache_dir: Path | None = None, dict_dir: Path = DEFAULT_DICT_DIR,
                 checked: set[str] | None = None) -> None:
        self.index_dir = Path(index_dir)
        # Segment files whose checksums this process has read (the store's, shared with its snapshots): each is
        # hashed once, so a write never builds on a segment damaged on disk and never pays for it twice.
        self._checked = set() if checked is None else checked
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None  # label vectors, gloss lexicons
        self.dict_dir = Path(dict_dir)  # FreeDict dictionaries: word classes of suggested terms
        # Loaded segments by name, shared by the writers of one store (one at a time: the writer lock).
        self._segment_cache = {} if segments is None else segments
        self.settings = settings
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self.changed = False
        self._lock = None
        self._manifest: dict = {}
        self._base_name: str | None = None

    # -- opening -------------------------------------------------------------------------------

    def __enter__(self) -> "SegmentWriter":
        self._lock = versions.writer_lock(self.index_dir, self.lock_timeout)
        self._lock.__enter__()
        try:
            self._open()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    def _open(self) -> None:
        self._parts: list[tuple[Segment, Deletions]] = []
        self._stats = Stats()
        self._next = {"chunk": 1, "segment": 1, "delete": 1}
        self._suggested: list[dict] = []  # suggestions.json of the version being prepared
        self._put: set[str] = set()  # documents added or replaced: the next publish suggests concepts for them
        current = versions.current_name(self.index_dir)
        version, problems = versions.open_current(self.index_dir, shallow=self._checked.__contains__) \
            if current else (None, [])
        if version is not None and version.name != current:
            # Reads fall back to an older version; a write on top of that would drop the damaged one's changes.
            raise IndexCorrupt(f"the current version {current} of {self.index_dir} is damaged ({problems[0]}); no"
                               " write until it is repaired: restore it from a backup, or run `python -m index"
                               " rollback` to serve the newest sound version and give up the damaged one's changes")
        if version is not None:
            self._checked.update(name for name in version.manifest.get("files", {}) if layout.outside(name))
        layout.collect_garbage(self.index_dir, self.settings.keep)
        legacy = version is not None and not self.rebuild and is_legacy(version.manifest)
        if legacy:
            check_embedder(version.manifest, self.settings)
            self._manifest = {k: version.manifest[k] for k in ("requested_factory",) if version.manifest.get(k)}
            self._base_name = version.name
            self._suggested = suggestions.load(version.path)
        elif version is not None and not self.rebuild:
            check_embedder(version.manifest, self.settings)
            self._parts = layout.load_parts(self.index_dir, version.manifest, self._segment_cache, {})
            named = {e["name"] for e in version.manifest["segments"]}
            for gone in [name for name in self._segment_cache if name not in named]:
                del self._segment_cache[gone]
            self._stats = Stats.load(version.manifest["stats"], version.path / SUMS)
            self._manifest = version.manifest
            self._base_name = version.name
            self._suggested = suggestions.load(version.path)
        if version is not None:
            self._next = dict(version.manifest.get("next", self._next))
        self._next = layout.past_names_on_disk(self.index_dir, self._next)
        # A rebuild re-embeds the documents but keeps the trainers' catalogue; a new index starts from the shipped one.
        self._catalogue: Catalogue = stored_catalogue(version.path if version is not None else None)
        # Label vectors of the base version's catalogue: a trainer's edit embeds only the texts it changed.
        self._base_concepts = version.path / CONCEPTS_FILE if version is not None else None
        self._base_parts = list(self._parts)
        self._buffer: dict[str, tuple[Document, list[Chunk], np.ndarray]] = {}
        self._buffered_source: dict[str, str] = {}  # source -> doc_id in the buffer
        self._buffered_chunks = 0
        self._view: SegmentView | None = None
        if legacy:  # a version from before segments: its rows become the first segments of the next publish
            log.info("importing %s (written before segments) into segments", version.name)
            for doc, chunks, vectors in legacy_rows(version):
                self.put(doc, chunks, vectors)
            self._put = set()  # its suggestions were computed when it was written
            self.changed = True

    @property
    def embedder(self) -> Embedder:
        """The embedder this index is built with."""
        return get_embedder(self.settings.embedder)

    @property
    def base_version(self) -> str | None:
        """Name of the published version this write started from (None for a new or rebuilt index)."""
        return self._base_name

    @property
    def factory(self) -> str:
        """The FAISS factory new segments ask for: explicit, else the index's own, else the default."""
        return self.settings.factory or self._manifest.get("requested_factory") or self.settings.default_factory

    @property
    def view(self) -> SegmentView:
        """Live rows of the segments as changed so far (the buffer aside)."""
        if self._view is None:
            self._view = SegmentView(self._parts)
        return self._view

    # -- reading -------------------------------------------------------------------------------

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares."""
        states = self.view.document_states()
        for doc, _, _ in self._buffer.values():
            states[doc.source] = DocState(doc.doc_id, doc.source, doc.content_hash, document_hash(doc.text),
                                                doc.chunking, doc.meta_hash, doc.meta.get("root"))
        return states

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a stored document with these bytes or the same normalised text, if any."""
        for doc, _, _ in self._buffer.values():
            if doc.content_hash == content_hash or document_hash(doc.text) == text_hash:
                return doc.doc_id
        return self.view.duplicate_of(content_hash, text_hash)

    def known_documents(self) -> dict[str, tuple[str, str]]:
        """source -> (doc_id, content_hash) of every stored document."""
        return {s: (st.doc_id, st.content_hash) for s, st in self.document_states().items()}

    def documents(self) -> list[Document]:
        """Every stored document."""
        return sorted(self.view.documents() + [d for d, _, _ in self._buffer.values()], key=lambda d: d.source)

    def document(self, doc_id: str) -> Document | None:
        """One stored document."""
        return self._buffer[doc_id][0] if doc_id in self._buffer else self.view.document(doc_id)

    def counts(self) -> dict[str, int]:
        """Documents and chunks in the version being prepared."""
        counts = self.view.chunk_counts()
        return {"documents": len(counts) + len(self._buffer),
                "chunks": sum(counts.values()) + sum(len(c) for _, c, _ in self._buffer.values())}

    def counts_of(self, doc_id: str) -> int:
        """Number of chunks of one document."""
        if doc_id in self._buffer:
            return len(self._buffer[doc_id][1])
        return len(self.view.chunks_of(doc_id))

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes."""
        wanted = list(set(hashes))
        found: dict[str, np.ndarray] = {}
        for _, chunks, vectors in self._buffer.values():
            for chunk, vector in zip(chunks, vectors):
                found.setdefault(text_hash(chunk.text), np.asarray(vector, np.float32))
        for segment, _ in self._parts:
            for i in range(0, len(wanted), 500):
                batch = [h for h in wanted[i:i + 500] if h not in found]
                if not batch:
                    continue
                marks = ",".join("?" * len(batch))
                rows = segment.conn.execute(
                    f"SELECT text_hash, chunk_id FROM chunks WHERE text_hash IN ({marks})", batch).fetchall()
                if rows:
                    _, at = segment.rows_of(np.asarray([r[1] for r in rows], np.int64))
                    for (h, _), row in zip(rows, at):
                        found[h] = np.array(segment.raw[row])
        return {h: found[h] for h in wanted if h in found}

    # -- changing ------------------------------------------------------------------------------

    def put(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace (same doc_id or source) a document with its chunks and their vectors."""
        self._remove(doc.doc_id)
        self._remove(self._buffered_source.get(doc.source) or self.view.doc_by_source(doc.source) or "")
        self._buffer[doc.doc_id] = (doc, sorted(chunks, key=lambda c: c.ord), np.asarray(vectors, np.float32))
        self._buffered_source[doc.source] = doc.doc_id
        self._buffered_chunks += len(chunks)
        self._put.add(doc.doc_id)
        self.changed = True
        if self._buffered_chunks >= FLUSH_CHUNKS:
            self._flush()

    def delete(self, doc_id: str) -> bool:
        """Remove a document; True when it existed."""
        removed = self._remove(doc_id)
        self.changed = self.changed or removed
        return removed

    def _remove(self, doc_id: str) -> bool:
        if doc_id in self._buffer:
            doc, chunks, _ = self._buffer.pop(doc_id)
            del self._buffered_source[doc.source]
            self._buffered_chunks -= len(chunks)
            return True
        found = self.view.locate(doc_id) if doc_id else None
        if found is None:
            return False
        pi, index = found
        segment, deleted = self._parts[pi]
        self._parts[pi] = (segment, deleted.with_rows(segment, index))
        self._view = None
        return True

    def _flush(self) -> None:
        """Write the buffered documents out as a new segment (named by no version until commit)."""
        if not self._buffer:
            return
        docs, chunks, vectors = [], [], []
        for doc, doc_chunks, doc_vectors in self._buffer.values():
            docs.append(doc)
            for chunk in doc_chunks:
                chunks.append(dataclasses.replace(chunk, chunk_id=self._next["chunk"], doc_id=doc.doc_id))
                self._next["chunk"] += 1
            vectors.append(doc_vectors.reshape(len(doc_chunks), self.embedder.dim))
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, self.embedder.dim), np.float32)
        rows = NewRows(docs, chunks, matrix, self._groundings(chunks, matrix))
        self._parts.append((self._write_segment(rows, centring_with(self._stats, chunks, matrix, self.embedder.dim)),
                            Deletions.none()))
        self._buffer.clear()
        self._buffered_source.clear()
        self._buffered_chunks = 0
        self._view = None

    def _write_segment(self, rows: NewRows, centring: Centring) -> Segment:
        """Write rows as the next segment (named by no version until a publish), centred as given."""
        name = f"s{self._next['segment']:06d}"
        self._next["segment"] += 1
        write_segment(self.index_dir, name, rows, centring.table, {l: i for i, l in enumerate(centring.langs)},
                      self.settings.backend, self.factory if len(rows.chunks) >= 1000 else "Flat",
                      self._catalogue.digest)
        return Segment(self.index_dir, name)

    def _concept_index(self) -> ConceptIndex:
        # Label vectors are a one-time cost per catalogue and embedder (a job runner writes again and again).
        return concept_index(self._catalogue, self.embedder, self.cache_dir, self._base_concepts)

    def _groundings(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> list[tuple]:
        """Grounding candidates of new chunks: label hits, and every passage close enough by meaning."""
        found = ground(self._catalogue, chunks, vectors, self._concept_index(), max_embedding_passages=ALL_CANDIDATES)
        return [(g.concept_id, g.chunk_id, float(g.score), g.via, g.sentence, g.start, g.end)
                for passages in found.values() for g in passages]

    def _save_concepts(self, path: Path) -> None:
        """The label vectors of the version being built: its base version's file (a hard link) where they are the
        same catalogue's and embedder's, else written anew. A write of a document changes no label, and copying
        them (megabytes) into every version filled a disk under a stream of small writes."""
        base = versions.versions_dir(self.index_dir) / self._base_name / CONCEPTS_FILE if self._base_name else None
        try:
            same = base is not None and saved_for(base, self._catalogue, self.embedder.name)
        except IndexCorrupt:
            same = False
        if same:
            try:
                os.link(base, path)
                return
            except OSError:
                pass  # another file system, or no hard links there: written anew
        self._concept_index().save(path)

    def _suggest(self) -> None:
        """Suggested concepts for the documents put in this write, read beside a bounded sample of the others."""
        view = self.view
        self._suggested = suggestions.next_suggestions(
            self._suggested, self._put, view, lambda doc_id: view.locate(doc_id) is not None, self._catalogue,
            self.embedder, self.settings.suggest, self.dict_dir, self.cache_dir)
        self._put = set()

    # -- publishing ----------------------------------------------------------------------------

    def commit(self) -> Published | None:
        """Write what changed as a segment and deletion files, move the statistics, publish; None when nothing changed."""
        factory_changed = bool(self._manifest) and self.factory != self._manifest.get("requested_factory")
        if not (self.changed or self.rebuild or factory_changed):
            return None
        self._flush()
        stats = next_stats(self._stats, self._base_parts, self._parts)
        stale = [i for i, part in enumerate(self._parts) if merging.stale(part, self._catalogue.digest)]
        if stale:  # the catalogue changed: those segments are rewritten with groundings of the new one
            self._parts, self._view = self._rewrite(stale, stats), None
        self._suggest()
        published = self._publish(self._parts, stats)
        # A merge due now publishes once more, with the same content: that version is the one serving the change.
        return self._merge(force=factory_changed) or published

    def _publish(self, parts: list[tuple[Segment, Deletions]], stats: Stats) -> Published:
        entries, shared = [], {}
        (self.index_dir / DELETES).mkdir(parents=True, exist_ok=True)
        base = {s.name: d for s, d in self._base_parts}
        base_entries = {e["name"]: e.get("deletes") for e in self._manifest.get("segments", [])}
        for segment, deleted in parts:
            name = base_entries.get(segment.name) if base.get(segment.name) is deleted else None
            if len(deleted.rows) and name is None:
                name = f"{segment.name}.d{self._next['delete']:06d}.npz"
                self._next["delete"] += 1
                deleted.save(layout.delete_path(self.index_dir, name))
            if name:
                shared[f"../../{DELETES}/{name}"] = versions.file_record(layout.delete_path(self.index_dir, name))
            entries.append({"name": segment.name, "deletes": name})
            shared.update(layout.segment_files(segment) | layout.segment_meta_file(segment))
        versions.fsync_dir(self.index_dir / DELETES)
        build = versions.new_build_dir(self.index_dir)
        try:
            stats.save_sums(build / SUMS)
            save_catalogue(build, self._catalogue)
            suggestions.save(build, self._suggested)
            self._save_concepts(build / CONCEPTS_FILE)
            requested = self.factory
            manifest = versions.write_manifest(build, {
                "format": "segments", "embedder": self.settings.embedder, "dim": self.embedder.dim,
                "backend": self.settings.backend, "factory": _served_factory(parts), "requested_factory": requested,
                "search_params": self.settings.search_params, "schema": tables.SCHEMA_VERSION,
                "documents": stats.documents, "chunks": stats.chunks, "segments": entries,
                "stats": stats.to_manifest(), "next": dict(self._next),
                "catalogue": {"digest": self._catalogue.digest, "concepts": len(self._catalogue)},
            }, shared)
            name = versions.publish(self.index_dir, build, self.settings.keep)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        self._manifest, self._base_name = {**manifest}, name
        self._base_parts, self._parts, self._stats = list(parts), list(parts), stats
        self._view = None
        log.info("published %s (%d documents, %d chunks, %d segments)", name, stats.documents, stats.chunks, len(parts))
        return Published(name, stats.documents, stats.chunks)

    # -- merging -------------------------------------------------------------------------------

    def _merge(self, force: bool = False, max_rows: int | None = None) -> Published | None:
        """Rewrite a tier of segments (or all, `force`) of at most `max_rows` (default: the inline limit) into one
        and publish it; None when nothing is due."""
        limit = merging.INLINE_MERGE_ROWS if max_rows is None else max_rows
        digest = self._catalogue.digest
        chosen = list(range(len(self._parts))) if force else merging.merge_plan(self._parts, limit, digest)
        if not chosen:
            return None
        return self._publish(self._rewrite(chosen, self._stats), self._stats)

    def _rewrite(self, chosen: Sequence[int], stats: Stats) -> list[tuple[Segment, Deletions]]:
        """The parts with the chosen ones replaced by one segment of their live rows (groundings of stale ones redone)."""
        kept = [p for i, p in enumerate(self._parts) if i not in set(chosen)]
        digest, dim = self._catalogue.digest, self.embedder.dim
        rows = merging.merged_rows(self._parts, chosen, digest, self._groundings, dim)
        if rows is None:  # everything in them was deleted
            return kept
        segment = self._write_segment(rows, stats.centring(dim))
        log.info("rewriting %d segments (%d rows) into %s", len(chosen), len(rows.chunks), segment.name)
        return kept + [(segment, Deletions.none())]

    def merge(self, max_rows: int | None = None) -> list[Published]:
        """Merge until no tier is due (`max_rows` None: any size); the versions published."""
        done = []
        while (published := self._merge(max_rows=max_rows or (1 << 62))) is not None:
            done.append(published)
        return done


def _served_factory(parts: Sequence[tuple[Segment, Deletions]]) -> str:
    # The factory of the biggest segment: what most searches go through.
    return max(parts, key=lambda p: p[0].rows)[0].meta["factory"] if parts else "Flat"

