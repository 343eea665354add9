"""The server-rendered UI through the test client: it works, and escapes, without JavaScript."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from markupsafe import escape


def test_search_page_without_query_shows_the_form(client):
    html = client.get("/").get_data(as_text=True)
    assert '<label for="q">' in html and '<select id="lang" name="lang">' in html
    assert "result-list" not in html


def test_search_renders_results_with_highlight_chips_and_links(client):
    html = client.get("/?q=" + quote("What are the three value disciplines?")).get_data(as_text=True)
    first = html.split('<article class="card passage"')[1]
    assert 'lang="sv"' in first
    assert "<mark>" in first
    assert re.search(r'href="/concepts/[a-z-]+"', first)
    assert re.search(r'href="/documents/[0-9a-f]{16}\?chunk=\d+&amp;hl=\d+-\d+#chunk-\d+"', first)
    assert "data-item=" in first


def test_the_weaker_passages_a_search_leaves_out_are_one_link_away(client):
    html = client.get("/?q=" + quote("customer lock-on") + "&lang=").get_data(as_text=True)
    shown = len(re.findall(r'<article class="card passage"', html))
    note = re.search(r'(\d+) weaker passages? not shown:\s*<a href="([^"]+)">', html)
    assert note, "the search leaves weak passages out"
    assert "lang=" not in note[2] and "weak=true" in note[2]  # the page's own options kept, empty ones dropped
    everything = client.get(note[2].replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(r'<article class="card passage"', everything)) == shown + int(note[1])
    assert "not shown" not in everything


def test_search_language_filter(client):
    html = client.get("/?q=loyalty&lang=nl").get_data(as_text=True)
    badges = re.findall(r'<article class="card passage" lang="(\w+)"', html)
    assert badges and set(badges) == {"nl"}
    assert '<option value="nl" selected>' in html


def test_search_with_bad_parameters_explains_with_400(client):
    response = client.get("/?q=x&k=500")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_a_query_of_spaces_or_without_words_says_so(client):
    spaces = client.get("/?q=%20%20%20")
    page = spaces.get_data(as_text=True)
    assert spaces.status_code == 400 and "The query is empty" in page and "<title>Search" in page
    emoji = client.get("/?q=" + quote("😀🎉🔥")).get_data(as_text=True)
    assert "no words to search for" in emoji and "dense mode" not in emoji


def test_query_is_escaped(client):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    html = client.get("/?q=" + quote(payload)).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_concepts_grouped_by_family(client):
    html = client.get("/concepts").get_data(as_text=True)
    assert 'id="family-value-disciplines"' in html
    assert 'href="/concepts/customer-intimacy"' in html


def test_concept_page(client):
    html = client.get("/concepts/customer-intimacy").get_data(as_text=True)
    assert "Kundintimitet" in html or "kundintimitet" in html.lower()
    assert 'href="/concepts/value-disciplines"' in html
    assert "Grounded passages" in html and "<mark>" in html


def test_concept_labels_come_in_the_readers_language_then_english(client):
    def label_languages(reader: str) -> list[str]:
        client.get(f"/?glosses={reader}")
        html = client.get("/concepts/customer-intimacy").get_data(as_text=True)
        return re.findall(r'</th>\s*<td lang="([\w-]+)">', html)  # the label column, row by row

    german, english = label_languages("de"), label_languages("off")  # no gloss language: English first
    client.get("/?glosses=en")
    assert german[:2] == ["de", "en"] and english[0] == "en" and sorted(german) == sorted(english)


def test_a_concept_card_in_another_language_names_the_concept_in_english_too(client):
    html = client.get("/?q=" + quote("Kundennähe")).get_data(as_text=True)
    card = html.split('<section class="concept-cards"')[1].split("</section>")[0]
    assert ">Kundennähe</a>" in card and '<span class="meta" lang="en">(Customer intimacy)</span>' in card
    english = client.get("/?q=" + quote("customer intimacy")).get_data(as_text=True)
    assert ">Customer intimacy</a></h3>" in english.split('<section class="concept-cards"')[1]


def test_the_header_looks_up_concepts_in_any_language(client):
    html = client.get("/concepts").get_data(as_text=True)
    assert '<form class="lookup-form" action="/concepts" method="get" role="search" aria-label="Concept look-up">' in html
    found = client.get("/concepts?q=" + quote("Kundennähe")).get_data(as_text=True)
    results = found.split('<section class="lookup-results"')[1].split("</section>")[0]
    assert re.findall(r'href="/concepts/([a-z0-9-]+)"', results)[0] == "customer-intimacy"
    assert 'value="Kundennähe"' in found  # the box keeps what was looked up
    refused = client.get("/concepts?q=" + "x" * 1001)
    assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)


@pytest.mark.parametrize("query", ["kundereise", "lock-in"])
def test_a_looked_up_concept_is_named_in_the_readers_language_beside_the_label_matched_and_its_family(app, query):
    client = app.test_client()
    matches = client.get(f"/api/concepts/lookup?q={query}&k=5").get_json()["matches"]
    families = {c["id"]: c["label"] for c in client.get("/api/concepts").get_json()["concepts"]}
    for reader, lang in (("off", "en"), ("de", "de")):
        html = client.get(f"/concepts?q={query}&glosses={reader}").get_data(as_text=True)
        cards = html.split('<section class="lookup-results"')[1].split("</section>")[0].split('<li class="card">')[1:]
        assert len(cards) == len(matches)
        for m, card in zip(matches, cards):
            labels = client.get(f"/api/concepts/{m['id']}").get_json()["labels"]
            name = labels.get(lang, labels["en"])
            assert f'href="/concepts/{m["id"]}">{escape(name)}</a>' in card, (reader, m)
            # What matched: the alias typed (lock-in), else the label in the query's language.
            matched = m["term"] or m["label"]
            assert (f"matched “{escape(matched)}”" in card) == (matched != name)
            assert f"family: {escape(families.get(m['family'], m['family']))}" in card


@pytest.mark.parametrize("path", ["/concepts/nope", "/documents/nope", "/nowhere"])
def test_unknown_pages_are_html_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_document_view_anchors_and_marks_the_passage(client):
    doc = client.get("/api/documents").get_json()["documents"][0]
    detail = client.get(f"/api/documents/{doc['doc_id']}").get_json()
    chunk = detail["chunks"][1]
    html = client.get(f"/documents/{doc['doc_id']}?chunk={chunk['ord']}&hl=0-10").get_data(as_text=True)
    for c in detail["chunks"]:
        assert f'id="chunk-{c["ord"]}"' in html
    assert '<mark class="passage sentence">' in html
    assert "Add passage to course pack" in html


@pytest.mark.parametrize("query", ["chunk=abc&hl=zz", "chunk=999999&hl=1-2", "chunk=-1"])
def test_document_view_tolerates_odd_parameters(client, query):
    doc_id = client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    response = client.get(f"/documents/{doc_id}?{query}")
    assert response.status_code == 200
    assert "<mark" not in response.get_data(as_text=True)


def test_course_pack_page_and_static_files(client):
    assert b"data-pack-list" in client.get("/pack").data
    for name in ("app.js", "pack.js", "pack-page.js", "gloss-view.js", "concept-form.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200


CODE = "def total(rows):\n    if not rows:\n        return  0\n\n    return sum(rad.belopp for rad in rows)"


def test_a_block_of_code_is_shown_as_written_and_not_glossed(index_copy, tmp_path):
    from lxml import html as lxml_html

    from index.stores import open_store
    from ingest.pipeline import ingest
    from tests.configs import config_for, store_for
    from webapp import create_app

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "summering.md").write_text(
        "# Summering av kassan\n\nFunktionen nedan summerar beloppen för alla rader i kassan, och kunden ser "
        f"summan på kvittot.\n\n```python\n{CODE}\n```\n\nDen returnerar noll för en tom lista med rader.\n",
        encoding="utf-8")
    ingest([folder], store_for(index_copy), progress=False)
    doc = next(d for d in open_store(config_for(index_copy)).snapshot().documents() if d.title == "Summering av kassan")
    client = create_app({"KB_INDEX_DIR": str(index_copy)}).test_client()

    body = client.get(f"/api/documents/{doc.doc_id}").get_json()
    assert [body["text"][start:end] for start, end in body["code"]] == [CODE]
    page = lxml_html.fromstring(client.get(f"/documents/{doc.doc_id}?glosses=en&view=interlinear").get_data(as_text=True))
    blocks = page.xpath("//code[@class='code-block']")  # one per run between passage anchors
    assert "".join(b.text_content() for b in blocks) == CODE  # indentation, the blank line and the double space kept
    assert not [g for b in blocks for g in b.xpath(".//*[contains(@class, 'gw')]")]  # no word of code glossed
    assert page.xpath("//div[contains(@class, 'document-text')]//span[contains(@class, 'gw')]")  # the prose is

    # Search results say where their code lies, gloss none of it, and show it as written.
    found = client.get("/api/search?q=" + quote("summerar beloppen rad.belopp") + "&k=10&glosses=en").get_json()
    passages = [r for r in found["results"] if r["doc_id"] == doc.doc_id and r["code"]]
    assert passages
    for r in passages:
        assert all(r["text"][start:end] in CODE for start, end in r["code"])
        assert not [g for g in r["glosses"] for start, end in r["code"] if g["start"] < end and start < g["end"]]
    html = lxml_html.fromstring(client.get("/?q=" + quote("summerar beloppen rad.belopp") + "&glosses=en")
                                .get_data(as_text=True))
    shown = html.xpath("//blockquote[contains(@class, 'passage-text')]//code[@class='code-block']")
    assert shown and all(b.text_content() in CODE for b in shown) and not shown[0].xpath(".//*[@class='gw']")


def test_the_documents_page_lists_a_page_at_a_time_and_links_the_others(client, monkeypatch):
    # All at once, 20,000 documents were 8 MB of HTML and 0.8 s of a core per request.
    from webapp import views

    monkeypatch.setattr(views, "DOCUMENTS_PER_PAGE", 2)
    listed = [d["doc_id"] for d in client.get("/api/documents").get_json()["documents"]]
    shown = []
    for page in (1, 2, 3):
        html = client.get(f"/documents?page={page}").get_data(as_text=True)
        shown += re.findall(r'href="/documents/([0-9a-f]{16})"', html)
        assert f"Documents {2 * page - 1}–{min(2 * page, 5)} of 5" in html
        assert ('rel="prev"' in html) == (page > 1) and ('rel="next"' in html) == (page < 3)
    assert shown == listed  # every document once, in the listing's order
    assert client.get("/documents?page=4").status_code == 400
    assert client.get("/documents?page=x").status_code == 400
