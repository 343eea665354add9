"""The SQLite rows of a segment: documents, chunks with offsets and vectors, concept links.

The schema evolves through numbered migrations recorded in `PRAGMA user_version`.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Callable, Sequence, Union

import numpy as np

from ..records import Chunk, DocHead, DocState, Document, document_hash


def _backfill_text_hashes(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT doc_id, text FROM documents").fetchall()
    conn.executemany("UPDATE documents SET text_hash = ? WHERE doc_id = ?", [(document_hash(t), d) for d, t in rows])


# A migration is a SQL script or a function of the connection (for data SQL cannot compute).
MIGRATIONS: list[Union[str, Callable[[sqlite3.Connection], None]]] = [
    # 1: documents, chunks (vectors kept beside their text so unchanged chunks are never re-embedded)
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        source TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        author TEXT,
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}',
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE chunks (
        chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        lang TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        text_hash TEXT NOT NULL,
        vector BLOB NOT NULL,
        UNIQUE (doc_id, ord)
    );
    CREATE INDEX chunks_text_hash ON chunks(text_hash);
    """,
    # 2: concept groundings, recomputed whenever the corpus changes
    """
    CREATE TABLE concept_passages (
        concept_id TEXT NOT NULL,
        chunk_id INTEGER NOT NULL REFERENCES chunks(chunk_id) ON DELETE CASCADE,
        score REAL NOT NULL,
        via TEXT NOT NULL,
        sentence TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        PRIMARY KEY (concept_id, chunk_id)
    );
    CREATE INDEX concept_passages_chunk ON concept_passages(chunk_id);
    """,
    # 3: what a document was made with, so re-ingest notices changed metadata or chunking, and
    # the hash of its normalised text, so the same content under another encoding is a duplicate.
    # Rows from before have no chunking or metadata hash: the next ingest of their file re-applies it.
    """
    ALTER TABLE documents ADD COLUMN text_hash TEXT;
    ALTER TABLE documents ADD COLUMN chunking TEXT;
    ALTER TABLE documents ADD COLUMN meta_hash TEXT;
    CREATE INDEX documents_text_hash ON documents(text_hash);
    """,
    # 4: text hashes of the documents stored before migration 3
    _backfill_text_hashes,
    # 5: an upload's duplicate check looks documents up by their bytes' hash too (one row, not a scan)
    "CREATE INDEX IF NOT EXISTS documents_content_hash ON documents(content_hash);",
    # 6: what a citation needs: every author (a JSON list; the single `author` of older rows is read as one),
    # the date (ISO, partial allowed), publisher or source, and the file name the document came with
    """
    ALTER TABLE documents ADD COLUMN authors TEXT;
    ALTER TABLE documents ADD COLUMN date TEXT;
    ALTER TABLE documents ADD COLUMN publisher TEXT;
    ALTER TABLE documents ADD COLUMN original_name TEXT;
    """,
    # 7: where a document's blocks of code lie (a JSON list of [start, end]), kept as written and shown so
    "ALTER TABLE documents ADD COLUMN code TEXT;",
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """Open a version's database; read-only connections are safe to share across reader threads."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA foreign_keys=ON")
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations in order; returns the schema version reached."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with conn:
            if callable(step):
                step(conn)
            else:
                conn.executescript(step)
            conn.execute(f"PRAGMA user_version = {number}")
    return SCHEMA_VERSION


def _document(row: sqlite3.Row) -> Document:
    meta = json.loads(row["meta"])
    return Document(
        doc_id=row["doc_id"], source=row["source"], title=row["title"], lang=row["lang"],
        text=row["text"], content_hash=row["content_hash"], authors=list(_authors(row)),
        date=_optional(row, "date"), publisher=_optional(row, "publisher"),
        original_name=_original_name(row, meta), meta=meta, code=_code(row), added_at=row["added_at"],
        chunking=_optional(row, "chunking"), meta_hash=_optional(row, "meta_hash"),
    )


def _code(row: sqlite3.Row) -> list[tuple[int, int]]:
    return [tuple(span) for span in json.loads(_optional(row, "code") or "[]")]


def _optional(row: sqlite3.Row, column: str):
    # Read-only connections may open a version written before the column existed.
    return row[column] if column in row.keys() else None


def _authors(row: sqlite3.Row) -> tuple[str, ...]:
    authors = _optional(row, "authors")
    if authors is not None:
        return tuple(json.loads(authors))
    # A row written before migration 6 has one author at most.
    return (row["author"],) if row["author"] else ()


def _original_name(row: sqlite3.Row, meta: dict | None = None) -> str | None:
    # Uploads stored before migration 6 kept their client file name in the metadata (read only for those).
    return _optional(row, "original_name") or (json.loads(row["meta"]) if meta is None else meta).get("original_name")


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], ord=row["ord"], start=row["start"],
        end=row["end"], text=row["text"], lang=row["lang"], tokens=row["tokens"],
    )


_CHUNK_COLUMNS = "chunk_id, doc_id, ord, start, end, text, lang, tokens"


def documents(conn: sqlite3.Connection) -> list[Document]:
    """Every document, ordered by source."""
    return [_document(r) for r in conn.execute("SELECT * FROM documents ORDER BY source")]


def document(conn: sqlite3.Connection, doc_id: str) -> Document | None:
    """One document by id."""
    row = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    return _document(row) if row else None


def duplicate_of(conn: sqlite3.Connection, content_hash: str, text_hash: str) -> str | None:
    """Id of a document with these bytes (sha256) or the same normalised text (`document_hash`), if any."""
    if "text_hash" not in {r[1] for r in conn.execute("PRAGMA table_info(documents)")}:
        # A version written before migration 3: bytes are all it can compare.
        row = conn.execute("SELECT doc_id FROM documents WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
    else:
        row = conn.execute("SELECT doc_id FROM documents WHERE content_hash = ? OR text_hash = ? LIMIT 1",
                           (content_hash, text_hash)).fetchone()
    return row[0] if row else None


def document_heads(conn: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, DocHead]:
    """doc_id -> what a citation needs of a few documents, without loading their text."""
    if not doc_ids:
        return {}
    marks = ",".join("?" * len(doc_ids))
    columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    extra = [c if c in columns else f"NULL AS {c}" for c in ("authors", "date", "publisher", "original_name", "code")]
    rows = conn.execute(f"SELECT doc_id, title, source, lang, author, meta, {', '.join(extra)} FROM documents"
                        f" WHERE doc_id IN ({marks})", list(doc_ids))
    return {r["doc_id"]: DocHead(r["doc_id"], r["title"], r["source"], r["lang"], _authors(r), r["date"],
                                 r["publisher"], _original_name(r), tuple(_code(r))) for r in rows}


def document_states(conn: sqlite3.Connection) -> dict[str, DocState]:
    """source -> DocState of every document (text hashes computed when the version predates them)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    extra = [c if c in columns else f"NULL AS {c}" for c in ("text_hash", "chunking", "meta_hash")]
    states = {}
    for row in conn.execute(f"SELECT doc_id, source, content_hash, meta, {', '.join(extra)} FROM documents"):
        text_hash = row["text_hash"]
        if text_hash is None:
            text = conn.execute("SELECT text FROM documents WHERE doc_id = ?", (row["doc_id"],)).fetchone()[0]
            text_hash = document_hash(text)
        states[row["source"]] = DocState(
            row["doc_id"], row["source"], row["content_hash"], text_hash, row["chunking"], row["meta_hash"],
            json.loads(row["meta"]).get("root"),
        )
    return states


def chunks_of(conn: sqlite3.Connection, doc_id: str) -> list[Chunk]:
    """A document's chunks in order."""
    rows = conn.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? ORDER BY ord", (doc_id,))
    return [_chunk(r) for r in rows]


def chunk_at(conn: sqlite3.Connection, doc_id: str, ord: int) -> Chunk | None:
    """A document's chunk at one position (through the (doc_id, ord) key), or None."""
    row = conn.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? AND ord = ?", (doc_id, ord)).fetchone()
    return _chunk(row) if row is not None else None


def chunks_by_id(conn: sqlite3.Connection, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
    """Chunks for a set of ids."""
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({marks})", list(chunk_ids))
    return {r["chunk_id"]: _chunk(r) for r in rows}


def vectors_by_id(conn: sqlite3.Connection, chunk_ids: Sequence[int], dim: int) -> np.ndarray:
    """Vectors of the given chunks, in the order asked."""
    if not len(chunk_ids):
        return np.zeros((0, dim), np.float32)
    marks = ",".join("?" * len(chunk_ids))
    found = dict(conn.execute(f"SELECT chunk_id, vector FROM chunks WHERE chunk_id IN ({marks})",
                              [int(c) for c in chunk_ids]).fetchall())
    return np.frombuffer(b"".join(found[int(c)] for c in chunk_ids), dtype=np.float32).reshape(-1, dim)


def groundings(conn: sqlite3.Connection, concept_id: str | None = None) -> list[sqlite3.Row]:
    """Grounded passages, best first, joined with their chunk and document."""
    where = "WHERE cp.concept_id = ?" if concept_id else ""
    args = (concept_id,) if concept_id else ()
    return conn.execute(
        "SELECT cp.*, c.doc_id, c.ord, c.lang, c.text, d.title, d.source FROM concept_passages cp"
        " JOIN chunks c ON c.chunk_id = cp.chunk_id JOIN documents d ON d.doc_id = c.doc_id"
        f" {where} ORDER BY cp.concept_id, cp.score DESC",
        args,
    ).fetchall()

