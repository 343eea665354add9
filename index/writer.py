"""Writes the next index version beside the current one and publishes it atomically.

Every change (an ingest run, an upload, a deletion) goes through `IndexWriter`: it copies the
current database into a private build folder, applies the change there, rebuilds the derived
files (vectors, BM25, language correction, concept groundings) and publishes. A writer killed
at any moment leaves the published version untouched.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Iterable, Sequence

import re

import numpy as np

from . import store, versions
from .centroids import save_centroids
from .concepts import ground, load_catalogue, load_or_build_concept_index
from .content import content_priors
from .debias import Centring, centre, language_subspace
from .embedders import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import EmbedderMismatch, InvalidSetting
from .lexical import LexicalIndex
from .stores.base import IndexSettings, Published
from .vectors import build_index
from .vectors.faiss import default_search_params

log = logging.getLogger(__name__)

VECTOR_FILES = {"faiss": "vectors.faiss", "numpy": "vectors.npz"}
CENTRING_FILE = "centring.npz"
CONTENT_FILE = "content.npy"


class IndexWriter:
    """A context manager holding the writer lock while one new version is prepared."""

    def __init__(self, index_dir: Path, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
                 lock_timeout: float = 30.0) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self.changed = False
        self._lock = None
        self._build: Path | None = None
        self._conn: sqlite3.Connection | None = None
        self._previous: Path | None = None
        self._previous_manifest: dict = {}

    def __enter__(self) -> "IndexWriter":
        self._lock = versions.writer_lock(self.index_dir, self.lock_timeout)
        self._lock.__enter__()
        try:
            self._open()
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._discard()

    def _open(self) -> None:
        versions.collect_garbage(self.index_dir, self.settings.keep)
        self._build = versions.new_build_dir(self.index_dir)
        db_path = self._build / versions.DB_FILE
        if versions.current_name(self.index_dir) and not self.rebuild:
            version, _ = versions.open_current(self.index_dir)
            self._previous = version.path
            self._previous_manifest = version.manifest
            check_embedder(version.manifest, self.settings)
            source = sqlite3.connect(f"file:{version.path / versions.DB_FILE}?mode=ro", uri=True)
            target = sqlite3.connect(db_path)
            with target:
                source.backup(target)
            source.close()
            target.close()
        self._conn = store.connect(db_path)
        store.migrate(self._conn)
        store.set_meta(self._conn, "embedder", self.settings.embedder)

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._build is not None and self._build.exists():
            shutil.rmtree(self._build, ignore_errors=True)
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    @property
    def embedder(self) -> Embedder:
        """The embedder this index is built with."""
        return get_embedder(self.settings.embedder)

    @property
    def base_version(self) -> str | None:
        """Name of the published version this build started from (None for a new or rebuilt index)."""
        return self._previous.name if self._previous else None

    @property
    def factory(self) -> str:
        """The FAISS factory the next publish asks for: explicit, else the index's own, else the default."""
        previous = self._previous_manifest.get("requested_factory") or self._previous_manifest.get("factory")
        return self.settings.factory or previous or self.settings.default_factory

    def document_states(self) -> dict[str, store.DocState]:
        """source -> what incremental ingest compares (hashes, chunking, metadata, root)."""
        return store.document_states(self._conn)

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a stored document with these bytes or the same normalised text, if any."""
        return store.duplicate_of(self._conn, content_hash, text_hash)

    def known_documents(self) -> dict[str, tuple[str, str]]:
        """source -> (doc_id, content_hash) of every stored document."""
        return store.document_hashes(self._conn)

    def documents(self) -> list[store.Document]:
        """Every stored document."""
        return store.documents(self._conn)

    def counts(self) -> dict[str, int]:
        """Documents and chunks in the version being prepared."""
        return store.counts(self._conn)

    def document(self, doc_id: str) -> store.Document | None:
        """One stored document."""
        return store.document(self._conn, doc_id)

    def counts_of(self, doc_id: str) -> int:
        """Number of chunks of one document."""
        return len(store.chunks_of(self._conn, doc_id))

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes, keyed by hash."""
        found = store.vectors_by_hash(self._conn, hashes)
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in found.items()}

    def put(self, doc: store.Document, chunks: Sequence[store.Chunk], vectors: np.ndarray) -> None:
        """Add or replace a document with its chunks and their vectors."""
        with self._conn:
            store.put_document(self._conn, doc, chunks, vectors)
        self.changed = True

    def delete(self, doc_id: str) -> bool:
        """Remove a document; True when it existed."""
        with self._conn:
            removed = store.delete_document(self._conn, doc_id)
        self.changed = self.changed or removed
        return removed

    def commit(self) -> Published | None:
        """Build the derived files and publish the new version; None when nothing changed."""
        factory_changed = self._previous_manifest and self.factory != (
            self._previous_manifest.get("requested_factory") or self._previous_manifest.get("factory"))
        if not (self.changed or self.rebuild or factory_changed):
            return None
        conn, build = self._conn, self._build
        chunks = store.all_chunks(conn)
        ids, vectors = store.all_vectors(conn, self.embedder.dim)
        vector_file = VECTOR_FILES[self.settings.backend]
        factory = self._factory(len(ids))
        langs = [c.lang for c in chunks]
        centring = Centring.fit(vectors, langs, [c.doc_id for c in chunks])
        centred = centre(vectors, centring.table[centring.rows(langs)]) if len(ids) else vectors
        # Search and document context use the centred vectors; the database keeps them as embedded.
        try:
            built = build_index(self.settings.backend, ids, centred, factory)
        except RuntimeError as exc:  # too few vectors to train this factory (e.g. IVF1024 on 1,000)
            log.warning("cannot train %s on %d vectors (%s); using exact search", factory, len(ids), _faiss_message(exc))
            factory = "Flat"
            built = build_index(self.settings.backend, ids, centred, factory)
        built.save(build / vector_file)
        LexicalIndex.build(ids, [c.text for c in chunks], langs).save(build)
        np.save(build / "debias.npy", language_subspace(vectors, langs))
        centring.save(build / CENTRING_FILE)
        np.save(build / CONTENT_FILE, content_priors([c.text for c in chunks], [c.doc_id for c in chunks]))
        save_centroids(build / "documents.npz", [c.doc_id for c in chunks], centred, vectors)
        self._ground(chunks, vectors)
        counts = store.counts(conn)
        conn.commit()
        conn.execute("VACUUM")
        conn.close()
        self._conn = None
        versions.write_manifest(build, {
            "embedder": self.settings.embedder,
            "dim": self.embedder.dim,
            "backend": self.settings.backend,
            "vector_file": vector_file,
            "factory": factory,
            "requested_factory": self.factory,
            "search_params": self.settings.search_params or default_search_params(factory),
            "schema": store.SCHEMA_VERSION,
            **counts,
        })
        name = versions.publish(self.index_dir, build, self.settings.keep)
        self._build = None
        log.info("published %s (%d documents, %d chunks)", name, counts["documents"], counts["chunks"])
        return Published(name, counts["documents"], counts["chunks"])

    def _factory(self, n: int) -> str:
        # A trainable factory needs enough vectors to train on; tiny corpora fall back to exact search
        # (the requested factory stays in the manifest and applies once the corpus is large enough).
        return self.factory if n >= 1000 else "Flat"

    def _ground(self, chunks: Sequence[store.Chunk], vectors: np.ndarray) -> None:
        catalogue = load_catalogue()
        # Label vectors are a one-time cost per catalogue and embedder, cached beside the versions
        # (or in $KB_CACHE_DIR, shared by several indexes).
        slug = hashlib.sha256(self.embedder.name.encode()).hexdigest()[:12]
        cache = Path(os.environ.get("KB_CACHE_DIR") or self.index_dir / "cache") / f"concepts-{slug}.npz"
        concept_index = load_or_build_concept_index(catalogue, self.embedder, cache)
        concept_index.save(self._build / "concepts.npz")
        found = ground(catalogue, chunks, vectors, concept_index)
        rows = [
            (g.concept_id, g.chunk_id, float(g.score), g.via, g.sentence, g.start, g.end)
            for passages in found.values()
            for g in passages
        ]
        with self._conn:
            store.replace_groundings(self._conn, rows)


def check_embedder(manifest: dict, settings: IndexSettings) -> None:
    """Raise EmbedderMismatch unless a version (by its manifest) was built with the settings' embedder."""
    built_with = manifest.get("embedder")
    if built_with != settings.embedder:
        raise EmbedderMismatch(
            f"the index was built with {built_with!r}, not {settings.embedder!r};"
            " use --rebuild to re-embed everything with the new embedder"
        )


def check_factory(factory: str, dim: int) -> None:
    """Raise InvalidSetting unless FAISS can build `factory` for vectors of `dim` dimensions."""
    import faiss

    try:
        faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise InvalidSetting(f"invalid FAISS factory {factory!r} for {dim}-dimensional vectors: {_faiss_message(exc)}") from None


def _faiss_message(exc: Exception) -> str:
    # FAISS errors carry a C++ signature and source position before the message itself.
    text = " ".join(str(exc).split())
    found = re.search(r" at \S+:\d+: (?:Error: '[^']*' failed: )?(.*)$", text)
    return found.group(1) if found else text

