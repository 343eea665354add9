"""Cross-language search over the real seed index with the real e5 model."""
from __future__ import annotations

import json
import shutil

import pytest

from ingest.pipeline import ingest
from index.__main__ import main as index_main
from index.content import content_prior
from index.errors import InvalidQuery
from index.service import KnowledgeBase
from tests.conftest import SEEDS

SWEDISH = "002_2866088025c4b51b.txt"
DUTCH = "004_d0c1bd57fb5bdf5c.txt"
RESULT_FIELDS = {"source", "doc_id", "title", "lang", "chunk_id", "text", "score"}


def test_value_disciplines_find_the_swedish_article(kb):
    top = kb.search("What are the three value disciplines?").results[0]
    assert top.source == SWEDISH and top.lang == "sv"


def test_lock_on_finds_the_dutch_article(kb):
    top = kb.search("customer lock-on").results[0]
    assert top.source == DUTCH and top.lang == "nl"


@pytest.mark.parametrize("query, source", [
    ("Wie sollte man Kundentreue messen und gewinnen?", "003_6fe408ee2d0752fd.txt"),
    ("Disney a facturé plus cher les films numériques", "000_9d0087e6402345a6.txt"),
    ("British Airways should warn me when a flight is delayed", DUTCH),
])
def test_other_query_languages_and_names(kb, query, source):
    assert source in [r.source for r in kb.search(query, k=3).results]


def test_modes_filters_and_grouping(kb):
    for mode in ("hybrid", "dense", "lexical"):
        response = kb.search("kundintimitet", mode=mode, k=5)
        assert response.mode == mode and response.results
    only_dutch = kb.search("customer loyalty", lang="nl", k=5).results
    assert only_dutch and {r.lang for r in only_dutch} == {"nl"}
    grouped = kb.search("customers", group=True, k=10)
    assert len({r.doc_id for r in grouped.results}) == len(grouped.results) == 5 - grouped.dropped


def test_results_carry_highlight_inside_the_chunk(kb):
    for result in kb.search("Chatbots und algorithmische Empfehlungen im Kundenservice", k=5).results:
        h = result.highlight
        assert result.text[h["start"] : h["end"]] == h["sentence"] and h["sentence"]
    top = kb.search("Disney pricing", k=1).results[0]
    assert "Disney" in top.highlight["sentence"]


@pytest.mark.parametrize("kwargs", [
    {"query": ""}, {"query": "   "}, {"query": "x" * 1001}, {"query": "ok", "k": 0}, {"query": "ok", "k": 51},
    {"query": "ok", "mode": "fuzzy"}, {"query": "ok", "lang": "klingon"}, {"query": "ok", "lang": "zz"},
])
def test_invalid_parameters_are_domain_errors(kb, kwargs):
    with pytest.raises(InvalidQuery):
        kb.search(**kwargs)


def test_cli_json_has_the_api_result_shape(seed_index, capsys):
    assert index_main(["--index-dir", str(seed_index), "search", "customer lock-on", "--json", "-k", "3"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["query"] == "customer lock-on" and len(payload["results"]) == 3
    assert RESULT_FIELDS <= set(payload["results"][0])
    assert payload["results"][0]["source"] == DUTCH


def test_cli_text_output_and_errors(seed_index, tmp_path, capsys):
    assert index_main(["--index-dir", str(seed_index), "search", "värdediscipliner", "-k", "2"]) == 0
    assert "002_2866088025c4b51b.txt" in capsys.readouterr().out
    assert index_main(["--index-dir", str(tmp_path / "none"), "search", "x"]) == 3
    assert index_main(["--index-dir", str(seed_index), "search", "x", "-k", "99"]) == 1
    err = capsys.readouterr().err
    assert "no index" in err and "k must be between" in err and "Traceback" not in err


FILLER_QUERIES = ["product leadership", "fidélité client", "kundeloyalitet", "customer lock-on"]


@pytest.mark.parametrize("query", FILLER_QUERIES)
def test_headings_and_calls_to_action_are_not_first(kb, query):
    top = kb.search(query, k=1).results[0]
    assert content_prior(top.text) >= 0.5, top.text
    assert not top.text.startswith(("LEST OM LEDELSE", "Vil du lære mer?", "Kanskje du også"))


def test_german_question_finds_a_lock_on_passage(kb):
    results = kb.search("Wie bindet man Kunden freiwillig?", k=4).results
    assert DUTCH in [r.source for r in results]


def test_content_prior_ranks_running_text_above_filler():
    running = ("Kundintimitet är ett av tre kärnelement i värdedisciplinmodellen, som utvecklades i början av "
               "1990-talet av Michael Treacy och Fred Wiersema.")
    for filler in ("LEST OM LEDELSE.", "Vil du lære mer? Ta kontakt med meg!", "Home | About us | Contact | Blog",
                   "Copyright © 2024 Nordic Business Media AS. All rights reserved.",
                   "Av: Peter Thomasson, Advisory Business Solutions Manager, SAS Institute"):
        assert content_prior(filler) < 0.3 < 0.9 <= content_prior(running), filler


def test_threshold_drops_weak_results_and_says_how_many(seed_index):
    everything = KnowledgeBase(seed_index, min_score=-1.0, min_score_ratio=0.0).search("customer lock-on", k=10)
    assert everything.dropped == 0 and len(everything.results) == 10
    cut = sorted(r.score for r in everything.results)[4]
    strict = KnowledgeBase(seed_index, min_score=cut, min_score_ratio=0.0).search("customer lock-on", k=10)
    assert [r.chunk_id for r in strict.results] == [r.chunk_id for r in everything.results][: len(strict.results)]
    assert strict.dropped == 10 - len(strict.results) >= 4 and all(r.score >= cut for r in strict.results)
    nothing = KnowledgeBase(seed_index, min_score=10.0).search("customer lock-on", k=5)
    assert nothing.results == [] and nothing.dropped == 5
    relative = KnowledgeBase(seed_index, min_score=-1.0, min_score_ratio=0.9).search("customer lock-on", k=10)
    best = everything.results[0].score
    assert relative.results and all(r.score >= 0.9 * best for r in relative.results)
    assert relative.dropped == 10 - len(relative.results) and relative.min_score == pytest.approx(0.9 * best, abs=1e-3)


def test_off_topic_documents_stay_out_of_the_top(seed_index, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "zz_copyright.txt").write_text(
        "Copyright © 2024 Nordic Business Media AS. All rights reserved.\nNo part of this publication may be "
        "reproduced, distributed, or transmitted in any form without the prior written permission of the publisher.\n")
    (corpus / "zz_recipe.txt").write_text(
        "Chocolate cake\nPreheat the oven to 180 degrees. Melt 200 g of dark chocolate with 150 g of butter, "
        "whisk four eggs with sugar, fold in the chocolate and a little flour, and bake for 25 minutes.\n")
    shutil.copytree(seed_index, tmp_path / "index")
    ingest([corpus], tmp_path / "index", progress=False)
    kb = KnowledgeBase(tmp_path / "index")
    results = kb.search("customer lock-on", k=10).results
    # Known gap: lone English off-topic files (a copyright notice, a recipe) still show below the
    # answer for an English query, their language shared with it; the threshold cuts the tail.
    assert results[0].source == DUTCH and len(results) <= 5
    cake = kb.search("chocolate cake recipe", k=3).results
    assert cake and cake[0].source == "zz_recipe.txt"


def test_group_returns_one_best_passage_per_document_in_score_order(seed_index):
    kb = KnowledgeBase(seed_index, min_score=-1.0, min_score_ratio=0.0)
    grouped = kb.search("customer loyalty", group=True, k=10)
    passages = kb.search("customer loyalty", k=50).results
    assert grouped.group and len({r.doc_id for r in grouped.results}) == len(grouped.results) == 5
    best = {}
    for r in passages:
        best.setdefault(r.doc_id, r)
    assert [r.chunk_id for r in grouped.results] == [best[r.doc_id].chunk_id for r in grouped.results]
    scores = [r.score for r in grouped.results]
    assert scores == sorted(scores, reverse=True)
