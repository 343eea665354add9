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
import psycopg
import pytest

from index import records as sq
from index.bridge import Bridge
from index.errors import IndexBusy, IndexNotFound, StoreUnavailable
from index.glosses import DEFAULT_DICT_DIR, lexicons
from index.queryplan import plan_query
from index.stores import IndexSettings
from index.stores.postgres import PostgresStore

from tests.configs import store_for
from tests.conftest import allow_connections, frozen, pour_into_postgres

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [("kundelojalitet strategi", "no"), ("Filerna och kunderna", "sv"), ("customer lock-on Disney", "en"),
           ("klantreis van bedrijven", "nl"), ("data", "und")]


@pytest.fixture
def poured(seed_index, pg_url) -> PostgresStore:
    pour_into_postgres(seed_index, pg_url)
    return PostgresStore(pg_url)


def test_postgres_store_computes_what_the_embedded_store_computes(seed_index, poured):
    """BM25, language correction, content priors, vectors and groundings equal the embedded store's, same chunks."""
    embedded, snap = store_for(seed_index).snapshot(), poured.snapshot()
    assert (snap.n_documents, snap.n_chunks) == (embedded.n_documents, embedded.n_chunks)
    assert snap.chunk_languages() == embedded.chunk_languages()
    assert snap.document_languages() == embedded.document_languages()
    pairs = [(e.chunk_id, p.chunk_id) for d in embedded.documents()
             for e, p in zip(embedded.chunks_of(d.doc_id), snap.chunks_of(d.doc_id), strict=True)]
    ours, theirs = [p for _, p in pairs], [e for e, _ in pairs]
    lex = lexicons(DEFAULT_DICT_DIR, Path(os.environ["KB_CACHE_DIR"]))
    for query, lang in QUERIES:
        # Each store's own statistics steer the bridge's weights: the translated plans are the same.
        bridged = [plan_query(query, lang, s.chunk_languages(), Bridge(lex, s.catalogue(), s.term_languages))
                   for s in (embedded, snap)]
        assert bridged[0] == bridged[1], query
        for plan in (plan_query(query, lang, snap.chunk_languages()), bridged[0]):
            expected, got = embedded.lexical_of(plan, theirs), snap.lexical_of(plan, ours)
            assert np.allclose([got[p] for p in ours], [expected[e] for e in theirs], atol=1e-5), query
            top, expected_top = snap.lexical_top(plan, 5), embedded.lexical_top(plan, 5)
            assert sorted(top.values()) == pytest.approx(sorted(expected_top.values()), abs=1e-5), query
    assert snap.centring.langs == embedded.centring.langs
    assert np.allclose(snap.centring.table, embedded.centring.table, atol=1e-5)
    assert np.allclose(snap.basis.T @ snap.basis, embedded.basis.T @ embedded.basis, atol=1e-4)
    mine, its = snap.passages(ours), embedded.passages(theirs)
    assert np.allclose([mine[p].content for p in ours], [its[e].content for e in theirs], atol=1e-6)
    assert np.array_equal(snap.vectors(ours), embedded.vectors(theirs))
    docs = [d.doc_id for d in embedded.documents()]
    for a, b in zip(snap.doc_centroids(docs), embedded.doc_centroids(docs)):
        assert np.allclose(a, b, atol=1e-5)
    grounded = sorted((g.concept_id, g.doc_id, g.ord, g.via) for g in embedded.groundings())
    assert grounded and grounded == sorted((g.concept_id, g.doc_id, g.ord, g.via) for g in snap.groundings())
    assert set(embedded.words_by_lang) == set(snap.words_by_lang)
    for lang, vocabulary in embedded.words_by_lang.items():
        assert all(word in snap.words_by_lang[lang] for word in sorted(vocabulary)[:50])


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


def test_a_write_moves_the_language_figures_as_a_full_recount_would(poured):
    """Chunks, documents, vector sums and terms per language move by what a write changed, never recounted."""
    snap = poured.snapshot()
    donor, other = snap.documents()[-1], snap.documents()[0]
    chunks = snap.chunks_of(donor.doc_id)
    copy = sq.Document(**{**vars(donor), "doc_id": "copy-doc", "source": "copy.txt"})
    with poured.writer() as writer:
        writer.put(copy, chunks, snap.vectors([c.chunk_id for c in chunks]))
        writer.delete(other.doc_id)
        writer.put(sq.Document(**{**vars(donor), "title": "Replaced"}), chunks[:2],
                   snap.vectors([c.chunk_id for c in chunks[:2]]))
        writer.commit()
    running = poured.snapshot().manifest
    with poured.writer(rebuild=True) as writer:  # a rebuild counts every live row afresh
        now = poured.snapshot()
        for doc in now.documents():
            own = now.chunks_of(doc.doc_id)
            writer.put(doc, own, now.vectors([c.chunk_id for c in own]))
        writer.commit()
    recounted = poured.snapshot().manifest
    assert running["document_languages"] == recounted["document_languages"]
    assert running["chunk_languages"] == recounted["chunk_languages"]
    for mine, full in zip(running["language_stats"], recounted["language_stats"], strict=True):
        assert (mine["lang"], mine["n"], mine["docs"], mine["terms"]) == (full["lang"], full["n"], full["docs"], full["terms"])
        assert np.allclose(mine["total"], full["total"], atol=1e-4)
    assert running["lexical"]["avgdl"] == pytest.approx(recounted["lexical"]["avgdl"])


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


def _document(n: int) -> tuple[sq.Document, list[sq.Chunk], np.ndarray]:
    text = " ".join(f"ord{n}x{i} kunde strategi" for i in range(30))
    doc = sq.Document(doc_id=f"doc{n}", source=f"doc{n}.txt", title=f"doc {n}", lang="no", text=text, content_hash=f"h{n}")
    vectors = np.random.default_rng(n).normal(size=(3, 64)).astype(np.float32)
    return doc, [sq.Chunk(0, doc.doc_id, i, 0, len(text), text, "no", 100) for i in range(3)], \
        vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_connection_lost_during_a_write_is_an_outage_and_the_published_version_stays(pg_url):
    # A restart or failover drops the writer's connection mid-write: the job runner must see an outage (it runs the
    # job again), not the write's error (it would fail the job and drop the upload).
    store, settings = PostgresStore(pg_url), IndexSettings(embedder="hash:64", suggest=False)
    with store.writer(settings) as writer:
        writer.put(*_document(0))
        writer.commit()
    published = store.current()
    with pytest.raises(StoreUnavailable):
        with store.writer(settings) as writer:
            writer.put(*_document(1))
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                              " WHERE datname = current_database() AND pid <> pg_backend_pid()")
            writer.put(*_document(2))
            writer.commit()
    assert store.current() == published and sorted(d.doc_id for d in store.snapshot().documents()) == ["doc0"]
    with store.writer(settings) as writer:  # the next write, once the database answers again, publishes
        writer.put(*_document(1))
        writer.commit()
    assert sorted(d.doc_id for d in store.snapshot().documents()) == ["doc0", "doc1"]


def test_a_read_right_after_the_server_ended_its_connection_reconnects_instead_of_failing(pg_url):
    # A restart or `pg_terminate_backend` ends the connections the server holds; a read within a second of its last
    # one used to fail on it (a 503 at the web edge) instead of opening a new one.
    store = PostgresStore(pg_url)
    with store.writer(IndexSettings(embedder="hash:64", suggest=False)) as writer:
        writer.put(*_document(0))
        writer.commit()
    published = store.current()
    backend = store.db.connection().execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone():
            time.sleep(0.01)
    assert store.current() == published  # well within the idle check's second
    assert store.db.connection().execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"] != backend


def test_verify_of_an_unreachable_database_says_the_index_cannot_be_opened_not_damaged(pg_server, pg_url, tmp_path):
    # Exit 1 is a damaged index to whatever watches `verify` (a cron, a health check); an outage is exit 3.
    store = PostgresStore(pg_url)
    with store.writer(IndexSettings(embedder="hash:64", suggest=False)) as writer:
        writer.put(*_document(0))
        writer.commit()
    database = pg_url.split("?")[0].rsplit("/", 1)[1]
    verify = [sys.executable, "-m", "index", "--index-dir", str(tmp_path), "--database-url", pg_url, "verify"]
    assert subprocess.run(verify, cwd=ROOT, capture_output=True, text=True, timeout=120).returncode == 0
    allow_connections(pg_server.get_uri(), database, False)
    try:
        proc = subprocess.run(verify, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        allow_connections(pg_server.get_uri(), database, True)
    assert proc.returncode == 3 and "error: the index database cannot be reached" in proc.stderr, proc.stderr


def _published_with_limit(pg_url: str) -> PostgresStore:
    """A store whose statements run at most 1 s, with one document published."""
    store = PostgresStore(pg_url, statement_timeout=1.0)
    with store.writer(IndexSettings(embedder="hash:64", suggest=False)) as writer:
        writer.put(*_document(0))
        writer.commit()
    return store


def test_a_server_that_stops_answering_costs_a_read_its_deadline_not_a_thread_for_ever(pg_url):
    # A frozen server (SIGSTOP here; a partition without a reset, a hung host) keeps the socket open and never
    # answers: without a client deadline, a read waited for ever and held its request thread.
    store = _published_with_limit(pg_url)
    published = store.current()
    conn = store.db.connection()
    with pytest.raises(psycopg.errors.QueryCanceled):  # the server cancels a statement over the limit itself
        conn.execute("SELECT pg_sleep(3)")
    backend = store.db.connection().execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
    os.kill(backend, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.current()
        assert time.monotonic() - started < 30  # the deadline (1 s + the client's grace), not never
    finally:
        os.kill(backend, signal.SIGCONT)
    assert store.current() == published  # the next read opens a new connection


def test_a_read_a_lock_holds_past_its_time_limit_is_reported_busy_not_unreachable(pg_url):
    # Found by an attack: a table lock held by a long transaction made a read wait out its 30 s limit, and the
    # answer said the database "cannot be reached", while it answered all along.
    store = _published_with_limit(pg_url)
    published = store.current()
    with psycopg.connect(pg_url) as locker:  # a transaction, open until the block ends
        locker.execute("LOCK TABLE kb_versions IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreUnavailable, match="busy") as raised:
            store.current()
        assert "cannot be reached" not in str(raised.value)
    assert store.current() == published


def test_a_connection_attempt_to_a_frozen_server_leaves_no_backend_behind(pg_server, pg_url):
    # psycopg leaves a timed-out attempt's socket to its traceback's frames: the server, answering again, accepted
    # it, and it sat there as an idle backend until those frames were collected (minutes in a quiet worker).
    store = _published_with_limit(pg_url)
    store.db.close()  # the next read connects anew, to the frozen server

    def backends() -> int:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                 " AND pid <> pg_backend_pid()").fetchone()[0]

    before = backends()
    with frozen(pg_server), pytest.raises(StoreUnavailable):
        store.current()  # waits out the connection timeout
    time.sleep(1)  # the server, awake, accepts what was still connecting
    assert backends() == before
    assert store.current() is not None


# -- kill -9 of a writer at random moments --------------------------------------------------------------------

WRITE = r"""
import sys, numpy as np
from index.records import Chunk, Document
from index.records import IndexSettings
from index.stores.postgres import PostgresStore
url, n = sys.argv[1], int(sys.argv[2])
store = PostgresStore(url)
rng = np.random.default_rng(n)
with store.writer(IndexSettings(embedder="hash:64", suggest=False)) as writer:  # publishing is what is killed
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


def _kill_moments(rng: random.Random, rounds: int, whole: float, commit: float) -> list[tuple[bool, float]]:
    """When each round's kill lands: (after the commit began?, seconds after that or after the start).

    The first two are placed where the outcome is known (in the first half of the writes; well after the commit
    began), so a run of any size sees both outcomes; the rest are random, alternately anywhere and in the commit.
    """
    known = [(False, rng.uniform(0.0, whole / 2)), (True, 2.0 * commit)]
    return (known + [(True, rng.uniform(0.0, 1.5 * commit)) if n % 2 else (False, rng.uniform(0.0, whole + commit))
                     for n in range(rounds - 2)])


@pytest.mark.stress
def test_kill_9_of_a_writer_at_any_moment_leaves_the_old_or_the_new_version(pg_url, sized):
    store = PostgresStore(pg_url)
    assert _write(pg_url, 0).wait(120) == 0
    started = time.monotonic()
    timing = _write(pg_url, 1)
    assert timing.stdout.readline().strip() == "committing"
    committing = time.monotonic()
    assert timing.wait(120) == 0
    whole, commit = committing - started, time.monotonic() - committing
    outcomes = []
    # A writer process per kill (about 7 s each): 4 in `make test`, 12 in `make soak`.
    for n, (in_commit, delay) in enumerate(_kill_moments(random.Random(13), sized(4, 12), whole, commit), start=2):
        before = store.snapshot()
        old_round = before.document("doc0").title
        proc = _write(pg_url, n)
        if in_commit:
            proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert store.verify() == [], n
        after = store.snapshot(previous=before)
        titles = {d.title for d in after.documents()}
        assert titles in ({old_round}, {f"round {n}"}), (n, titles)
        found = [c for c, _ in after.dense(np.ones(64) / 8, 5)]
        assert after.n_chunks == 120 and len(found) == 5 and len(after.chunks_by_id(found)) == 5
        outcomes.append(titles == {f"round {n}"})
    assert any(outcomes) and not all(outcomes), outcomes  # kills landed both before and after the commit
