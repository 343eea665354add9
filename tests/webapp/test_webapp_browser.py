"""The UI in headless Chromium against the live server: search, filters, concepts, course pack, XSS, phone width."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import watch  # tests/webapp/conftest.py (this folder is not a package)

pytestmark = pytest.mark.browser


def search(page, query: str, lang: str = "") -> None:
    page.goto("/")
    page.get_by_label("Question or keywords").fill(query)
    if lang:
        page.get_by_label("Passage language").select_option(lang)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_selector("#results-heading")


def test_english_question_finds_the_swedish_passage_highlighted(page):
    search(page, "What are the three value disciplines?")
    first = page.locator("article.passage").first
    expect(first).to_have_attribute("lang", "sv")
    expect(first.locator(".badge")).to_contain_text("Swedish")
    mark = first.locator("mark")
    expect(mark).to_be_visible()
    assert mark.inner_text().strip()


def test_language_filter(page):
    search(page, "customer loyalty", lang="nl")
    langs = page.locator("article.passage").evaluate_all("cards => cards.map(c => c.lang)")
    assert langs and set(langs) == {"nl"}
    expect(page.get_by_label("Passage language")).to_have_value("nl")


def test_a_submitted_search_leaves_its_empty_fields_out_of_the_url_and_the_plain_form_still_works(page, browser,
                                                                                                   live_server):
    search(page, "customer loyalty")
    assert "q=customer+loyalty" in page.url and "mode=hybrid" in page.url
    assert "lang=" not in page.url and not re.search(r"[?&][\w_]+=(&|$)", page.url), page.url
    search(page, "customer loyalty", lang="nl")
    assert "lang=nl" in page.url
    # Without script the form sends every field, empty ones too, and the page reads them as absent.
    plain = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        nojs = plain.new_page()
        search(nojs, "customer loyalty")
        assert "lang=&" in nojs.url and nojs.locator("article.passage").count() > 0
    finally:
        plain.close()


def test_concept_chip_opens_the_concept_page(page):
    search(page, "What are the three value disciplines?")
    chip = page.locator("article.passage .chip").first
    label = chip.inner_text()
    chip.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)
    expect(page.get_by_role("heading", name="In every language")).to_be_visible()
    expect(page.locator("table.labels tbody tr")).not_to_have_count(0)


def test_passage_link_anchors_the_document_view(page):
    search(page, "customer lock-on")
    page.locator("article.passage").first.get_by_role("link", name="Read in the document").click()
    fragment = page.url.split("#")[1]
    assert fragment.startswith("chunk-")
    expect(page.locator(f"#{fragment}")).to_be_attached()
    expect(page.locator("mark.passage").first).to_be_visible()


def test_course_pack_with_two_items_exports_markdown_with_citations(page):
    search(page, "What are the three value disciplines?")
    cards = page.locator("article.passage")
    titles = [cards.nth(i).locator(".card-title").inner_text() for i in (0, 1)]
    cards.nth(0).get_by_role("button", name="Add passage to course pack").click()
    # The second one by keyboard.
    cards.nth(1).get_by_role("button", name="Add passage to course pack").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-pack-count]")).to_have_text("(2)")

    page.get_by_role("link", name="Course pack").click()
    items = page.locator(".pack-item")
    expect(items).to_have_count(2)
    items.first.get_by_role("button", name="Move down").click()  # reorder survives a reload
    page.reload()
    expect(page.locator(".pack-item h2").first).to_have_text(titles[1])

    markdown = page.get_by_label("Markdown (select and copy)")
    expect(markdown).to_have_value(re.compile("Source: "))
    text = markdown.input_value()
    assert text.count("Source: ") == 2 and "## References" in text and "#chunk-" in text
    for title in titles:
        assert title in text
    assert ".txt" not in text  # cited by title, authors, date, publisher and language, never a stored file
    for name, check in (("Markdown", "Source: "), ("HTML", '<meta charset="utf-8">'), ("CSL-JSON", '"URL"'),
                        ("RIS", "TY  - ELEC"), ("BibTeX", "@misc{kb-")):
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Download {name}").click()
        assert check in open(download.value.path(), encoding="utf-8").read()

    page.locator(".pack-item").first.get_by_role("button", name="Remove").click()
    expect(page.locator(".pack-item")).to_have_count(1)


def test_a_pack_item_deleted_from_the_index_is_marked_and_left_out_of_the_exports(browser, live_server):
    context = browser.new_context(base_url=live_server)
    try:
        page = context.new_page()
        errors = watch(page)
        search(page, "What are the three value disciplines?")
        page.locator("article.passage").first.get_by_role("button", name="Add passage to course pack").click()
        # A passage whose document was deleted after it was added: its key names a document the index lacks.
        page.evaluate("""() => {
          const items = JSON.parse(localStorage.getItem('kb-course-pack-v1'));
          items.unshift({ ...items[0], key: 'passage:0123456789abcdef:0', title: 'A deleted article' });
          localStorage.setItem('kb-course-pack-v1', JSON.stringify(items));
        }""")
        page.goto("/pack")
        gone = page.locator(".pack-item").filter(has_text="A deleted article")
        expect(gone).to_contain_text("No longer in the knowledge base")
        expect(page.locator("#pack-status")).to_have_text("1 item is no longer in the knowledge base")
        markdown = page.get_by_label("Markdown (select and copy)")
        expect(markdown).to_have_value(re.compile("Source: "))
        assert markdown.input_value().count("Source: ") == 1
        for name in ("Markdown", "HTML", "CSL-JSON", "RIS", "BibTeX"):
            href = page.get_by_role("link", name=f"Download {name}").get_attribute("href")
            assert "0123456789abcdef" not in href and page.request.get(href).ok, name
        gone.get_by_role("button", name="Remove").click()
        expect(page.locator(".pack-item")).to_have_count(1)
        expect(page.locator(".pack-missing")).to_have_count(0)
        # The browser logs each 404 it was answered; nothing else may go wrong.
        assert [e for e in errors if "status of 404" not in e and "status of 400" not in e] == [], errors
    finally:
        context.close()


def test_the_pack_shows_each_source_as_the_server_cites_it_now_not_as_stored(browser, live_server):
    # An item stored with its citation of the day it was added; the document's details were edited since.
    context = browser.new_context(base_url=live_server)
    try:
        page = context.new_page()
        search(page, "What are the three value disciplines?")
        page.locator("article.passage").first.get_by_role("button", name="Add passage to course pack").click()
        page.evaluate("""() => {
          const items = JSON.parse(localStorage.getItem('kb-course-pack-v1'));
          items[0].citation = 'An outdated citation (1999). Old title.';
          items[0].url = '/documents/stale-link';
          localStorage.setItem('kb-course-pack-v1', JSON.stringify(items));
        }""")
        page.goto("/pack")
        source = page.locator(".pack-item p.citation").first
        expect(source).not_to_contain_text("outdated")
        expect(source).to_contain_text("Language:")
        # The link is the server's too (its public address, KB_PUBLIC_URL where set), as every export gives it.
        link = source.locator("a")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", re.compile(r"/documents/[0-9a-f]{16}\?chunk="))
        expect(link).to_have_text(link.get_attribute("href"))
    finally:
        context.close()


def test_every_page_fits_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        errors = watch(page)
        page.goto("/?q=" + quote("What are the three value disciplines?"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.locator("article.passage").first.get_by_role("button", name="Add passage to course pack").click()
        page.goto("/pack")
        expect(page.locator(".pack-item")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        with page.expect_download() as download:  # the exported page too: its References list's long links
            page.get_by_role("link", name="Download HTML").click()
        exported = context.new_page()
        exported.set_content(open(download.value.path(), encoding="utf-8").read())
        assert exported.evaluate("document.documentElement.scrollWidth") <= 375
        exported.close()
        doc_id = page.request.get("/api/documents").json()["documents"][0]["doc_id"]
        for path in ("/concepts/customer-lock-on", "/concepts", "/concepts?q=kundereise", "/documents",
                     f"/documents/{doc_id}", "/suggestions"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.goto("/concepts/customer-lock-on")
        aliases = page.locator("table.labels td[data-label='Also called']").first  # "Also called" stays on screen
        expect(aliases).to_contain_text("lock-on")
        box = aliases.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert not errors, errors
    finally:
        context.close()


def test_script_in_query_is_inert(page):
    payload = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"
    page.goto("/?q=" + quote(payload))
    expect(page.get_by_label("Question or keywords")).to_have_value(payload)
    expect(page.locator(".query-echo")).to_have_text(payload)
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script").count() == 0


def test_keyboard_reaches_the_skip_link_first(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


@pytest.mark.parametrize("width", [375, 1280])
def test_a_code_blocks_long_run_of_spaces_wraps_inside_its_card(browser, width):
    # A table drawn in a code block: under pre-wrap its 100 spaces hung past the card, their background painted beyond.
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "webapp" / "static" / "style.css").read_text(encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 812})
    try:
        page.set_content(f"<style>{css}</style><main><div class='document-text'>Text\n<code class='code-block'>"
                         f"| kolumn 1 | kolumn 2 |{' ' * 100}| kolumn 3 |\n\tindrag</code></div></main>")
        spill = page.evaluate("""() => { const card = document.querySelector('.document-text').getBoundingClientRect();
            return Math.max(...[...document.querySelector('code').getClientRects()].map(r => r.right - card.right)); }""")
        assert spill <= 0
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.close()
