"""The PostgreSQL store on a real PostgreSQL 16 + pgvector: same numbers as the embedded index, versions
that readers see whole, one writer at a time, and kill -9 of a writer at random moments."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index import store as sq
from index import versions
from index.debias import Centring
from index.errors import IndexBusy, IndexNotFound
from index.lexical import LexicalIndex, analyze_query, words
from index.ranking import CROSS_LANGUAGE_MIN_CHARS
from index.stores.base import IndexSettings
from index.stores.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [("kundelojalitet strategi", "no"), ("Filerna och kunderna", "sv"), ("customer lock-on Disney", "en"),
           ("klantreis van bedrijven", "nl"), ("data", "und")]


def pour(index_dir: Path, store: PostgresStore, settings: IndexSettings) -> None:
    """Write every document of an embedded index's current version, with its chunks and vectors, into `store`."""
    version, _ = versions.open_current(index_dir)
    conn = sq.connect(version.path / versions.DB_FILE, readonly=True)
    with store.writer(settings) as writer:
        for doc in sq.documents(conn):
            chunks = sq.chunks_of(conn, doc.doc_id)
            writer.put(doc, chunks, sq.vectors_by_id(conn, [c.chunk_id for c in chunks], version.manifest["dim"]))
        writer.commit()
    conn.close()


@pytest.fixture
def poured(seed_index, pg_url) -> PostgresStore:
    store = PostgresStore(pg_url)
    pour(seed_index, store, IndexSettings())
    return store


def _embedded_lexical(lex: LexicalIndex, query: str, query_lang: str) -> np.ndarray:
    total = np.zeros(len(lex.chunk_ids))
    long_words = " ".join(w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS)
    for lang in lex.langs:
        text = query if lang == query_lang else long_words
        if text:
            scores, bound = lex.scores(analyze_query(text, lang), lang)
            total += scores / bound
    return total


def test_postgres_store_computes_what_the_embedded_index_computes(seed_index, poured):
    """BM25, language correction, content priors and groundings equal the embedded index's, from the same chunks."""
    version, _ = versions.open_current(seed_index)
    conn = sq.connect(version.path / versions.DB_FILE, readonly=True)
    snap = poured.snapshot()
    assert (snap.n_documents, snap.n_chunks) == (version.manifest["documents"], version.manifest["chunks"])
    pg_id = {(c.doc_id, c.ord): c.chunk_id for d in snap.documents() for c in snap.chunks_of(d.doc_id)}
    ids = [pg_id[(c.doc_id, c.ord)] for c in sq.all_chunks(conn)]  # embedded row order
    lex = LexicalIndex.load(version.path)
    for query, lang in QUERIES:
        expected = _embedded_lexical(lex, query, lang)
        got = snap.lexical_of(query, lang, ids)
        assert np.allclose([got[i] for i in ids], expected, atol=1e-5), query
        top = snap.lexical_top(query, lang, 5)
        assert sorted(top.values(), reverse=True) == pytest.approx(sorted(expected[expected > 0])[::-1][:5], abs=1e-5)
    centring = Centring.load(version.path / "centring.npz", snap.dim)
    assert centring.langs == snap.centring.langs and np.allclose(centring.table, snap.centring.table, atol=1e-6)
    basis = np.load(version.path / "debias.npy")
    assert np.allclose(basis.T @ basis, snap.basis.T @ snap.basis, atol=1e-5)
    passages = snap.passages(ids)
    assert np.allclose([passages[i].content for i in ids], np.load(version.path / "content.npy"), atol=1e-6)
    embedded = sorted((r["concept_id"], r["doc_id"], r["ord"], r["via"]) for r in sq.groundings(conn))
    assert embedded and embedded == sorted((g.concept_id, g.doc_id, g.ord, g.via) for g in snap.groundings())
    vectors = sq.vectors_by_id(conn, [c.chunk_id for c in sq.all_chunks(conn)], snap.dim)
    assert np.array_equal(snap.vectors(ids), vectors)
    conn.close()


def test_dense_finds_the_exact_nearest_passages_of_the_seeds(poured):
    snap = poured.snapshot()
    ids = [c.chunk_id for d in snap.documents() for c in snap.chunks_of(d.doc_id)]
    raw = snap.vectors(ids)
    centred = raw - snap.centring.table[snap.centring.rows([snap.passages(ids)[i].lang for i in ids])]
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    q = centred[7] + 0.3 * centred[40]
    q /= np.linalg.norm(q)
    exact = [ids[i] for i in np.argsort(-(centred @ q))[:10]]
    found = snap.dense(q, 10)
    assert [c for c, _ in found] == exact
    assert [s for _, s in found] == pytest.approx(sorted((centred @ q).tolist(), reverse=True)[:10], abs=1e-5)


def test_a_snapshot_keeps_serving_its_version_while_writes_publish_newer_ones(poured):
    old = poured.snapshot()
    doc = old.documents()[0]
    with poured.writer() as writer:
        assert writer.base_version == old.version
        assert writer.delete(doc.doc_id) and not writer.delete("no-such-doc")
        assert poured.current() == old.version  # nothing visible before the commit
        published = writer.commit()
    new = poured.snapshot(previous=old)
    assert poured.current() == published.version == new.version != old.version
    assert new.document(doc.doc_id) is None and new.n_documents == old.n_documents - 1
    assert old.document(doc.doc_id) is not None and len(old.documents()) == old.n_documents
    assert {c.chunk_id for c in old.chunks_of(doc.doc_id)} <= set(old.chunks_by_id([c.chunk_id for c in old.chunks_of(doc.doc_id)]))
    assert poured.snapshot(previous=new) is new
    assert poured.verify() == []


def test_adding_a_document_grounds_concepts_as_a_full_recomputation_would(seed_index, poured, pg_url, pg_server):
    """Incremental groundings (new chunks plus the old best few) equal grounding everything afresh."""
    snap = poured.snapshot()
    donor = snap.documents()[-1]
    chunks = snap.chunks_of(donor.doc_id)
    vectors = snap.vectors([c.chunk_id for c in chunks])
    copy = sq.Document(**{**vars(donor), "doc_id": "copy-doc", "source": "copy.txt"})
    with poured.writer() as writer:
        writer.put(copy, chunks, vectors)
        writer.commit()
    incremental = sorted((g.concept_id, g.doc_id, g.ord, g.via) for g in poured.snapshot().groundings())
    with poured.writer(rebuild=True) as writer:
        for doc in poured.snapshot().documents():
            own = poured.snapshot().chunks_of(doc.doc_id)
            writer.put(doc, own, poured.snapshot().vectors([c.chunk_id for c in own]))
        writer.commit()
    full = sorted((g.concept_id, g.doc_id, g.ord, g.via) for g in poured.snapshot().groundings())
    assert any(doc_id == "copy-doc" for _, doc_id, _, _ in incremental) and incremental == full


def test_one_writer_at_a_time_and_nothing_published_is_not_found(pg_url):
    store = PostgresStore(pg_url)
    assert store.current() is None and store.verify() == ["no version is published"]
    with pytest.raises(IndexNotFound):
        store.snapshot()
    settings = IndexSettings(embedder="hash:64")
    with store.writer(settings):
        with pytest.raises(IndexBusy):
            with store.writer(settings, lock_timeout=0.3):
                pass
    with store.writer(settings, lock_timeout=0.3) as writer:
        assert writer.commit() is None  # nothing changed, nothing published
    assert store.current() is None


# -- kill -9 of a writer at random moments --------------------------------------------------------------------

WRITE = r"""
import sys, numpy as np
from index.store import Chunk, Document
from index.stores.base import IndexSettings
from index.stores.postgres import PostgresStore
url, n = sys.argv[1], int(sys.argv[2])
store = PostgresStore(url)
rng = np.random.default_rng(n)
with store.writer(IndexSettings(embedder="hash:64")) as writer:
    for d in range(3):
        text = " ".join(f"ord{n}x{d}x{i} kunde strategi" for i in range(60))
        doc = Document(doc_id=f"doc{d}", source=f"doc{d}.txt", title=f"round {n}", lang="no", text=text, content_hash=f"{n}-{d}")
        chunks = [Chunk(0, doc.doc_id, i, 0, len(text), text, "no", 100) for i in range(40)]
        vectors = rng.normal(size=(40, 64)).astype(np.float32)
        writer.put(doc, chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    print("committing", flush=True)
    writer.commit()
print("published", flush=True)
"""


def _write(url: str, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITE, url, str(n)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_kill_9_of_a_writer_at_any_moment_leaves_the_old_or_the_new_version(pg_url):
    store = PostgresStore(pg_url)
    assert _write(pg_url, 0).wait(120) == 0
    started = time.monotonic()
    assert _write(pg_url, 1).wait(120) == 0
    duration = time.monotonic() - started
    rng, outcomes = random.Random(13), []
    for n in range(2, 22):
        before = store.snapshot()
        old_round = before.document("doc0").title
        proc = _write(pg_url, n)
        time.sleep(rng.uniform(0.0, 1.1 * duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert store.verify() == [], n
        after = store.snapshot(previous=before)
        titles = {d.title for d in after.documents()}
        assert titles in ({old_round}, {f"round {n}"}), (n, titles)
        assert after.n_chunks == 120 and len(after.chunks_by_id([c for c, _ in after.dense(np.ones(64) / 8, 5)])) == 5
        outcomes.append(titles == {f"round {n}"})
    assert any(outcomes) and not all(outcomes), outcomes  # kills landed both before and after the commit
