"""Glosses in the UI: the reader picks the language (default: the browser's), the choice is remembered."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from webapp.render import Segment

QUERY = "/?q=" + quote("What are the three value disciplines?") + "&k=3"


def _concept_glosses(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="gw gw-concept"[^>]*><span class="gw-word">[^<]*</span>'
                      r'<span class="gw-gloss" id="[^"]+" lang="(\w+)">'
                      r'(?:<span class="gw-lang".*?</span></span> )?<span class="gw-main">([^<]+)<', html)


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
    assert '<span class="gw-gloss" id="' in html and 'lang="en"><span class="gw-' in html  # English dictionary glosses
    # A reader of de or fr is told which glosses are English; an English reader is not.
    assert ('class="gloss-legend' in html) == (reader != "en")
    assert "Set-Cookie" not in response.headers  # nothing chosen, nothing stored


def test_the_readers_choice_is_remembered_in_a_cookie(client):
    response = client.get(QUERY + "&glosses=fr", headers={"Accept-Language": "de"})
    assert "kb_glosses=fr" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    later = client.get(QUERY, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert {lang for lang, _ in _concept_glosses(later)} == {"fr"}
    client.get(QUERY + "&glosses=off")
    assert 'class="gw' not in client.get(QUERY).get_data(as_text=True)


def test_glossed_passage_keeps_its_text_and_highlight(client):
    html = client.get(QUERY + "&glosses=en").get_data(as_text=True)
    card = html.split('<article class="card passage"')[1]
    quote_html = card.split('<blockquote class="passage-text glossed gloss-interlinear">')[1].split("</blockquote>")[0]
    assert "<mark>" in quote_html
    text = re.sub(r'<span class="gw-gloss".*?<span class="gw-source"[^>]*>[^<]*</span></span>|<[^>]+>', "", quote_html)
    assert "kund" in text.casefold()


def test_unknown_gloss_choice_falls_back_to_the_default(client):
    response = client.get(QUERY + "&glosses=%3Cscript%3E", headers={"Accept-Language": "de"})
    assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_document_view_is_glossed_and_keeps_the_passage(client):
    html = client.get("/?q=" + quote("customer lock-on") + "&glosses=de").get_data(as_text=True)
    link = re.search(r'href="(/documents/[0-9a-f]{16}\?chunk=\d+&amp;hl=\d+-\d+)#chunk-\d+"', html)[1]
    page = client.get(link.replace("&amp;", "&") + "&glosses=de").get_data(as_text=True)
    assert '<div class="document-text glossed gloss-interlinear">' in page and 'class="gw' in page
    assert 'mark class="passage sentence"' in page
    assert re.search(r'<input type="hidden" name="chunk" value="\d+">', page)
    assert {lang for lang, _ in _concept_glosses(page)} == {"de"}
    plain = client.get(link.replace("&amp;", "&") + "&glosses=off").get_data(as_text=True)
    assert 'class="gw' not in plain and '<div class="document-text">' in plain


def test_gloss_view_is_a_get_field_and_remembered(client):
    # Without script: the form's field picks the view, a cookie keeps it; only popovers put words in the tab order.
    html = client.get(QUERY + "&glosses=en").get_data(as_text=True)
    assert "gloss-interlinear" in html and 'tabindex="0"' not in html
    response = client.get(QUERY + "&glosses=en&gloss_view=hover")
    assert any(c.startswith("kb_gloss_view=hover;") for c in response.headers.getlist("Set-Cookie"))
    assert 'class="passage-text glossed gloss-hover"' in response.get_data(as_text=True)
    later = client.get(QUERY + "&gloss_view=sideways").get_data(as_text=True)  # an unknown view: the remembered one
    assert 'class="passage-text glossed gloss-hover"' in later
    assert re.search(r'<span class="gw[^"]*" tabindex="0" aria-describedby="(gl-[0-9a-f]{16}-\d+-\d+)">', later)
    assert '<option value="hover" selected>' in later
    hidden = client.get(QUERY + "&gloss_view=none").get_data(as_text=True)
    assert 'class="passage-text glossed gloss-none"' in hidden and 'tabindex="0"' not in hidden
    client.get(QUERY + "&gloss_view=interlinear")


def test_gloss_ids_are_unique_and_described(client):
    html = client.get(QUERY + "&glosses=de").get_data(as_text=True)
    described = re.findall(r'aria-describedby="(gl-[^"]+)"', html)
    ids = re.findall(r'<span class="gw-gloss" id="(gl-[^"]+)"', html)
    assert described and described == ids and len(set(ids)) == len(ids)


def test_popover_holds_the_other_senses_and_marks_english(app):
    gloss = {"start": 4, "end": 9, "term": "heter", "gloss": "is called", "source": "freedict:swe-eng", "lang": "en",
             "senses": ["is called", "is named", {"gloss": "hot"}]}
    with app.test_request_context():
        glossed = app.jinja_env.get_template("_macros.html").module.glossed
        html = str(glossed([Segment("heter", gloss=gloss)], "t", "de", "hover"))
        plain = str(glossed([Segment("heter", gloss={**gloss, "senses": []})], "t", "en", "hover"))
    assert '<span class="gw-senses"><span lang="en">Other senses:</span> is named; hot</span>' in html
    assert '<span class="gw-lang" lang="en"><span aria-hidden="true">EN</span>' in html
    assert "gw-senses" not in plain and "gw-lang" not in plain
