"""Citation metadata kept by both stores, and read back from versions written before it existed."""
from __future__ import annotations

import json

import numpy as np

from index.records import Chunk, Document
from index.segments import tables


def old_row(conn, migrations: int) -> None:
    """A documents row as a version written before migration 6 holds it: one author, the upload name in meta."""
    for number, step in enumerate(tables.MIGRATIONS[:migrations], start=1):
        step(conn) if callable(step) else conn.executescript(step)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO documents (doc_id, source, title, author, lang, text, content_hash, meta, text_hash)"
                 " VALUES ('d1', 'uploads/ab.txt', 'T', 'Jane Doe', 'sv', 'text', 'h', ?, 'th')",
                 (json.dumps({"original_name": "notes.txt"}),))
    conn.commit()


def test_a_segment_written_before_the_metadata_columns_reads_its_author_as_a_list(tmp_path):
    path = tmp_path / "kb.sqlite"
    old_row(tables.connect(path), 5)
    readonly = tables.connect(path, readonly=True)  # how published segments are opened: never migrated
    (doc,) = tables.documents(readonly)
    assert (doc.authors, doc.date, doc.publisher, doc.original_name) == (["Jane Doe"], None, None, "notes.txt")
    head = tables.document_heads(readonly, ["d1"])["d1"]
    assert (head.authors, head.lang, head.original_name) == (("Jane Doe",), "sv", "notes.txt")
    writable = tables.connect(path)
    assert tables.migrate(writable) == len(tables.MIGRATIONS)
    assert tables.document(writable, "d1").authors == ["Jane Doe"]


def test_postgres_migrates_an_old_author_and_stores_every_field(pg_url):
    from index.pgconn import Database, migrate
    from index.stores import IndexSettings
    from index.stores.postgres import PostgresStore
    from index.stores.postgres.schema import DOC_COLUMNS, MIGRATIONS, document_of

    migrate(pg_url, "store", MIGRATIONS[:2])
    db = Database(pg_url)
    with db.transaction() as conn:
        conn.execute("INSERT INTO kb_documents (doc_id, source, title, author, lang, text, content_hash, text_hash,"
                     " meta, added_at, added_in) VALUES ('old', 'a.txt', 'Old', 'Jane Doe', 'sv', 't', 'h', 'th',"
                     " '{\"original_name\": \"a.txt\"}', '2020', 1)")
    db.close()
    store = PostgresStore(pg_url)  # applies migration 3
    row = store.db.connection().execute(f"SELECT {DOC_COLUMNS} FROM kb_documents WHERE doc_id = 'old'").fetchone()
    assert (document_of(row).authors, document_of(row).original_name) == (["Jane Doe"], "a.txt")

    doc = Document("new", "uploads/x.txt", "Kundintimitet", "sv", "Kundintimitet bygger på förtroende. " * 4, "c",
                   authors=["Michael Treacy", "Fred Wiersema"], date="1993-01", publisher="Harvard Business Review",
                   original_name="intimacy.txt")
    chunk = Chunk(0, "new", 0, 0, len(doc.text), doc.text, "sv", 20)
    settings = IndexSettings(embedder="hash:16", suggest=False)
    with store.writer(settings) as writer:
        writer.put(doc, [chunk], np.ones((1, 16), np.float32) / 4)
        writer.commit()
    snapshot = store.snapshot()
    stored = snapshot.document("new")
    assert (stored.authors, stored.date, stored.publisher, stored.original_name) == (
        doc.authors, doc.date, doc.publisher, doc.original_name)
    head = snapshot.document_heads(["new"])["new"]
    assert (head.authors, head.date, head.publisher, head.lang) == (tuple(doc.authors), "1993-01", doc.publisher, "sv")
