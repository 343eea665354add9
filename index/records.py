"""The records every store shares: documents and chunks, what ranking and the API read of them, how a write is set up.

Both stores (`index/stores/`) read and write these; ingest builds `Document`s and `Chunk`s, ranking reads `Passage`s.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

from .embedders import DEFAULT_EMBEDDER
from .errors import EmbedderMismatch
from .versions import DEFAULT_KEEP


def document_hash(text: str) -> str:
    """Hash of a document's cleaned text with whitespace collapsed: the same content from another
    encoding or format hashes the same, so it is recognised as a duplicate."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass
class Document:
    """A cleaned document as stored."""

    doc_id: str
    source: str
    title: str
    lang: str
    text: str
    content_hash: str
    authors: list[str] = field(default_factory=list)
    date: str | None = None  # ISO 8601, partial allowed: YYYY, YYYY-MM or YYYY-MM-DD
    publisher: str | None = None  # who published it, or the periodical or site it appeared in
    original_name: str | None = None  # the file name it came with (an upload's, never a storage path)
    meta: dict = field(default_factory=dict)
    code: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each block of code in `text`
    added_at: str = ""
    chunking: str | None = None
    meta_hash: str | None = None


@dataclass(frozen=True)
class DocState:
    """What incremental ingest needs to know of a stored document, without its text."""

    doc_id: str
    source: str
    content_hash: str
    text_hash: str
    chunking: str | None
    meta_hash: str | None
    root: str | None


@dataclass
class Chunk:
    """A passage of a document: text == document.text[start:end]."""

    chunk_id: int
    doc_id: str
    ord: int
    start: int
    end: int
    text: str
    lang: str
    tokens: int


def text_hash(text: str) -> str:
    """Content hash used to skip unchanged files and reuse unchanged chunk vectors."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built: embedder, vector backend and FAISS factory, versions kept.

    `factory` is an explicit choice for the next publish; None keeps the index's own, else `default_factory`.
    """

    embedder: str = DEFAULT_EMBEDDER
    backend: str = "faiss"
    factory: str | None = None
    default_factory: str = "Flat"
    search_params: str | None = None
    keep: int = DEFAULT_KEEP
    suggest: bool = True  # suggest concepts for the documents each write puts


@dataclass(frozen=True)
class Published:
    """What a commit published."""

    version: str
    documents: int
    chunks: int


@dataclass(frozen=True)
class Passage:
    """What ranking needs of one candidate: its document, language, content prior and neighbours.

    `prev`/`next` are the chunk ids of the same document's previous/next passage (its own id at an end).
    """

    chunk_id: int
    doc_id: str
    lang: str
    content: float
    prev: int
    next: int


@dataclass(frozen=True)
class DocHead:
    """What a citation of a document, and a passage of it shown, need, without its text."""

    doc_id: str
    title: str
    source: str
    lang: str = ""
    authors: tuple[str, ...] = ()
    date: str | None = None
    publisher: str | None = None
    original_name: str | None = None
    code: tuple[tuple[int, int], ...] = ()  # as `Document.code`

    @classmethod
    def of(cls, doc: "Document") -> "DocHead":
        """The head of a whole document."""
        return cls(doc.doc_id, doc.title, doc.source, doc.lang, tuple(doc.authors), doc.date, doc.publisher,
                   doc.original_name, tuple(doc.code))


@dataclass(frozen=True)
class GroundedPassage:
    """A concept grounding joined with its chunk and document, as the API shows it."""

    concept_id: str
    chunk_id: int
    score: float
    via: str
    sentence: str
    start: int
    end: int
    doc_id: str
    ord: int
    lang: str
    text: str
    title: str
    source: str


def check_embedder(manifest: dict, settings: IndexSettings) -> None:
    """Raise EmbedderMismatch unless a version (by its manifest) was built with the settings' embedder."""
    built_with = manifest.get("embedder")
    if built_with != settings.embedder:
        raise EmbedderMismatch(
            f"the index was built with {built_with!r}, not {settings.embedder!r};"
            " use --rebuild to re-embed everything with the new embedder"
        )
