"""The translated evaluation corpora (eval/corpus-*/) are consistent: every query's documents exist, in the
languages the corpus claims, and a development and a test split both exist."""
from __future__ import annotations

from collections import Counter

import pytest

from eval.build_corpus import sections
from eval.corpora import corpora, describe, doc_langs, query_sets
from eval.harness import read_jsonl
from index.language import detect

CORPORA = corpora()


def test_both_splits_exist_in_product_languages() -> None:
    splits = {describe(folder)["split"] for folder in CORPORA.values()}
    assert {"dev", "test"} <= splits
    for split in ("dev", "test"):
        langs = set().union(*(describe(f)["langs"] for f in CORPORA.values() if describe(f)["split"] == split))
        assert len(langs & {"no", "sv", "nl", "da", "de", "en"}) >= 4, split


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_corpus_is_consistent(name: str) -> None:
    folder = CORPORA[name]
    about, langs = describe(folder), doc_langs(folder)
    files = {p.name for p in (folder / "docs").glob("*.txt")}
    assert set(langs) == files
    assert Counter(langs.values()) == {lang: about["sections"] for lang in about["langs"]}
    sets = query_sets(folder)
    assert set(sets) == {"title", "sentence"}
    for path in sets.values():
        queries = read_jsonl(path)
        assert len(queries) == about["sections"] * len(about["langs"])
        for q in queries:
            assert q["query"].strip()
            (own,) = q["exclude"]
            assert langs[own] == q["lang"]
            # The relevant documents are the same section in every other language, one each.
            assert sorted(langs[d] for d in q["docs"]) == sorted(set(about["langs"]) - {q["lang"]})
            assert {d.split(".")[0] for d in q["docs"]} == {own.split(".")[0]}


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_documents_are_in_their_language(name: str) -> None:
    folder = CORPORA[name]
    for doc, lang in sorted(doc_langs(folder).items())[::7]:  # a spread sample keeps the test quick
        assert detect((folder / "docs" / doc).read_text(encoding="utf-8")) == lang, doc


def test_sections_reads_both_docbook_styles(tmp_path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<h2 class="title"><a name="one"></a>1.2. Partitioning</h2><p>First <code>fdisk</code> paragraph.</p>'
        '<pre>skipped</pre><h3 class="title"><a id="two"></a>1.3. Booting</h3>'
        '<div class="para">Outer <div class="note">kept</div> text.</div><ul><li>An item.</li></ul>', encoding="utf-8")
    found = sections([page])
    assert found == {"one": {"title": "Partitioning", "text": "First fdisk paragraph."},
                     "two": {"title": "Booting", "text": "Outer kept text.\n\nAn item."}}


def test_compare_lists_every_language_pair_that_got_worse() -> None:
    from eval.corpora import compare

    cell = {"doc_recall": 1.0, "doc_mrr": 0.5, "passage_recall": 1.0}
    row = {"doc_recall": 1.0, "doc_mrr": 0.5, "passage_recall": 1.0, "hit@3": 1.0, "distinct_docs": 5.0,
           "pairs": {"sv": {"da": cell, "en": cell}}}
    before = {"install": {"title": {"hybrid": row}}}
    after = {"install": {"title": {"hybrid": {**row, "doc_mrr": 0.4, "pairs": {"sv": {"da": {**cell, "doc_mrr": 0.3}, "en": cell}}}}}}
    assert "No language pair is worse" in compare(before, before)
    text = compare(after, before)
    assert "| install / title | hybrid | +0.000 | -0.100 |" in text
    assert "- install / title / hybrid: sv -> da: doc_mrr -0.200" in text and "sv -> en" not in text


def test_filtered_pair_numbers_get_their_own_table_and_are_compared() -> None:
    from eval.corpora import aggregate, compare, report

    def query(mrr: float) -> dict:
        return {"lang": "sv", "doc_recall": 1.0, "doc_mrr": 0.5, "passage_recall": 1.0, "hit@3": 1.0,
                "distinct_docs": 5.0, "wrong": 1, "wrong_own": 0,
                "pairs": {"da": {"doc_recall": 1.0, "doc_mrr": 0.5, "passage_recall": 1.0,
                                 "filtered_recall": 1.0, "filtered_mrr": mrr}}}

    before, after = aggregate([query(1.0), query(1.0)]), aggregate([query(1.0), query(0.5)])
    assert after["pairs"]["sv"]["da"]["filtered_mrr"] == 0.75
    text = report("install / title queries", {"hybrid": after}, {"a.da.txt": "da", "b.sv.txt": "sv"}, 10)
    assert "language filter" in text and "| sv | hybrid | 1.00 / 0.75 | - |" in text
    changes = compare({"install": {"title": {"hybrid": after}}}, {"install": {"title": {"hybrid": before}}})
    assert "sv -> da: filtered_mrr -0.250" in changes
