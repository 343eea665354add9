"""The segmented writer: a write adds one small segment and deletion files, then publishes a small manifest.

Nothing of the published corpus is copied or rebuilt: new documents become a new segment (their
postings, vectors, FAISS index and concept groundings computed for them alone), replaced and
deleted documents become deletion files of the segments holding them, and the global statistics
(BM25 document frequencies and lengths, the language correction's sums) move by what changed.
Segments pile up; `merge` rewrites a tier of small ones into one (tiered, in the manner of Lucene).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import shutil
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .. import store, suggestions, versions
from ..concepts import Catalogue, ConceptIndex, ground, load_or_build_concept_index
from ..concepts.storage import save_catalogue, stored_catalogue
from ..concepts.suggest import documents_as_sources, reference_sample, suggest
from ..embedders import Embedder, get_embedder
from ..stores.base import IndexSettings, Published, check_embedder
from . import layout
from .legacy import is_legacy, legacy_rows
from .segment import ALL_CANDIDATES, CONCEPTS_FILE, DELETES, Deletions, NewRows, Segment, write_segment
from .stats import SUMS, Stats, term_df
from .view import SegmentView

log = logging.getLogger(__name__)

# New documents are written out as a segment once this many chunks wait in memory.
FLUSH_CHUNKS = 50_000
# Tiered merge: this many segments of one size tier (powers of ten of live rows) become one...
MERGE_FACTOR = 10
# ...inline after a commit while their rows stay below this; bigger merges wait for `python -m index merge`.
INLINE_MERGE_ROWS = 200_000
# A segment with more than this share of its rows deleted is rewritten.
MAX_DELETED_SHARE = 0.5
# (cache file, catalogue digest) -> label vectors, for the writes of this process
_CONCEPT_INDEXES: dict[tuple[str, str], ConceptIndex] = {}
# Documents whose concepts are suggested together (beside one reference sample of the others).
SUGGEST_BATCH = 100


class SegmentWriter:
    """A context manager holding the writer lock while one new version is prepared."""

    def __init__(self, index_dir: Path, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
                 lock_timeout: float = 30.0, segments: dict[str, Segment] | None = None) -> None:
        self.index_dir = Path(index_dir)
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
        layout.collect_garbage(self.index_dir, self.settings.keep)
        self._parts: list[tuple[Segment, Deletions]] = []
        self._stats = Stats()
        self._next = {"chunk": 1, "segment": 1, "delete": 1}
        self._suggested: list[dict] = []  # suggestions.json of the version being prepared
        self._put: set[str] = set()  # documents added or replaced: the next publish suggests concepts for them
        version = versions.open_current(self.index_dir, shallow=layout.outside)[0] \
            if versions.current_name(self.index_dir) else None
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
        # A rebuild re-embeds the documents but keeps the trainers' catalogue; a new index starts from the shipped one.
        self._catalogue: Catalogue = stored_catalogue(version.path if version is not None else None)
        self._base_parts = list(self._parts)
        self._buffer: dict[str, tuple[store.Document, list[store.Chunk], np.ndarray]] = {}
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

    def document_states(self) -> dict[str, store.DocState]:
        """source -> what incremental ingest compares."""
        states = self.view.document_states()
        for doc, _, _ in self._buffer.values():
            states[doc.source] = store.DocState(doc.doc_id, doc.source, doc.content_hash, store.document_hash(doc.text),
                                                doc.chunking, doc.meta_hash, doc.meta.get("root"))
        return states

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a stored document with these bytes or the same normalised text, if any."""
        for doc, _, _ in self._buffer.values():
            if doc.content_hash == content_hash or store.document_hash(doc.text) == text_hash:
                return doc.doc_id
        return self.view.duplicate_of(content_hash, text_hash)

    def known_documents(self) -> dict[str, tuple[str, str]]:
        """source -> (doc_id, content_hash) of every stored document."""
        return {s: (st.doc_id, st.content_hash) for s, st in self.document_states().items()}

    def documents(self) -> list[store.Document]:
        """Every stored document."""
        return sorted(self.view.documents() + [d for d, _, _ in self._buffer.values()], key=lambda d: d.source)

    def document(self, doc_id: str) -> store.Document | None:
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
                found.setdefault(store.text_hash(chunk.text), np.asarray(vector, np.float32))
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

    def put(self, doc: store.Document, chunks: Sequence[store.Chunk], vectors: np.ndarray) -> None:
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
        centring = self._centring_with(chunks, matrix)
        name = f"s{self._next['segment']:06d}"
        self._next["segment"] += 1
        factory = self.factory if len(chunks) >= 1000 else "Flat"
        write_segment(self.index_dir, name, rows, centring.table, {l: i for i, l in enumerate(centring.langs)},
                      self.settings.backend, factory, self._catalogue.digest)
        self._parts.append((Segment(self.index_dir, name), Deletions.none()))
        self._buffer.clear()
        self._buffered_source.clear()
        self._buffered_chunks = 0
        self._view = None

    def _centring_with(self, chunks: Sequence[store.Chunk], vectors: np.ndarray):
        # The centring of the segment's time: the published sums plus the new rows (deletions aside).
        stats = copy.deepcopy(self._stats)
        docs_by_lang: dict[str, set[str]] = {}
        for chunk, vector in zip(chunks, vectors):
            stats.sums[chunk.lang] = stats.sums.get(chunk.lang, 0) + vector.astype(np.float64)
            stats.lang_chunks[chunk.lang] = stats.lang_chunks.get(chunk.lang, 0) + 1
            docs_by_lang.setdefault(chunk.lang, set()).add(chunk.doc_id)
        for lang, docs in docs_by_lang.items():
            stats.lang_docs[lang] = stats.lang_docs.get(lang, 0) + len(docs)
        return stats.centring(self.embedder.dim)

    def _concept_index(self) -> ConceptIndex:
        # Label vectors are a one-time cost per catalogue and embedder, cached once per machine and in
        # this process (a job runner writes again and again with the same catalogue).
        slug = hashlib.sha256(self.embedder.name.encode()).hexdigest()[:12]
        from .. import settings  # settings imports the stores

        cache = settings.cache_dir() / f"concepts-{slug}.npz"
        key = (str(cache), self._catalogue.digest)
        if key not in _CONCEPT_INDEXES:
            if len(_CONCEPT_INDEXES) >= 4:
                _CONCEPT_INDEXES.clear()
            _CONCEPT_INDEXES[key] = load_or_build_concept_index(self._catalogue, self.embedder, cache)
        return _CONCEPT_INDEXES[key]

    def _groundings(self, chunks: Sequence[store.Chunk], vectors: np.ndarray) -> list[tuple]:
        """Grounding candidates of new chunks: label hits, and every passage close enough by meaning."""
        concept_index = self._concept_index()
        found = ground(self._catalogue, chunks, vectors, concept_index, max_embedding_passages=ALL_CANDIDATES)
        return [(g.concept_id, g.chunk_id, float(g.score), g.via, g.sentence, g.start, g.end)
                for passages in found.values() for g in passages]

    # -- the catalogue: data of the index, carried forward by every write ---------------------------

    def catalogue(self) -> Catalogue:
        """The concept catalogue of the version being prepared."""
        return self._catalogue

    def set_catalogue(self, catalogue: Catalogue) -> bool:
        """Make `catalogue` (validated, see `index.concepts.edit`) the next version's; True when it changed."""
        if catalogue.digest == self._catalogue.digest:
            return False
        self._catalogue = catalogue
        self.changed = True
        return True

    def _suggest(self) -> None:
        """Suggested concepts for the documents put in this write, read beside a bounded sample of the others."""
        # Only the documents this write put or that earlier suggestions name: a set of every id costs O(corpus).
        named = {d["doc_id"] for s in self._suggested for d in s["documents"]} | self._put
        present = {d for d in named if self.view.locate(d) is not None}
        fresh_ids = self._put & present if self.settings.suggest else set()
        fresh: list[dict] = []
        if fresh_ids:
            from .. import settings  # settings imports the stores
            from ..glosses import lexicons
            from ..glosses.wordclass import WordClasses

            classes = WordClasses(lexicons(settings.dict_dir(), settings.cache_dir()))
            def sources(doc_ids: list[str]) -> list:
                docs = [d for d in map(self.view.document, doc_ids) if d is not None]
                return documents_as_sources(docs, [c for d in docs for c in self.view.chunks_of(d.doc_id)])

            ordered = sorted(fresh_ids)
            reference = sources(reference_sample(self.view.sample_candidates(exclude=fresh_ids), []))
            # In batches beside one reference sample: the cost of a big write grows with its documents, not faster.
            for i in range(0, len(ordered), SUGGEST_BATCH):
                batch = ordered[i:i + SUGGEST_BATCH]
                documents = sources(batch) + reference
                found = suggest(documents, batch, self._catalogue, embed=self.embedder.embed_queries,
                                chunk_vectors=self.view.vectors, classify=classes.classify)
                fresh += [s.to_dict() for s in found]
        self._suggested = suggestions.carry_over(self._suggested, fresh, present, self._put & present)
        self._put = set()

    # -- publishing ----------------------------------------------------------------------------

    def commit(self) -> Published | None:
        """Write what changed as a segment and deletion files, move the statistics, publish; None when nothing changed."""
        factory_changed = bool(self._manifest) and self.factory != self._manifest.get("requested_factory")
        if not (self.changed or self.rebuild or factory_changed):
            return None
        self._flush()
        stats = self._next_stats()
        stale = [i for i, part in enumerate(self._parts) if _stale(part, self._catalogue.digest)]
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
            shared.update(layout.segment_files(segment))
        versions.fsync_dir(self.index_dir / DELETES)
        build = versions.new_build_dir(self.index_dir)
        try:
            stats.save_sums(build / SUMS)
            save_catalogue(build, self._catalogue)
            suggestions.save(build, self._suggested)
            self._concept_index().save(build / CONCEPTS_FILE)
            requested = self.factory
            manifest = versions.write_manifest(build, {
                "format": "segments", "embedder": self.settings.embedder, "dim": self.embedder.dim,
                "backend": self.settings.backend, "factory": _served_factory(parts), "requested_factory": requested,
                "search_params": self.settings.search_params, "schema": store.SCHEMA_VERSION,
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

    def _next_stats(self) -> Stats:
        """The published statistics moved by this write's deletions and new segments."""
        stats = copy.deepcopy(self._stats)
        base = {s.name: d for s, d in self._base_parts}
        delta: dict[tuple[str, str], int] = {}
        for segment, deleted in self._parts:
            before = base.get(segment.name)
            if before is None:  # a new segment: add its live rows
                _count_rows(stats, segment, deleted.live(segment.rows), set(range(len(segment.doc_ids))) - deleted.doc_set, +1)
                _df_delta(delta, segment, {k: -v for k, v in deleted.df.items()}, include_all=True)
            elif deleted is not before:  # new deletions in a published segment: subtract them
                gone = np.zeros(segment.rows, bool)
                gone[np.setdiff1d(deleted.rows, before.rows)] = True
                _count_rows(stats, segment, gone, deleted.doc_set - before.doc_set, -1)
                _df_delta(delta, segment, {k: -(v - before.df.get(k, 0)) for k, v in deleted.df.items()})
        _move_df(stats, delta, term_df(self._base_parts, sorted({t for _, t in delta})))
        return stats

    # -- merging -------------------------------------------------------------------------------

    def _merge(self, force: bool = False, max_rows: int | None = None) -> Published | None:
        """Rewrite a tier of segments (or all, `force`) of at most `max_rows` (default: the inline limit) into one
        and publish it; None when nothing is due."""
        limit = INLINE_MERGE_ROWS if max_rows is None else max_rows
        chosen = merge_plan(self._parts, limit, self._catalogue.digest) if not force else list(range(len(self._parts)))
        if not chosen:
            return None
        return self._publish(self._rewrite(chosen, self._stats), self._stats)

    def _rewrite(self, chosen: Sequence[int], stats: Stats) -> list[tuple[Segment, Deletions]]:
        """The parts with the chosen ones replaced by one segment of their live rows (groundings of stale ones redone)."""
        docs, chunks, vectors, groundings, digest = [], [], [], [], self._catalogue.digest
        for pi in chosen:
            segment, deleted = self._parts[pi]
            live = deleted.live(segment.rows)
            ids = [int(i) for i in np.asarray(segment.ids)[live]]
            docs += [d for d in store.documents(segment.conn) if segment.doc_row[d.doc_id] not in deleted.doc_set]
            found = store.chunks_by_id(segment.conn, ids)
            chunks += [found[i] for i in ids]
            vectors.append(np.asarray(segment.raw[live]))
            if segment.meta["catalogue"] == digest:
                kept = set(ids)
                groundings += [tuple(r) for r in segment.conn.execute("SELECT * FROM concept_passages")
                               if r["chunk_id"] in kept]
            else:
                groundings += self._groundings([found[i] for i in ids], vectors[-1])
        kept_parts = [p for i, p in enumerate(self._parts) if i not in set(chosen)]
        if not docs:  # everything in them was deleted
            return kept_parts
        # Rows in chunk-id order, which keeps each document's rows together (a document's ids are consecutive):
        # the segment invariant `check_rows` states.
        keyed = sorted(range(len(chunks)), key=lambda i: chunks[i].chunk_id)
        matrix = np.concatenate(vectors)[keyed].reshape(len(keyed), self.embedder.dim)
        chunks = [chunks[i] for i in keyed]
        first = {}
        for chunk in chunks:
            first.setdefault(chunk.doc_id, len(first))
        docs = sorted(docs, key=lambda d: first.get(d.doc_id, len(first)))
        name = f"s{self._next['segment']:06d}"
        self._next["segment"] += 1
        centring = stats.centring(self.embedder.dim)
        write_segment(self.index_dir, name, NewRows(docs, chunks, matrix, groundings), centring.table,
                      {l: i for i, l in enumerate(centring.langs)}, self.settings.backend,
                      self.factory if len(chunks) >= 1000 else "Flat", digest)
        log.info("rewriting %d segments (%d rows) into %s", len(chosen), len(chunks), name)
        return kept_parts + [(Segment(self.index_dir, name), Deletions.none())]

    def merge(self, max_rows: int | None = None) -> list[Published]:
        """Merge until no tier is due (`max_rows` None: any size); the versions published."""
        done = []
        while (published := self._merge(max_rows=max_rows or (1 << 62))) is not None:
            done.append(published)
        return done


def merge_plan(parts: Sequence[tuple[Segment, Deletions]], max_rows: int, digest: str) -> list[int]:
    """Indices of the segments due for a merge: a full tier, a mostly deleted or a stale segment."""
    tiers: dict[int, list[int]] = {}
    for i, (segment, deleted) in enumerate(parts):
        live = segment.rows - len(deleted.rows)
        if segment.rows and (len(deleted.rows) / segment.rows > MAX_DELETED_SHARE or _stale(parts[i], digest)):
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


def _stale(part: tuple[Segment, Deletions], digest: str) -> bool:
    # Groundings made with another concept catalogue.
    return part[0].meta["catalogue"] != digest


def _served_factory(parts: Sequence[tuple[Segment, Deletions]]) -> str:
    # The factory of the biggest segment: what most searches go through.
    return max(parts, key=lambda p: p[0].rows)[0].meta["factory"] if parts else "Flat"


def _count_rows(stats: Stats, segment: Segment, rows: np.ndarray, docs: set[int], sign: int) -> None:
    """Move counts, lengths, vector sums and document counts by some rows and documents of a segment."""
    lang = np.asarray(segment.lang)
    stats.chunks += sign * int(rows.sum())
    stats.documents += sign * len(docs)
    stats.length_sum += sign * int(np.asarray(segment.length)[rows].sum())
    for li, name in enumerate(segment.langs):
        mask = rows & (lang == li)
        n = int(mask.sum())
        if n:
            stats.lang_chunks[name] = stats.lang_chunks.get(name, 0) + sign * n
            stats.sums[name] = stats.sums.get(name, np.zeros(segment.raw.shape[1])) + sign * np.asarray(
                segment.raw[mask], np.float64).sum(axis=0)
    for d in docs:
        doc_lang = segment.meta["doc_langs"][d]
        stats.doc_langs[doc_lang] = stats.doc_langs.get(doc_lang, 0) + sign
        for li in set(int(x) for x in lang[segment.doc_start[d]:segment.doc_end[d]]):
            name = segment.langs[li]
            stats.lang_docs[name] = stats.lang_docs.get(name, 0) + sign
    for table in (stats.lang_chunks, stats.lang_docs, stats.doc_langs):
        for key in [k for k, v in table.items() if v <= 0]:
            del table[key]
    for key in [k for k in stats.sums if k not in stats.lang_chunks]:
        del stats.sums[key]


def _df_delta(delta: dict[tuple[str, str], int], segment: Segment, adjust: dict[tuple[int, int], int],
              include_all: bool = False) -> None:
    """Add a segment's document frequencies (all of them with `include_all`) plus `adjust` to `delta`."""
    counts: dict[tuple[int, int], int] = dict(adjust)
    if include_all:
        df = np.asarray(segment.df)
        for li, col in zip(*np.nonzero(df)):
            counts[(int(li), int(col))] = counts.get((int(li), int(col)), 0) + int(df[li, col])
    for (li, col), n in counts.items():
        if n:
            key = (segment.langs[li], str(segment.vocab[col]))
            delta[key] = delta.get(key, 0) + n


def _move_df(stats: Stats, delta: dict[tuple[str, str], int], before: dict[str, dict[str, int]]) -> None:
    """Update the per-language df histograms and the vocabulary size by a df delta."""
    by_term: dict[str, dict[str, int]] = {}
    for (lang, term), n in delta.items():
        by_term.setdefault(term, {})[lang] = n
    for term, changes in by_term.items():
        old = before.get(term, {})
        new = dict(old)
        for lang, n in changes.items():
            new[lang] = new.get(lang, 0) + n
            o, m = old.get(lang, 0), new[lang]
            if o == m:
                continue
            hist = stats.df_hist.setdefault(lang, {})
            if o > 0:
                hist[o] -= 1
                if not hist[o]:
                    del hist[o]
            if m > 0:
                hist[m] = hist.get(m, 0) + 1
        stats.vocab_size += (sum(new.values()) > 0) - (sum(old.values()) > 0)
    for lang in [k for k, h in stats.df_hist.items() if not h]:
        del stats.df_hist[lang]

