"""The store protocol: a `Store` opens a single `Writer` and read-only `Snapshot`s of published versions.

Two implementations live in `index/stores/`: `embedded.py` (immutable segments on disk: FAISS/NumPy
plus SQLite) and the `postgres` package (PostgreSQL with pgvector); the records they exchange are in
`index/records.py`. The protocols sit outside `index/stores/`, whose `__init__` opens the stores, so that
ranking and the stores can both import them without a cycle. Ranking (`index/ranking.py`) is one
Python code path over the candidates a `Snapshot` returns; it never sees whole-corpus arrays.
"""
from __future__ import annotations

from types import TracebackType
from typing import Iterable, Protocol, Sequence

import numpy as np

from .concepts import Catalogue, ConceptIndex
from .debias import Centring
from .embedders import Embedder
from .queryplan import QueryPlan
from .records import Chunk, DocHead, DocState, Document, GroundedPassage, IndexSettings, Passage, Published


class Writer(Protocol):
    """The single writer: a context manager holding the writer lock while one new version is prepared."""

    changed: bool
    settings: IndexSettings  # how this write builds the index (its embedder: what ingest embeds with)

    def __enter__(self) -> "Writer": ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    @property
    def embedder(self) -> Embedder:
        """The embedder this index is built with."""
        ...

    @property
    def base_version(self) -> str | None:
        """Name of the published version this write started from (None for a new or rebuilt index)."""
        ...

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares (hashes, chunking, metadata, root)."""
        ...

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a stored document with these bytes or the same normalised text, if any."""
        ...

    def known_documents(self) -> dict[str, tuple[str, str]]:
        """source -> (doc_id, content_hash) of every stored document."""
        ...

    def documents(self) -> list[Document]:
        """Every stored document (with its text)."""
        ...

    def document(self, doc_id: str) -> Document | None:
        """One stored document."""
        ...

    def counts(self) -> dict[str, int]:
        """{"documents": n, "chunks": n} in the version being prepared."""
        ...

    def counts_of(self, doc_id: str) -> int:
        """Number of chunks of one document."""
        ...

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes (`store.text_hash`), keyed by hash."""
        ...

    def put(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace (same doc_id or source) a document with its chunks and their vectors."""
        ...

    def delete(self, doc_id: str) -> bool:
        """Remove a document; True when it existed."""
        ...

    def catalogue(self) -> Catalogue:
        """The concept catalogue of the version being prepared (the base version's, or the shipped one)."""
        ...

    def set_catalogue(self, catalogue: Catalogue) -> bool:
        """Make an already validated catalogue the next version's (groundings follow); True when it changed."""
        ...

    def commit(self) -> Published | None:
        """Publish the new version atomically; None when nothing changed."""
        ...

    def merge(self, max_rows: int | None = None) -> list[Published]:
        """Compact what writes left behind (merged segments of at most `max_rows`, None: any size); the versions published."""
        ...


class Snapshot(Protocol):
    """One published version, read-only and immutable: what `KnowledgeBase` serves from."""

    version: str
    manifest: dict  # facts of the version: embedder, dim, backend, factory, documents, chunks, created
    embedder: str
    dim: int
    n_documents: int
    n_chunks: int
    centring: Centring  # per-language means of the passage vectors, and the corpus mean
    basis: np.ndarray  # (r, dim) language subspace projected out of queries
    warnings: list[str]  # problems met while opening (a damaged newer version skipped)

    @property
    def words_by_lang(self) -> dict[str, frozenset[str]]:
        """Words seen per passage language (query language detection)."""
        ...

    def chunk_languages(self) -> dict[str, int]:
        """Passages per language (what a `lang` filter can return)."""
        ...

    def document_languages(self) -> dict[str, int]:
        """Documents per language."""
        ...

    def dense(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Approximate top-k (chunk_id, inner product) of a corrected query against centred passages."""
        ...

    def term_languages(self, terms: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per analysed term, the passage languages holding it and in how many passages (absent terms: {})."""
        ...

    def lexical_top(self, plan: QueryPlan, k: int) -> dict[int, float]:
        """The k best chunk ids by `lexical_of`'s score, only those above 0."""
        ...

    def lexical_of(self, plan: QueryPlan, chunk_ids: Sequence[int]) -> dict[int, float]:
        """BM25 on 0..1 per chunk: the plan's terms of each passage's language (`index.queryplan`)."""
        ...

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        """Ranking facts of live chunks (unknown ids are left out)."""
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Passage vectors as embedded (before centring), in the order asked."""
        ...

    def doc_centroids(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(centred, raw) normalised mean passage vectors of documents, in the order asked."""
        ...

    def chunks_by_id(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        """Chunks (with text) for a set of ids."""
        ...

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in order."""
        ...

    def chunk_at(self, doc_id: str, ord: int) -> Chunk | None:
        """A document's chunk at one position (one row read, however long the document), or None."""
        ...

    def document_heads(self, doc_ids: Sequence[str]) -> dict[str, DocHead]:
        """Title and source of a few documents."""
        ...

    def documents(self) -> list[Document]:
        """Every document, ordered by source."""
        ...

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares (planning before the writer lock)."""
        ...

    def document(self, doc_id: str) -> Document | None:
        """One document by id."""
        ...

    def chunk_counts(self) -> dict[str, int]:
        """doc_id -> number of chunks."""
        ...

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a document with these bytes or the same normalised text, if any."""
        ...

    def concepts_by_chunk(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        """Concept ids each chunk is grounded in, strongest first."""
        ...

    def groundings(self, concept_id: str | None = None) -> list[GroundedPassage]:
        """Grounded passages by concept, best first."""
        ...

    def concept_counts(self) -> dict[str, int]:
        """concept_id -> number of grounded passages."""
        ...

    def catalogue(self) -> Catalogue:
        """The concept catalogue this version was published with."""
        ...

    def suggestions(self) -> list[dict]:
        """Suggested concepts computed for this version's documents (`index.suggestions`), best first."""
        ...

    def concept_index(self, catalogue: Catalogue) -> ConceptIndex | None:
        """The label vectors published with this version for `catalogue`, if the store keeps them."""
        ...

    def close(self) -> None:
        """Release files or connections (the snapshot is unusable afterwards)."""
        ...


class Store(Protocol):
    """An index: writes through one `Writer` at a time, reads through `Snapshot`s."""

    def writer(self, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
               lock_timeout: float = 30.0) -> Writer:
        """A writer (enter it to take the lock); `rebuild` starts from an empty index."""
        ...

    def current(self) -> str | None:
        """Name of the newest published version, cheaply (readers poll it), or None."""
        ...

    def snapshot(self, previous: Snapshot | None = None) -> Snapshot:
        """The newest sound version; `previous` lets it reuse what did not change.

        Raises IndexNotFound when nothing was published, IndexCorrupt when no version is sound.
        """
        ...

    def verify(self) -> list[str]:
        """Problems of the current version; an empty list means it is sound and searchable."""
        ...

    def decisions(self) -> dict[str, dict]:
        """suggestion id -> {status, refs, concept_id, at} of every decision trainers took (`index.suggestions`)."""
        ...

    def decide(self, suggestion: dict, status: str, concept_id: str | None = None) -> dict:
        """Record a trainer's decision on a suggestion (it outlives the version it was taken on) as `settle` in
        index/suggestions.py keeps it, in the write that records it; returns the decision kept."""
        ...
