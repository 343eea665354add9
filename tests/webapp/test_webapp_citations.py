"""Citations in the API and the course pack over the seed index: public links by document id, no stored file names,
and exports that reference managers' libraries parse back to what /api/documents says."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import quote

import bibtexparser
import html5lib
import pytest
import rispy
from bibtexparser.bparser import BibTexParser
from bibtexparser.customization import convert_to_unicode
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from index.citations import HTML_STYLE
from webapp import create_app

PUBLIC = "https://kb.example.org/strategy"


@pytest.fixture(scope="module")
def public(seed_index):
    """A test client of an app with KB_PUBLIC_URL set (with a path: the app may live below a prefix)."""
    return create_app({"KB_INDEX_DIR": str(seed_index), "KB_PUBLIC_URL": PUBLIC + "/", "TESTING": True}).test_client()


def checked(client, check_spec, url: str) -> dict:
    response = client.get(url)
    body = response.get_json()
    check_spec(url.split("?")[0], response.status_code, response.content_type, body)
    assert response.status_code == 200, body
    return body


def test_search_results_documents_and_grounded_passages_cite_with_public_links(public, check_spec):
    docs = {d["doc_id"]: d for d in checked(public, check_spec, "/api/documents")["documents"]}
    for doc_id, doc in docs.items():
        citation = doc["citation"]
        assert citation["url"] == f"{PUBLIC}/documents/{doc_id}"
        assert citation["title"] == doc["title"] and citation["authors"] == doc["authors"]
        assert doc["original_name"] == doc["source"]  # the seeds were ingested from a folder
    loyalty = next(d for d in docs.values() if d["authors"] == ["Peter Thomasson"])
    assert loyalty["citation"]["text"] == (f"Peter Thomasson (n.d.). {loyalty['title']}. SAS Institute."
                                           " Language: Norwegian (no).")
    hits = checked(public, check_spec, "/api/search?q=" + quote("What are the three value disciplines?"))["results"]
    for hit in hits:
        assert hit["citation"] == docs[hit["doc_id"]]["citation"]
    concept = checked(public, check_spec, "/api/concepts/customer-intimacy")
    assert concept["passages"] and all(p["citation"]["url"].startswith(PUBLIC) for p in concept["passages"])
    one = checked(public, check_spec, f"/api/documents/{loyalty['doc_id']}")
    assert one["citation"] == loyalty["citation"] and one["publisher"] == "SAS Institute"


def test_without_a_public_url_links_follow_the_request(client):
    doc = client.get("/api/documents", base_url="https://reader.example:8443").get_json()["documents"][0]
    assert doc["citation"]["url"] == f"https://reader.example:8443/documents/{doc['doc_id']}"


def pack_of_five(client) -> tuple[str, dict[str, dict]]:
    """Items of five passages from three documents (two, two and one), and those documents by id."""
    docs = client.get("/api/documents").get_json()["documents"]
    chosen = [d for d in docs if d["chunks"] >= 2][:3]
    keys = [f"passage:{chosen[0]['doc_id']}:0:0-20", f"passage:{chosen[1]['doc_id']}:1",
            f"passage:{chosen[0]['doc_id']}:1", "concept:customer-intimacy", f"passage:{chosen[2]['doc_id']}:0",
            f"passage:{chosen[1]['doc_id']}:0"]
    return ",".join(keys), {d["doc_id"]: d for d in chosen}


def export(client, items: str, fmt: str):
    response = client.get(f"/api/pack?items={quote(items)}&format={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"course-pack.")
    assert response.mimetype != "application/json" and response.mimetype_params["charset"] == "utf-8"
    text = response.get_data(as_text=True)
    assert "127.0.0.1" not in text and "localhost" not in text
    assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt|uploads/", text)  # no stored file names
    return response, text


def test_a_pack_of_five_passages_from_three_documents_parses_back_in_every_reference_format(public):
    items, docs = pack_of_five(public)
    order = list(docs)
    urls = [f"{PUBLIC}/documents/{d}" for d in order]

    _, csl = export(public, items, "csl-json")
    references = json.loads(csl)
    assert [r["id"] for r in references] == order
    assert [r["title"] for r in references] == [docs[d]["title"] for d in order]
    assert [r["URL"] for r in references] == urls
    assert [[a.get("literal") or f"{a['given']} {a['family']}" for a in r["author"]] for r in references] == \
        [docs[d]["authors"] for d in order]
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(references), formatter.plain)
    for reference in references:
        bibliography.register(Citation([CitationItem(reference["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == 3 and all(any(url in r for r in rendered) for url in urls)

    _, ris = export(public, items, "ris")
    records = rispy.loads(ris)
    assert [(r["title"], r["urls"], r["id"]) for r in records] == [(docs[d]["title"], [u], d) for d, u in zip(order, urls)]

    _, bib = export(public, items, "bibtex")
    parser = BibTexParser(common_strings=True)
    parser.customization = convert_to_unicode
    entries = bibtexparser.loads(bib, parser=parser).entries
    assert [(e["ID"], e["title"], e["url"]) for e in entries] == \
        [(f"kb-{d}", docs[d]["title"], u) for d, u in zip(order, urls)]

    _, markdown = export(public, items, "markdown")
    assert markdown.count("Source: ") == 6 and all(f"<{u}>" in markdown for u in urls)
    assert f"<{PUBLIC}/documents/{order[0]}?chunk=0&hl=0-20#chunk-0>" in markdown


def test_the_html_export_is_valid_self_contained_and_breaks_no_policy(public):
    items, docs = pack_of_five(public)
    response, page = export(public, items, "html")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert document.get("lang") == "en" and document.find("head/meta").get("charset") == "utf-8"
    assert len(list(document.iter("blockquote"))) == 5 and len(list(document.iter("article"))) == 6
    digest = base64.b64encode(hashlib.sha256(HTML_STYLE.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response.headers["Content-Security-Policy"]
    assert document.find("head/style").text == HTML_STYLE


@pytest.mark.parametrize("query, message", [
    ("items=passage:abc&format=ris", "neither passage"),
    ("items=passage:0123456789abcdef:0&format=docx", "format"),
    ("format=ris", "items"),
    ("items=,,&format=ris", "at least one"),
    ("items=passage:0123456789abcdef:0:5-2&format=ris", "start comes after its end"),
    ("items=passage:0123456789abcdef:%D9%A3&format=ris", "neither passage"),
])
def test_a_malformed_pack_is_a_json_400(client, check_spec, query, message):
    response = client.get(f"/api/pack?{query}")
    body = response.get_json()
    check_spec("/api/pack", response.status_code, response.content_type, body)
    assert response.status_code == 400 and message in body["error"]["message"]


def test_a_span_past_its_passage_is_a_400_not_dropped(client, check_spec):
    hit = client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"][0]
    length = len(hit["text"])
    base = f"/api/pack?format=ris&items=passage:{hit['doc_id']}:{hit['ord']}"
    assert client.get(f"{base}:0-{length}").status_code == 200  # up to its last character
    response = client.get(f"{base}:0-{length + 1}")
    check_spec("/api/pack", response.status_code, response.content_type, response.get_json())
    assert response.status_code == 400 and f"({length} characters)" in response.get_json()["error"]["message"]


def test_a_pack_naming_a_gone_passage_is_a_404(client):
    response = client.get("/api/pack?items=passage:0123456789abcdef:0&format=ris")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_pages_cite_without_stored_file_names(client):
    page = client.get("/?q=" + quote("What are the three value disciplines?")).get_data(as_text=True)
    assert "Peter Thomasson" in page or "Author unknown" in page
    assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", page.split("<main", 1)[1].split("data-item=", 1)[0])
    docs = client.get("/documents").get_data(as_text=True)
    assert "SAS Institute" in docs and not re.search(r"<p class=\"meta\">\d{3}_", docs)
