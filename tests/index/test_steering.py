"""Concept steering, the per-document cap of ungrouped results and the search's one encode, over the real seed index."""
from __future__ import annotations

import numpy as np
import pytest

from index.concepts import ConceptMatch, load_catalogue, lookup
from index.queryplan import plan_query
from index.ranking import _capped
from index.steering import steering_for


def test_named_concepts_add_their_labels_in_other_languages_only():
    catalogue = load_catalogue()
    named = ConceptMatch("customer-intimacy", "Kundennähe", "value-disciplines", 1.0, "exact")
    weak = ConceptMatch("customer-loyalty", "Kundenloyalität", "customer-loyalty", 0.5, "embedding")
    steering = steering_for([named, weak], catalogue, "de", min_score=0.85)
    assert steering.concepts == {"customer-intimacy": 1.0}
    assert "de" not in steering.terms  # the query's own language keeps the query's BM25
    assert "kundintimitet" in steering.terms["sv"] and "klantintimiteit" in steering.terms["nl"]
    assert all(len(word) >= 4 for words in steering.terms.values() for word in words)  # no "til", "de"
    assert steering_for([named], catalogue, "de", min_score=float("inf")).concepts == {}
    plan = {lang: terms for lang, terms, _ in plan_query("Kundennähe", "de", ["de", "sv"], extra_terms=steering.terms)}
    assert plan["de"] == next(terms for lang, terms, _ in plan_query("Kundennähe", "de", ["de", "sv"]) if lang == "de")
    assert "kundintimitet" in plan["sv"]


def test_cap_moves_a_documents_third_passage_after_the_others():
    docs = np.array([0, 0, 0, 1, 2, 1, 1])
    order = np.arange(7)
    assert _capped(order, docs, 2).tolist() == [0, 1, 3, 4, 5, 2, 6]
    assert _capped(order, docs, 1).tolist() == [0, 3, 4, 1, 2, 5, 6]


def test_ungrouped_results_cap_passages_per_document(kb):
    cap = kb.ranking.per_document
    for query in ("customers", "kunder og kundeopplevelser", "What is customer intimacy?"):
        seen: dict[str, int] = {}
        beyond = []
        for result in kb.search(query, k=20).results:
            beyond.append(seen.get(result.doc_id, 0) >= cap)
            seen[result.doc_id] = seen.get(result.doc_id, 0) + 1
        # Once a passage beyond its document's cap appears, every later one is beyond its document's cap too.
        assert beyond == sorted(beyond), query
    grouped = kb.search("customers", k=10, group=True).results
    assert len({r.doc_id for r in grouped}) == len(grouped)


@pytest.mark.parametrize("query", ["Kundennähe", "kunderejse", "lock-on vs lock-in", "What is customer intimacy?"])
def test_a_search_encodes_the_query_once(kb, monkeypatch, query):
    embedder = kb.embedder
    calls = []
    encode = embedder.embed_queries
    monkeypatch.setattr(embedder, "embed_queries", lambda texts: calls.append(texts) or encode(texts))
    kb.search(f"{query} once")
    assert len(calls) == 1


def test_lookup_uses_a_given_query_vector(kb):
    state = kb._state
    vector = kb.embedder.embed_queries(["how loyal are the customers"])[0]
    given = lookup(state.concept_index, "how loyal are the customers", k=3, query_vector=vector)
    assert given == lookup(state.concept_index, "how loyal are the customers", k=3, embedder=kb.embedder)
