"""The PostgreSQL store's tables, their migrations, and pgvector's binary wire format for NumPy vectors.

Every row of documents, chunks and groundings carries the version that added it and the version
that removed it; version v sees `added_in <= v AND (removed_in IS NULL OR removed_in > v)`. A write
is one transaction that adds rows for the next version and ends by inserting that version's row,
so a reader sees a version whole or not at all, and a writer killed at any moment leaves nothing.
The catalogue is stored once per content (`kb_catalogues`, by digest) and named by each version's manifest;
suggested concepts are stored per version; trainers' decisions on them outlive versions, as in the
embedded store. A database created before those tables gets them on open (the second migration).
"""
from __future__ import annotations

import struct

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

from ...concepts import Catalogue, load_catalogue, parse_catalogue
from ...records import Chunk, DocHead, DocState, Document

MIGRATIONS = [
    """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE kb_versions (
        number INTEGER PRIMARY KEY,
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        manifest JSONB NOT NULL,      -- embedder, dim, counts, per-language statistics
        centring BYTEA NOT NULL,      -- float32 (languages + 1, dim): language means, then the corpus mean
        basis BYTEA NOT NULL          -- float32 (r, dim): the language subspace
    );
    CREATE TABLE kb_documents (
        doc_id TEXT NOT NULL,
        source TEXT NOT NULL,
        title TEXT NOT NULL,
        author TEXT,
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        meta JSONB NOT NULL,
        added_at TEXT NOT NULL,
        chunking TEXT,
        meta_hash TEXT,
        added_in INTEGER NOT NULL,
        removed_in INTEGER,
        PRIMARY KEY (doc_id, added_in)
    );
    CREATE INDEX kb_documents_live ON kb_documents (doc_id) WHERE removed_in IS NULL;
    CREATE INDEX kb_documents_source ON kb_documents (source) WHERE removed_in IS NULL;
    CREATE INDEX kb_documents_hashes ON kb_documents (content_hash);
    CREATE INDEX kb_documents_text_hash ON kb_documents (text_hash);
    CREATE TABLE kb_chunks (
        chunk_id BIGSERIAL PRIMARY KEY,
        doc_id TEXT NOT NULL,
        ord INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        text TEXT NOT NULL,
        lang TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        text_hash TEXT NOT NULL,
        n_terms INTEGER NOT NULL,     -- BM25 document length
        content REAL NOT NULL,        -- content prior
        prev BIGINT NOT NULL,         -- the same document's previous / next chunk (its own id at an end)
        next BIGINT NOT NULL,
        vector vector NOT NULL,       -- as embedded
        centred vector,               -- centred with the language means of its version, for the HNSW index
        added_in INTEGER NOT NULL,
        removed_in INTEGER
    );
    CREATE INDEX kb_chunks_doc ON kb_chunks (doc_id, ord);
    CREATE INDEX kb_chunks_text_hash ON kb_chunks (text_hash);
    CREATE INDEX kb_chunks_removed ON kb_chunks (removed_in) WHERE removed_in IS NOT NULL;
    -- BM25 postings: one row per (chunk, analysed term), in the chunk's language.
    CREATE TABLE kb_postings (
        lang TEXT NOT NULL,
        term TEXT NOT NULL,
        chunk_id BIGINT NOT NULL REFERENCES kb_chunks (chunk_id) ON DELETE CASCADE,
        tf INTEGER NOT NULL,
        PRIMARY KEY (lang, term, chunk_id)
    );
    CREATE INDEX kb_postings_chunk ON kb_postings (chunk_id);
    -- Newest-version statistics kept by every write: document frequency per language and term,
    -- and the words seen per language (query language detection).
    CREATE TABLE kb_term_df (lang TEXT NOT NULL, term TEXT NOT NULL, df INTEGER NOT NULL, PRIMARY KEY (lang, term));
    CREATE INDEX kb_term_df_term ON kb_term_df (term);
    CREATE TABLE kb_words (word TEXT NOT NULL, lang TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (word, lang));
    CREATE TABLE kb_groundings (
        concept_id TEXT NOT NULL,
        chunk_id BIGINT NOT NULL REFERENCES kb_chunks (chunk_id) ON DELETE CASCADE,
        score REAL NOT NULL,
        via TEXT NOT NULL,
        sentence TEXT NOT NULL,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        added_in INTEGER NOT NULL,
        removed_in INTEGER
    );
    CREATE INDEX kb_groundings_concept ON kb_groundings (concept_id, score DESC);
    CREATE INDEX kb_groundings_chunk ON kb_groundings (chunk_id);
    """,
    """
    CREATE TABLE kb_catalogues (digest TEXT PRIMARY KEY, data JSONB NOT NULL);  -- `catalogue_data` of each
    CREATE TABLE kb_suggestions (version INTEGER PRIMARY KEY, data JSONB NOT NULL);  -- a version's, best first
    CREATE TABLE kb_decisions (suggestion_id TEXT PRIMARY KEY, decision JSONB NOT NULL);
    """,
    # 3: what a citation needs: every author (the single author of older rows becomes a list of one), the date
    # (ISO, partial allowed), publisher or source, and the file name the document came with
    """
    ALTER TABLE kb_documents ADD COLUMN authors JSONB NOT NULL DEFAULT '[]'::jsonb;
    ALTER TABLE kb_documents ADD COLUMN date TEXT;
    ALTER TABLE kb_documents ADD COLUMN publisher TEXT;
    ALTER TABLE kb_documents ADD COLUMN original_name TEXT;
    UPDATE kb_documents SET authors = jsonb_build_array(author) WHERE author IS NOT NULL;
    UPDATE kb_documents SET original_name = meta->>'original_name' WHERE meta ? 'original_name';
    ALTER TABLE kb_documents DROP COLUMN author;
    """,
    # 4: where a document's blocks of code lie ([[start, end], ...]), kept as written and shown so
    "ALTER TABLE kb_documents ADD COLUMN code JSONB NOT NULL DEFAULT '[]'::jsonb;",
]
HEAD_COLUMNS = "doc_id, title, source, lang, authors, date, publisher, original_name, code"
DOC_COLUMNS = f"{HEAD_COLUMNS}, text, content_hash, meta, added_at, chunking, meta_hash"
CHUNK_COLUMNS = "chunk_id, doc_id, ord, start_at, end_at, text, lang, tokens"
STATE_COLUMNS = "doc_id, source, content_hash, text_hash, chunking, meta_hash, meta->>'root' AS root"


def version_name(number: int) -> str:
    """A version's name, as the embedded store writes them."""
    return f"v{number:06d}"


def document_of(row: dict) -> Document:
    """A `kb_documents` row (DOC_COLUMNS) as a record."""
    return Document(doc_id=row["doc_id"], source=row["source"], title=row["title"], lang=row["lang"],
                    text=row["text"], content_hash=row["content_hash"], authors=list(row["authors"]),
                    date=row["date"], publisher=row["publisher"], original_name=row["original_name"],
                    meta=row["meta"], code=[tuple(span) for span in row["code"]], added_at=row["added_at"],
                    chunking=row["chunking"], meta_hash=row["meta_hash"])


def head_of(row: dict) -> DocHead:
    """A `kb_documents` row (HEAD_COLUMNS) as what a citation and a passage shown need."""
    return DocHead(row["doc_id"], row["title"], row["source"], row["lang"], tuple(row["authors"]), row["date"],
                   row["publisher"], row["original_name"], tuple(tuple(span) for span in row["code"]))


def chunk_of(row: dict) -> Chunk:
    """A `kb_chunks` row (CHUNK_COLUMNS) as a record."""
    return Chunk(chunk_id=row["chunk_id"], doc_id=row["doc_id"], ord=row["ord"], start=row["start_at"],
                 end=row["end_at"], text=row["text"], lang=row["lang"], tokens=row["tokens"])


def states_of(rows: list[dict]) -> dict[str, DocState]:
    """`kb_documents` rows (STATE_COLUMNS) as source -> what incremental ingest compares."""
    return {r["source"]: DocState(r["doc_id"], r["source"], r["content_hash"], r["text_hash"], r["chunking"],
                                  r["meta_hash"], r["root"]) for r in rows}


def visible(alias: str) -> str:
    """SQL condition: row `alias` belongs to the version bound as %(v)s."""
    return f"{alias}.added_in <= %(v)s AND ({alias}.removed_in IS NULL OR {alias}.removed_in > %(v)s)"


def hnsw_index(dim: int) -> str:
    """The HNSW index over centred vectors of one dimension (inner product)."""
    return (f"CREATE INDEX IF NOT EXISTS kb_chunks_hnsw_{dim} ON kb_chunks"
            f" USING hnsw ((centred::vector({dim})) vector_ip_ops)")


class VectorDumper(Dumper):
    """NumPy float vectors as pgvector's binary value: dimension, reserved, big-endian float32s."""

    format = Format.BINARY

    def dump(self, obj: np.ndarray) -> bytes:
        v = np.asarray(obj, dtype=">f4").ravel()
        return struct.pack(">HH", len(v), 0) + v.tobytes()


class VectorLoader(Loader):
    """pgvector's binary value as a float32 NumPy vector."""

    format = Format.BINARY

    def load(self, data) -> np.ndarray:
        dim = struct.unpack_from(">H", data)[0]
        return np.frombuffer(bytes(data), dtype=">f4", count=dim, offset=4).astype(np.float32)


class VectorTextLoader(Loader):
    """pgvector's text value ('[1,2,3]') as a float32 NumPy vector."""

    def load(self, data) -> np.ndarray:
        return np.array(bytes(data)[1:-1].split(b","), dtype=np.float32)


def register_vector(conn: psycopg.Connection) -> None:
    """Send NumPy arrays as pgvector values and read vector columns (in binary) as NumPy arrays."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise psycopg.errors.UndefinedObject("the pgvector extension is not installed in this database")
    dumper = type("PgVectorDumper", (VectorDumper,), {"oid": info.oid})
    conn.adapters.register_dumper(np.ndarray, dumper)
    conn.adapters.register_loader(info.oid, VectorLoader)
    conn.adapters.register_loader(info.oid, VectorTextLoader)


def packed(column: str, order: str) -> str:
    """SQL aggregate of a vector column into one bytea of pgvector binary values, in `order`."""
    return f"string_agg(vector_send({column}), ''::bytea ORDER BY {order})"


def unpack(blob: bytes | None, dim: int) -> np.ndarray:
    """What `packed` aggregated, as a (rows, dim) float32 matrix (one value instead of a row per vector)."""
    if not blob:
        return np.zeros((0, dim), np.float32)
    record = np.dtype([("dim", ">u2"), ("unused", ">u2"), ("v", ">f4", (dim,))])
    return np.frombuffer(bytes(blob), dtype=record)["v"].astype(np.float32)


def to_bytes(matrix: np.ndarray) -> bytes:
    """A float32 matrix as bytes for a BYTEA column."""
    return np.ascontiguousarray(matrix, dtype=np.float32).tobytes()


def from_bytes(data: bytes, dim: int) -> np.ndarray:
    """What `to_bytes` wrote, as a (rows, dim) float32 matrix."""
    return np.frombuffer(bytes(data), dtype=np.float32).reshape(-1, dim).copy()


def catalogue_of(conn: psycopg.Connection, digest: str | None) -> Catalogue:
    """The catalogue stored under `digest`; the shipped one for a version written before catalogues were stored."""
    row = conn.execute("SELECT data FROM kb_catalogues WHERE digest = %s", (digest,)).fetchone() if digest else None
    if row is None:
        return load_catalogue()
    return parse_catalogue(row["data"], source=f"the database's catalogue {digest}")

