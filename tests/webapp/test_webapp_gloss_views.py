"""Glosses in the UI: the reader picks the language (default: the browser's), the choice is remembered."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

QUERY = "/?q=" + quote("What are the three value disciplines?") + "&k=3"


def _concept_glosses(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<ruby class="gloss gloss-concept"[^>]*>[^<]*<rp> \(</rp><rt lang="(\w+)">([^<]+)</rt>', html)


@pytest.mark.parametrize("accept, reader, label", [
    ("de-DE,de;q=0.9,en;q=0.5", "de", "Wertdisziplinen"),
    ("fr-CH, fr;q=0.9", "fr", "Disciplines de valeur"),
    ("sv-SE", "en", "Value disciplines"),     # no gloss language of the reader's: English
])
def test_glosses_default_to_the_browsers_language(client, accept, reader, label):
    response = client.get(QUERY, headers={"Accept-Language": accept})
    html = response.get_data(as_text=True)
    assert f'<option value="{reader}" selected' in html
    found = _concept_glosses(html)
    assert found and all(lang == reader for lang, _ in found)
    assert label in {text for _, text in found}
    assert '<rt lang="en">' in html  # dictionary glosses, English for every reader
    assert "Set-Cookie" not in response.headers  # nothing chosen, nothing stored


def test_the_readers_choice_is_remembered_in_a_cookie(client):
    response = client.get(QUERY + "&glosses=fr", headers={"Accept-Language": "de"})
    assert "kb_glosses=fr" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    later = client.get(QUERY, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert {lang for lang, _ in _concept_glosses(later)} == {"fr"}
    client.get(QUERY + "&glosses=off")
    assert "<ruby" not in client.get(QUERY).get_data(as_text=True)


def test_glossed_passage_keeps_its_text_and_highlight(client):
    html = client.get(QUERY + "&glosses=en").get_data(as_text=True)
    card = html.split('<article class="card passage"')[1]
    quote_html = card.split('<blockquote class="passage-text glossed">')[1].split("</blockquote>")[0]
    assert "<mark>" in quote_html
    text = re.sub(r"<rp>.*?</rp>|<rt[^>]*>.*?</rt>|<[^>]+>", "", quote_html)
    assert "kund" in text.casefold()


def test_unknown_gloss_choice_falls_back_to_the_default(client):
    response = client.get(QUERY + "&glosses=%3Cscript%3E", headers={"Accept-Language": "de"})
    assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_document_view_is_glossed_and_keeps_the_passage(client):
    html = client.get("/?q=" + quote("customer lock-on") + "&glosses=de").get_data(as_text=True)
    link = re.search(r'href="(/documents/[0-9a-f]{16}\?chunk=\d+&amp;hl=\d+-\d+)#chunk-\d+"', html)[1]
    page = client.get(link.replace("&amp;", "&") + "&glosses=de").get_data(as_text=True)
    assert '<div class="document-text glossed">' in page and "<ruby" in page
    assert 'mark class="passage sentence"' in page
    assert re.search(r'<input type="hidden" name="chunk" value="\d+">', page)
    assert {lang for lang, _ in _concept_glosses(page)} == {"de"}
    plain = client.get(link.replace("&amp;", "&") + "&glosses=off").get_data(as_text=True)
    assert "<ruby" not in plain and '<div class="document-text">' in plain
