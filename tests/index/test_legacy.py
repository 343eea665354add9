"""An index written before segments keeps working: its first reader or writer imports it into segments.

`fixtures/legacy-index` was written by the release before segments (`python -m ingest` on main, embedder
hash:64, two documents); only its concepts.npz (label vectors, 750 kB, rebuilt when missing) was left out.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from index import versions
from index.__main__ import main as index_main
from index.service import KnowledgeBase
from index.stores import IndexSettings
from tests.configs import config_for, store_for

LEGACY = Path(__file__).parent / "fixtures" / "legacy-index"
SETTINGS = IndexSettings(embedder="hash:64")


@pytest.fixture
def legacy(tmp_path) -> Path:
    return shutil.copytree(LEGACY, tmp_path / "index")


def _legacy_documents(index_dir: Path) -> dict[str, str]:
    conn = sqlite3.connect(index_dir / "versions" / "v000001" / versions.DB_FILE)
    try:
        return dict(conn.execute("SELECT source, text FROM documents"))
    finally:
        conn.close()


def test_a_reader_imports_it_once_and_serves_the_same_documents(legacy):
    before = _legacy_documents(legacy)
    kb = KnowledgeBase(config_for(legacy, embedder="hash:64"))
    assert kb.version != "v000001"  # a segmented version was published over it
    assert {d["source"]: kb.document(d["doc_id"])["text"] for d in kb.documents()} == before
    hits = kb.search("Kundelojalitet tillit", k=2, mode="lexical").results
    assert hits and hits[0].source == "tillit.txt"
    assert store_for(legacy).verify() == []
    assert versions.published(legacy)[0] == "v000001"  # the old version stays until collected
    assert KnowledgeBase(config_for(legacy, embedder="hash:64")).version == kb.version  # imported once, not on every open


def test_a_writer_imports_it_and_applies_its_change_in_the_same_publish(legacy):
    with store_for(legacy).writer(SETTINGS) as writer:
        assert writer.base_version == "v000001"
        assert len(writer.documents()) == 2
        writer.delete(next(d.doc_id for d in writer.documents() if d.source == "klant.txt"))
        published = writer.commit()
    assert (published.documents, published.chunks) == (1, 1)
    snapshot = store_for(legacy).snapshot()
    assert [d.source for d in snapshot.documents()] == ["tillit.txt"] and "segments" in snapshot.manifest
    assert index_main(["verify", "--index-dir", str(legacy)]) == 0


def test_an_older_schema_is_migrated_on_a_copy_not_in_the_published_version(legacy):
    # What an index written before document identity looked like: no text_hash, chunking or meta_hash.
    folder = legacy / "versions" / "v000001"
    conn = sqlite3.connect(folder / versions.DB_FILE)
    conn.executescript(
        "DROP INDEX documents_text_hash; ALTER TABLE documents DROP COLUMN text_hash;"
        " ALTER TABLE documents DROP COLUMN chunking; ALTER TABLE documents DROP COLUMN meta_hash;"
        " PRAGMA user_version = 2;"
    )
    conn.close()
    manifest = json.loads((folder / versions.MANIFEST).read_text())
    versions.write_manifest(folder, {k: v for k, v in manifest.items() if k not in ("files", "created")})
    sealed = (folder / versions.DB_FILE).read_bytes()
    snapshot = store_for(legacy).snapshot()
    states = snapshot.document_states()
    assert sorted(states) == ["klant.txt", "tillit.txt"]
    assert all(s.text_hash for s in states.values())  # backfilled; chunking stays unknown until the next ingest
    assert (folder / versions.DB_FILE).read_bytes() == sealed


def test_an_interrupted_import_leaves_the_old_version_served(legacy, monkeypatch):
    from index.segments import writer as segment_writer

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(segment_writer.versions, "publish", crash)
    with pytest.raises(OSError):
        store_for(legacy).snapshot()
    monkeypatch.undo()
    assert versions.current_name(legacy) == "v000001" and store_for(legacy).verify() == []
    assert len(store_for(legacy).snapshot().documents()) == 2
