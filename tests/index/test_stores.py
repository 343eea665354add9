"""The store battery: every implementation of the store protocol (index/protocols.py) passes the same tests.

Small synthetic documents with the deterministic `hash:64` embedder's dimension; the embedded store in a
temporary folder, the PostgreSQL store in a fresh database of the session's real PostgreSQL server.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from index import suggestions
from index.concepts import import_skos, load_catalogue, to_turtle
from index.concepts.edit import ADD, REMOVE, REPLACE, ConceptChange, add_concept, check_change
from index.errors import IndexBusy, IndexNotFound, InvalidQuery, SuggestionDecided
from index.queryplan import QueryPlan, plan_query
from index.records import Chunk, Document, text_hash
from index.segments import merge
from index.stores import IndexSettings
from tests.configs import store_for

SETTINGS = IndexSettings(embedder="hash:64")
TEXTS = {
    "no": "Kundelojalitet bygges over tid. En lojal kunde kommer tilbake fordi opplevelsen er god, ikke fordi "
          "det er vanskelig å bytte leverandør. Strategien handler om tillit.",
    "sv": "Filerna visar att kunderna stannar när tjänsten är bra. Lojalitet är en följd av förtroende, inte "
          "av inlåsning. Strategin bygger på kundens upplevelse.",
    "nl": "Klantloyaliteit groeit wanneer bedrijven hun klanten serieus nemen. De klantreis begint bij "
          "vertrouwen en een goede ervaring met de dienstverlening.",
}


@pytest.fixture(params=["embedded", "postgres"])
def store(request, tmp_path):
    if request.param == "postgres":
        return store_for(tmp_path / "index", database_url=request.getfixturevalue("pg_url"))
    return store_for(tmp_path / "index")


def document(n: int, lang: str, chunks: int = 3, source: str | None = None) -> tuple[Document, list[Chunk], np.ndarray]:
    """Document `n`: `chunks` passages of one language, with unit vectors that depend only on n and position."""
    parts = [f"{TEXTS[lang]} Avsnitt {n}-{i} zq{n}x{i}." for i in range(chunks)]
    text = "\n\n".join(parts)
    out, start = [], 0
    for i, part in enumerate(parts):
        out.append(Chunk(0, f"doc{n}", i, start, start + len(part), part, lang, len(part.split())))
        start += len(part) + 2
    rng = np.random.default_rng(n)
    vectors = rng.normal(size=(chunks, 64)).astype(np.float32)
    doc = Document(doc_id=f"doc{n}", source=source or f"doc{n}.txt", title=f"Dokument {n}", lang=lang, text=text,
                   content_hash=f"hash{n}")
    return doc, out, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def publish(store, *docs, delete=(), rebuild=False, settings=SETTINGS):
    with store.writer(settings, rebuild=rebuild) as writer:
        for doc in docs:
            writer.put(*doc)
        for doc_id in delete:
            writer.delete(doc_id)
        return writer.commit()


def plan(snap, query: str, lang: str):
    """The query plan ranking hands the store, over the snapshot's languages."""
    return plan_query(query, lang, snap.chunk_languages())


def test_nothing_published_is_not_found_and_a_write_without_change_publishes_nothing(store):
    assert store.current() is None
    with pytest.raises(IndexNotFound):
        store.snapshot()
    with store.writer(SETTINGS) as writer:
        assert writer.base_version is None and writer.counts() == {"documents": 0, "chunks": 0}
        assert writer.commit() is None
    assert store.current() is None


def test_a_published_version_holds_what_was_written(store):
    langs = ["no", "sv", "nl", "no", "sv"]
    published = publish(store, *(document(n, lang) for n, lang in enumerate(langs)))
    assert (published.documents, published.chunks) == (5, 15)
    assert store.current() == published.version and store.verify() == []
    snap = store.snapshot()
    assert (snap.version, snap.n_documents, snap.n_chunks, snap.dim) == (published.version, 5, 15, 64)
    assert snap.chunk_languages() == {"nl": 3, "no": 6, "sv": 6}
    assert snap.document_languages() == {"nl": 1, "no": 2, "sv": 2}
    assert [d.doc_id for d in snap.documents()] == [f"doc{n}" for n in range(5)]  # by source
    doc = snap.document("doc1")
    assert doc.text == document(1, "sv")[0].text and snap.document("nope") is None
    chunks = snap.chunks_of("doc1")
    assert [c.ord for c in chunks] == [0, 1, 2] and all(doc.text[c.start:c.end] == c.text for c in chunks)
    assert [snap.chunk_at("doc1", c.ord) for c in chunks] == chunks  # one passage read alone, as a pack reads it
    assert snap.chunk_at("doc1", 3) is None and snap.chunk_at("nope", 0) is None
    ids = [c.chunk_id for c in chunks]
    assert set(snap.chunks_by_id(ids)) == set(ids)
    assert np.allclose(snap.vectors(ids[::-1]), document(1, "sv")[2][::-1], atol=1e-6)
    passages = snap.passages(ids + [10**9])
    assert set(passages) == set(ids)
    assert [(passages[i].prev, passages[i].next) for i in ids] == [(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])]
    assert all(p.doc_id == "doc1" and p.lang == "sv" and 0 <= p.content <= 1 for p in passages.values())
    assert snap.chunk_counts() == {f"doc{n}": 3 for n in range(5)}
    assert snap.document_heads(["doc2"])["doc2"].title == "Dokument 2"
    assert snap.duplicate_of("hash3", "none") == "doc3" and snap.duplicate_of("x", "y") is None
    states = snap.document_states()
    assert states["doc4.txt"].doc_id == "doc4" and states["doc4.txt"].content_hash == "hash4"
    assert "kunderna" in snap.words_by_lang["sv"] and "kunderna" not in snap.words_by_lang["no"]


def test_lexical_scores_follow_bm25_per_language(store):
    publish(store, *(document(n, lang) for n, lang in enumerate(["no", "sv", "nl", "no"])))
    snap = store.snapshot()
    marked = snap.chunks_of("doc3")[1].chunk_id
    top = snap.lexical_top(plan(snap, "zq3x1", "no"), 5)
    assert list(top)[:1] == [marked] and all(0 < s <= 1 for s in top.values())
    # Same-language passages match every term; other languages only the longer words.
    same = snap.lexical_of(plan(snap, "er", "no"), [c.chunk_id for c in snap.chunks_of("doc0")])
    assert all(s > 0 for s in same.values())
    other = snap.lexical_of(plan(snap, "er", "sv"), [c.chunk_id for c in snap.chunks_of("doc0")])
    assert all(s == 0 for s in other.values())
    ids = [c.chunk_id for c in snap.chunks_of("doc1")]
    assert set(snap.lexical_of(plan(snap, "kunderna", "sv"), ids)) == set(ids)


def test_lexical_scores_honour_term_weights(store):
    publish(store, *(document(n, lang) for n, lang in enumerate(["no", "sv", "nl"])))
    snap = store.snapshot()
    ids = [c.chunk_id for c in snap.chunks_of("doc1")]
    assert snap.term_languages(["zq1x1", "nope"]) == {"zq1x1": {"sv": 1}, "nope": {}}
    full = snap.lexical_of(QueryPlan((("sv", ("zq1x1", "zq1x2"), (1.0, 1.0)),)), ids)
    light = snap.lexical_of(QueryPlan((("sv", ("zq1x1", "zq1x2"), (1.0, 0.25)),)), ids)
    # Two terms of equal idf: the scale shrinks from 2 to 1.25 units, the lighter term's match counts a quarter.
    assert light[ids[1]] == pytest.approx(full[ids[1]] * 2 / 1.25, rel=1e-5)
    assert light[ids[2]] == pytest.approx(full[ids[2]] * 0.25 * 2 / 1.25, rel=1e-5)
    assert light[ids[0]] == full[ids[0]] == 0


def test_dense_returns_the_nearest_centred_passages(store):
    publish(store, *(document(n, lang) for n, lang in enumerate(["no", "sv", "nl", "no", "sv", "nl"])))
    snap = store.snapshot()
    ids = [c.chunk_id for d in snap.documents() for c in snap.chunks_of(d.doc_id)]
    langs = [p.lang for p in (snap.passages(ids)[i] for i in ids)]
    raw = snap.vectors(ids)
    centred = raw - snap.centring.table[snap.centring.rows(langs)]
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    q = centred[4]
    found = snap.dense(q, 5)
    assert [c for c, _ in found][0] == ids[4] and found[0][1] == pytest.approx(1.0, abs=1e-4)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    centroids, raw_centroids = snap.doc_centroids(["doc1", "missing", "doc0"])
    assert centroids.shape == raw_centroids.shape == (3, 64)
    unit = lambda v: v / np.linalg.norm(v)
    # A document's centroid: the normalised sum of its passages (ids are in document order, 3 per document).
    assert np.allclose(centroids[0], unit(centred[3:6].sum(axis=0)), atol=1e-5)
    assert np.allclose(centroids[2], unit(centred[0:3].sum(axis=0)), atol=1e-5)
    assert np.allclose(raw_centroids[2], unit(raw[0:3].sum(axis=0)), atol=1e-5)
    assert not centroids[1].any()


def test_merging_keeps_every_document_and_answer(store, monkeypatch):
    monkeypatch.setattr(merge, "INLINE_MERGE_ROWS", 0)  # writes leave their segments for `merge`
    for n in range(12):
        doc, chunks, vectors = document(n, ["no", "sv", "nl"][n % 3])
        publish(store, (dataclasses.replace(doc, code=[(0, 12), (40, 52)] if n % 2 else []), chunks, vectors))
    publish(store, delete=["doc4"])
    before = store.snapshot()
    assert before.document("doc7").code == [(0, 12), (40, 52)] and before.document("doc6").code == []
    assert before.document_heads(["doc7"])["doc7"].code == ((0, 12), (40, 52))
    target = before.chunks_of("doc7")[0].chunk_id
    q = before.vectors([target])[0] - before.centring.table[before.centring.rows(["sv"])][0]
    expected = (before.documents(), before.lexical_top(plan(before, "zq7x1", "sv"), 5), target)
    with store.writer(SETTINGS) as writer:
        merged = writer.merge()
    after = store.snapshot()
    # Dense scores of segments written under an older language correction are approximate (ranking rescores
    # its candidates exactly), so only the nearest passage is compared.
    assert (after.documents(), after.lexical_top(plan(after, "zq7x1", "sv"), 5), after.dense(q / np.linalg.norm(q), 1)[0][0]) == expected
    assert before.dense(q / np.linalg.norm(q), 1)[0][0] == target
    if store.__class__.__name__ == "EmbeddedStore":
        assert merged and len(after.manifest["segments"]) < len(before.manifest["segments"])
    with store.writer(SETTINGS) as writer:
        assert writer.merge() == []


def test_replace_delete_and_old_snapshots(store):
    first = publish(store, document(1, "no"), document(2, "sv"))
    old = store.snapshot()
    with store.writer(SETTINGS) as writer:
        assert writer.base_version == first.version
        assert writer.duplicate_of("hash2", "x") == "doc2"
        assert writer.known_documents()["doc1.txt"] == ("doc1", "hash1")
        assert writer.counts_of("doc1") == 3 and writer.document("doc1").title == "Dokument 1"
        _, chunks, vectors = document(1, "no")
        cached = writer.cached_vectors([text_hash(c.text) for c in chunks] + ["unknown"])
        assert set(cached) == {text_hash(c.text) for c in chunks}
        assert np.allclose(cached[text_hash(chunks[2].text)], vectors[2], atol=1e-6)
        writer.put(*document(3, "nl", chunks=2, source="doc1.txt"))  # same source: replaces doc1
        assert writer.delete("doc2") and not writer.delete("doc2")
        assert writer.counts() == {"documents": 1, "chunks": 2}
        second = writer.commit()
    new = store.snapshot(previous=old)
    # A store may publish more versions of the same content after a commit (a background merge).
    assert new.version == store.current() >= second.version != old.version and store.verify() == []
    assert [d.doc_id for d in new.documents()] == ["doc3"] and new.document("doc1") is None
    assert new.chunk_at("doc2", 0) is None and old.chunk_at("doc2", 0) == old.chunks_of("doc2")[0]  # a deleted one
    assert [d.doc_id for d in old.documents()] == ["doc1", "doc2"]  # the old version is still whole
    assert len(old.chunks_of("doc2")) == 3 and old.document("doc2") is not None
    assert store.snapshot(previous=new).version == new.version


def test_one_writer_at_a_time_and_a_rebuild_starts_empty(store):
    publish(store, document(1, "no"))
    with store.writer(SETTINGS):
        with pytest.raises(IndexBusy):
            with store.writer(SETTINGS, lock_timeout=0.3):
                pass
    published = publish(store, document(2, "sv"), rebuild=True)
    assert (published.documents, published.chunks) == (1, 3)
    assert [d.doc_id for d in store.snapshot().documents()] == ["doc2"]


# Slow: dozens of publishes and merges, then every passage read back, on each store.
def test_after_many_small_writes_deletes_and_merges_every_passage_reads_back(store):
    # Sources sort opposite to arrival, so a merge that ordered rows by source would scramble the ids (issue 18).
    langs = ["no", "sv", "nl"]
    for n in range(36):
        publish(store, document(n, langs[n % 3], chunks=1 + n % 2, source=f"z{999 - n:04d}.txt"))
        if n % 7 == 6:
            publish(store, delete=[f"doc{n - 3}"])
    with store.writer(SETTINGS) as writer:
        writer.merge()
    publish(store, document(99, "sv", source="a.txt"))
    snap = store.snapshot()
    assert store.verify() == []
    live = [d.doc_id for d in snap.documents()]
    assert len(live) == 37 - 5 and "doc3" not in live and "doc99" in live
    ids = {c.chunk_id: d for d in live for c in snap.chunks_of(d)}
    for order in (sorted(ids), sorted(ids, reverse=True), list(ids)[::3]):  # answers must not depend on the order asked
        assert {i: c.doc_id for i, c in snap.chunks_by_id(order).items()} == {i: ids[i] for i in order}
        assert {i: p.doc_id for i, p in snap.passages(order).items()} == {i: ids[i] for i in order}
        assert np.all(np.linalg.norm(snap.vectors(order), axis=1) > 0)
    for n in (0, 17, 35):
        if f"doc{n}" in live:
            top = snap.lexical_top(plan(snap, f"zq{n}x0", langs[n % 3]), 3)
            assert ids[next(iter(top))] == f"doc{n}"


def test_the_embedded_store_keeps_label_vectors_in_the_cache_folder_it_is_handed(tmp_path):
    store = store_for(tmp_path / "index", cache_dir=tmp_path / "machine-cache")
    # Without suggestions, which would build the dictionary lexicons in the new folder too (10 s).
    publish(store, document(0, "sv"), settings=dataclasses.replace(SETTINGS, suggest=False))
    assert len(list((tmp_path / "machine-cache").glob("concepts-*.npz"))) == 1
    assert not (tmp_path / "index" / "cache").exists()


# -- the catalogue, suggested concepts and decisions: data of the index in every store -------------------------

PORTAL = {"id": "quality-portal", "labels": {"en": "Quality portal", "no": "Kvalitetsportal"},
          "aliases": {"no": ["Kvalitetsportalen"]},
          "definitions": {"en": "Where a supplier publishes how well its service runs."}, "broader": None,
          "related": [], "contrasts": []}
# A document whose repeated compound is characteristic of it: what suggesting picks out.
PORTAL_TEXT = ("Kvalitetsportalen viser leveransetid og svartid. Kvalitetsportalen oppdateres hver uke, og "
               "kundene leser kvalitetsportalen før de fornyer avtalen. Leveransetiden i kvalitetsportalen er lav.")


def portal_document(n: int) -> tuple[Document, list[Chunk], np.ndarray]:
    doc, _, vectors = document(n, "no", chunks=1)
    chunk = Chunk(0, doc.doc_id, 0, 0, len(PORTAL_TEXT), PORTAL_TEXT, "no", len(PORTAL_TEXT.split()))
    return Document(doc.doc_id, doc.source, doc.title, "no", PORTAL_TEXT, f"portal{n}"), [chunk], vectors


def change_catalogue(store, change: ConceptChange):
    with store.writer(SETTINGS) as writer:
        assert writer.set_catalogue(check_change(writer.catalogue(), change))
        return writer.commit()


def test_concepts_are_added_edited_and_removed_through_the_writer_and_versioned(store):
    publish(store, *(document(n, lang) for n, lang in enumerate(["no", "sv", "nl"])), portal_document(3))
    shipped = store.snapshot()
    assert shipped.catalogue().digest == load_catalogue().digest and "quality-portal" not in shipped.catalogue()
    added = change_catalogue(store, ConceptChange(ADD, PORTAL["id"], PORTAL))
    snap = store.snapshot()
    assert snap.version == added.version and snap.catalogue().get("quality-portal").labels["no"] == "Kvalitetsportal"
    assert "quality-portal" in snap.concept_counts()  # grounded in the portal document
    with store.writer(SETTINGS) as writer:  # the same catalogue again changes nothing
        assert not writer.set_catalogue(writer.catalogue()) and writer.commit() is None
    edited = {**PORTAL, "labels": {**PORTAL["labels"], "en": "Service quality portal"}}
    change_catalogue(store, ConceptChange(REPLACE, PORTAL["id"], edited))
    assert store.snapshot().catalogue().get("quality-portal").labels["en"] == "Service quality portal"
    publish(store, document(4, "sv"))  # a later write carries the catalogue forward
    assert store.snapshot().catalogue().get("quality-portal").labels["en"] == "Service quality portal"
    change_catalogue(store, ConceptChange(REMOVE, PORTAL["id"], None))
    last = store.snapshot()
    assert "quality-portal" not in last.catalogue() and "quality-portal" not in last.concept_counts()
    assert snap.catalogue().get("quality-portal")  # an older snapshot keeps serving its own version's
    assert store.verify() == []


def test_a_skos_import_is_published_and_exported_as_the_same_graph(store):
    publish(store, document(0, "no"))
    vocabulary = add_concept(load_catalogue(), PORTAL)
    imported = import_skos(to_turtle(vocabulary), "turtle")
    change_catalogue_to(store, imported)
    served = store.snapshot().catalogue()
    assert served.digest == imported.digest
    assert isomorphic(Graph().parse(data=to_turtle(served), format="turtle"),
                      Graph().parse(data=to_turtle(vocabulary), format="turtle"))


def change_catalogue_to(store, catalogue):
    with store.writer(SETTINGS) as writer:
        assert writer.set_catalogue(catalogue)
        return writer.commit()


def test_suggestions_follow_the_documents_and_decisions_outlive_versions(store):
    publish(store, *(document(n, lang) for n, lang in enumerate(["no", "sv", "nl", "no"])), portal_document(4))
    found = store.snapshot().suggestions()
    portal = [s for s in found if any("kvalitetsportal" in label.casefold() for label in s["labels"].values())]
    assert portal and portal[0]["documents"][0]["doc_id"] == "doc4", [s["labels"] for s in found]
    # Grounded in whole sentences, the best first: what accepting drafts the definition from.
    assert all(p["text"] in p["sentence"] and p["sentence"] in PORTAL_TEXT for p in portal[0]["passages"])
    assert portal[0]["definitions"]["no"] == portal[0]["passages"][0]["sentence"]
    decision = store.decide(portal[0], "dismissed")
    assert decision["status"] == "dismissed" and store.decisions()[portal[0]["id"]] == decision
    publish(store, document(5, "sv"))  # a later write carries suggestions over and keeps the decision
    later = store.snapshot().suggestions()
    assert portal[0]["id"] in {s["id"] for s in later}
    assert suggestions.pending(later, store.decisions()) == [s for s in later if s["id"] != portal[0]["id"]]
    publish(store, delete=["doc4"])  # a document gone takes its suggestions with it
    assert portal[0]["id"] not in {s["id"] for s in store.snapshot().suggestions()}
    assert store.decisions()[portal[0]["id"]]["status"] == "dismissed"
    with pytest.raises(InvalidQuery):
        store.decide(portal[0], "maybe")


def test_a_dismissal_never_replaces_an_acceptance_and_a_second_one_is_the_first(store):
    # Decided in the write that records it: a dismissal checked just before an accept's job recorded it is refused.
    one, two = ({"id": f"s-{n}", "terms": [{"ref": f"no:term{n}"}]} for n in (1, 2))
    accepted = store.decide(one, "accepted", "term-one")
    with pytest.raises(SuggestionDecided, match="accepted already as concept 'term-one'"):
        store.decide(one, "dismissed")
    assert store.decisions()["s-1"] == accepted
    first = store.decide(two, "dismissed")
    assert store.decide(two, "dismissed") == first == store.decisions()["s-2"]
    # An acceptance is its job's record of the concept it published: recorded whatever came before.
    assert store.decide(two, "accepted", "term-two")["concept_id"] == "term-two" == store.decisions()["s-2"]["concept_id"]


def test_collected_versions_keep_what_the_served_one_names(store):
    keep2 = dataclasses.replace(SETTINGS, keep=2)
    with store.writer(keep2) as writer:
        writer.put(*portal_document(0))
        writer.set_catalogue(add_concept(load_catalogue(), PORTAL))
        writer.commit()
    first = store.snapshot().suggestions()
    for n in range(1, 5):  # older versions are collected; the catalogue and suggestions they share are kept
        with store.writer(keep2) as writer:
            writer.put(*document(n, "sv"))
            writer.commit()
    snap = store.snapshot()
    assert "quality-portal" in snap.catalogue() and first and {s["id"] for s in first} <= {s["id"] for s in snap.suggestions()}
    assert store.verify() == [] and snap.n_documents == 5
