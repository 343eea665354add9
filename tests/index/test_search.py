"""Cross-language search over the real seed index with the real e5 model."""
from __future__ import annotations

import json

import pytest

from index.__main__ import main as index_main
from index.errors import InvalidQuery

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
    grouped = kb.search("customers", group=True, k=10).results
    assert len({r.doc_id for r in grouped}) == len(grouped) == 5


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
