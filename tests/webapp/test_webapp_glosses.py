"""Glosses over HTTP: search results, documents and word look-ups, every answer checked against /openapi.json."""
from __future__ import annotations

from urllib.parse import quote

import pytest


@pytest.mark.parametrize("reader", ["en", "de", "fr"])
def test_search_results_carry_glosses_in_the_readers_language(api, app, reader):
    _, body = api(f"/api/search?q={quote('What are the three value disciplines?')}&k=5&glosses={reader}", 200)
    catalogue = app.extensions["kb"].get()._state.catalogue
    assert all("glosses" in r for r in body["results"])
    for result in body["results"]:
        for g in result["glosses"]:
            assert result["text"][g["start"]:g["end"]] == g["term"]
            if g["source"].startswith("concept:"):
                # The reader's label; for English, the English name (label or alias) that translates the term best,
                # or the label and the head of a compound that holds it (verdidisiplinmodellen: Value disciplines
                # model).
                concept = catalogue.get(g["source"].split(":", 1)[1])
                names = [concept.labels["en"], *concept.aliases.get("en", ())] if reader == "en" else \
                    [concept.labels[reader]]
                assert g["lang"] == reader
                assert g["gloss"] in names or reader == "en" and g["gloss"].startswith(f"{concept.labels['en']} ")
            else:
                assert g["lang"] == "en"  # dictionary glosses are English for every reader: a UI can say so
            assert isinstance(g["senses"], list)
    first = body["results"][0]
    assert any(g["source"].startswith("freedict:") for g in first["glosses"])
    assert any(g["source"].startswith("concept:") for g in first["glosses"])


def test_search_without_glosses_has_no_gloss_field(api):
    _, body = api("/api/search?q=customer+lock-on&k=2", 200)
    assert all("glosses" not in r for r in body["results"])


@pytest.mark.parametrize("value", ["sv", "english", "EN-GB", "<script>", "xx"])
def test_invalid_glosses_value_is_a_400(api, value):
    _, body = api(f"/api/search?q=kundelojalitet&glosses={quote(value)}", 400)
    assert body["error"]["code"] == "invalid_query" and "glosses" in body["error"]["message"]


def test_document_glosses(api):
    _, docs = api("/api/documents", 200)
    doc_id = next(d["doc_id"] for d in docs["documents"] if d["lang"] == "no")
    _, body = api(f"/api/documents/{doc_id}?glosses=de", 200)
    assert body["glosses"]
    assert all(body["text"][g["start"]:g["end"]] == g["term"] for g in body["glosses"])
    assert any(g["lang"] == "de" for g in body["glosses"])
    api(f"/api/documents/{doc_id}?glosses=nope", 400)
    _, plain = api(f"/api/documents/{doc_id}", 200)
    assert "glosses" not in plain and "glossed_until" not in plain
    assert body["glossed_until"] == len(body["text"])  # a seed document is glossed whole


def test_a_long_documents_glosses_say_where_they_stop(api, client, monkeypatch):
    _, docs = api("/api/documents", 200)
    doc_id = next(d["doc_id"] for d in docs["documents"] if d["lang"] == "no" and d["chunks"] >= 3)
    _, whole = api(f"/api/documents/{doc_id}", 200)
    third = whole["chunks"][2]
    monkeypatch.setattr("index.service.MAX_GLOSSED_CHARS", third["start"])
    _, body = api(f"/api/documents/{doc_id}?glosses=en", 200)
    assert body["glossed_until"] == whole["chunks"][1]["end"] < len(body["text"])
    assert max(g["end"] for g in body["glosses"]) <= body["glossed_until"]
    page = client.get(f"/documents/{doc_id}?glosses=en").get_data(as_text=True)
    assert "glosses cover its first" in page and f'href="#chunk-{third["ord"]}"' in page
    assert "glosses cover its first" not in client.get(f"/documents/{doc_id}?glosses=off").get_data(as_text=True)


@pytest.mark.parametrize("term, lang, to, expected", [
    ("och", "sv", "en", "and"),
    ("kundlojalitetsprogrammet", "sv", "en", "loyalty program"),   # a compound, inflected
    ("kundereise", "no", "fr", "Parcours client"),   # a concept term: its French label
    ("klanten", "nl", None, "customers"),
])
def test_glossary_looks_up_any_word(api, term, lang, to, expected):
    url = f"/api/glossary?term={quote(term)}&lang={lang}" + (f"&to={to}" if to else "")
    _, body = api(url, 200)
    assert body["to"] == (to or "en")
    assert any(expected in g["gloss"] for g in body["glosses"]), body


@pytest.mark.parametrize("typed, read", [("SV", "sv"), ("sv-SE", "sv"), ("nb", "no"), ("nb_NO", "no")])
def test_glossary_answers_in_the_language_it_read(api, typed, read):
    _, body = api(f"/api/glossary?term=kunde&lang={typed}&to=EN", 200)
    assert (body["lang"], body["to"]) == (read, "en") and body["glosses"]


def test_glossary_gives_a_compounds_parts(api):
    _, body = api("/api/glossary?term=kundlojalitetsprogrammet&lang=sv", 200)
    assert body["glosses"][-1]["parts"] == ["customer", "loyalty", "program"], body
    _, body = api("/api/glossary?term=kund&lang=sv", 200)
    assert body["glosses"][-1]["parts"] == [], body


@pytest.mark.parametrize("typed", ["   kund\t", "k\u200bund", "\ufeffkund", "\uff4b\uff55\uff4e\uff44", "kun\u00add"])
def test_glossary_reads_a_pasted_term_as_the_word_it_shows(api, typed):
    # Padding, zero-width and byte-order marks, full-width letters, a soft hyphen: the word the reader sees.
    _, plain = api("/api/glossary?term=kund&lang=sv", 200)
    _, body = api(f"/api/glossary?term={quote(typed)}&lang=sv", 200)
    assert body["term"] == "kund" and body["glosses"] == plain["glosses"] and body["glosses"]
    assert all(body["term"][g["start"]:g["end"]] == g["term"] for g in body["glosses"])


@pytest.mark.parametrize("query", ["lang=sv", "term=och", "term=och&lang=sv&to=sv", "term=%20&lang=sv",
                                   "term=%E2%80%8B&lang=sv",
                                   "term=och&lang=%3Cscript%3E", "term=kunde&lang=zz", "term=" + "a" * 1001 + "&lang=sv"])
def test_glossary_rejects_bad_parameters(api, query):
    _, body = api(f"/api/glossary?{query}", 400)
    assert body["error"]["code"] == "invalid_query"


def test_glossary_puts_the_best_sense_first_and_keeps_the_others(api):
    _, body = api(f"/api/glossary?term={quote('bygger')}&lang=sv&to=en", 200)
    best = body["glosses"][0]
    assert best["gloss"].split(", ")[0] == "build" and best["source"].startswith("freedict:")
    assert best["senses"] and all(isinstance(s, str) and s for s in best["senses"])


def test_glossary_of_an_unknown_word_is_empty(api):
    _, body = api("/api/glossary?term=xyzzyqwerty&lang=sv", 200)
    assert body["glosses"] == []
