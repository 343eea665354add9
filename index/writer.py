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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from . import store, versions
from .centroids import save_centroids
from .concepts import ground, load_catalogue, load_or_build_concept_index
from .content import content_priors
from .debias import Centring, centre, language_subspace
from .embedders import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import EmbedderMismatch
from .lexical import LexicalIndex
from .vectors import build_index
from .vectors.faiss import default_search_params

log = logging.getLogger(__name__)

VECTOR_FILES = {"faiss": "vectors.faiss", "numpy": "vectors.npz"}
CENTRING_FILE = "centring.npz"
CONTENT_FILE = "content.npy"


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built: embedder, vector backend and FAISS factory string, versions kept."""

    embedder: str = DEFAULT_EMBEDDER
    backend: str = "faiss"
    factory: str = "Flat"
    search_params: str | None = None
    keep: int = versions.DEFAULT_KEEP


@dataclass(frozen=True)
class Published:
    """What a commit published."""

    version: str
    documents: int
    chunks: int


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
            built_with = version.manifest.get("embedder")
            if built_with != self.settings.embedder:
                raise EmbedderMismatch(
                    f"the index was built with {built_with!r}, not {self.settings.embedder!r};"
                    " use --rebuild to re-embed everything with the new embedder"
                )
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
        if not (self.changed or self.rebuild):
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
        build_index(self.settings.backend, ids, centred, factory).save(build / vector_file)
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
            "search_params": self.settings.search_params or default_search_params(factory),
            "schema": store.SCHEMA_VERSION,
            **counts,
        })
        name = versions.publish(self.index_dir, build, self.settings.keep)
        self._build = None
        log.info("published %s (%d documents, %d chunks)", name, counts["documents"], counts["chunks"])
        return Published(name, counts["documents"], counts["chunks"])

    def _factory(self, n: int) -> str:
        # A trainable factory needs enough vectors to train on; tiny corpora fall back to exact search.
        return self.settings.factory if n >= 1000 or self.settings.factory == "Flat" else "Flat"

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


def delete_document(index_dir: Path, doc_id: str, settings: IndexSettings = IndexSettings(),
                    lock_timeout: float = 30.0) -> str | None:
    """Delete a document and publish; returns the new version, or None when the id was unknown."""
    with IndexWriter(index_dir, settings, lock_timeout=lock_timeout) as writer:
        if not writer.delete(doc_id):
            return None
        published = writer.commit()
    return published.version if published else None
