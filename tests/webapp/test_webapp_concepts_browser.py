"""Acceptance: a trainer, in a real browser over the real stack (nginx -> gunicorn, job runner), signs in, adds a
concept in three languages, uploads an article with its metadata and follows the job, sees the concept grounded in
it, finds it with the look-up box in each language, edits it, builds and exports a course pack, removes the concept
and signs out; axe finds no violation on any trainer page.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import json

import pytest
from playwright.sync_api import expect

from conftest import signed_in_page  # tests/webapp/conftest.py (this folder is not a package)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / ".venv/npm/node_modules/axe-core/axe.min.js"
LABELS = {"en": "Five competitive forces", "sv": "Fem konkurrenskrafter", "de": "Fünf Wettbewerbskräfte"}
ARTICLE = (
    "Fem konkurrenskrafter i detaljhandeln\n\n"
    "Michael Porter beskrev fem konkurrenskrafter som formar varje bransch: hotet från nya aktörer, kundernas "
    "förhandlingsstyrka, leverantörernas förhandlingsstyrka, hotet från substitut och rivaliteten mellan "
    "befintliga konkurrenter.\n\n"
    "En butikskedja som analyserar sina fem konkurrenskrafter ser var lönsamheten läcker ut. När kunderna kan "
    "jämföra priser på nätet växer deras makt, och marginalerna krymper om kedjan inte erbjuder något annat än "
    "ett lågt pris.\n"
).encode("utf-8")


METADATA = {"title": "Fem krafter i handeln", "authors": "Lind, Anna; Berg, Per", "date": "2024-05",
            "language": "sv"}


def _no_violations(page) -> None:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run()).violations"
                          ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))")
    assert found == [], (page.url, found)


def _label_languages(page) -> list[str]:
    """The concept page's label rows, by language, top to bottom."""
    return page.locator("table.labels td:first-of-type").evaluate_all("cells => cells.map(c => c.lang)")


def _look_up(page, text: str):
    """The header's look-up box: the matching concepts' links, best first."""
    page.get_by_label("Look up a concept (any language)").fill(text)
    page.get_by_role("button", name="Look up").click()
    return page.get_by_role("region", name=f"Concepts for “{text}”").get_by_role("link")


def _wait_for_job(page, what: str) -> None:
    """The job page's script reloads it as the job moves on, until the runner has published the write."""
    expect(page.locator("main")).to_contain_text(what, timeout=180_000)


# Slow: its own writable stack, and several concept jobs each re-grounding every passage, driven in Chromium.
def test_a_trainer_adds_grounds_finds_edits_and_removes_a_concept(browser, write_stack):
    # Signed in on the way to the form; the browser keeps the session, and the header offers a visible sign-out.
    with signed_in_page(browser, write_stack, "/concepts/new") as (page, errors):
        expect(page.get_by_role("heading", name="Add a concept")).to_be_visible()
        signout = page.get_by_role("button", name="Sign out")
        expect(signout).to_be_visible()
        assert signout.evaluate("b => getComputedStyle(b).color") != page.locator(".site-header").evaluate(
            "h => getComputedStyle(h).backgroundColor")

        # English only, until the trainer adds a language (one at a time, through the control).
        assert page.locator("fieldset.language:visible").count() == 2  # English, relations
        page.get_by_label("Id").fill("five-competitive-forces")
        for lang, label in LABELS.items():
            if lang != "en":
                page.get_by_label("Add a language").select_option(lang)
                page.get_by_role("button", name="Add", exact=True).click()
                expect(page.locator(f"#label-{lang}")).to_be_focused()
            page.locator(f"#label-{lang}").fill(label)
        page.locator("#definition-en").fill("Porter's model of the five forces that shape competition in an industry.")
        page.get_by_label("Related concepts").select_option(["competitive-advantage"])
        page.get_by_role("button", name="Add concept").click()
        _wait_for_job(page, "Concept added")

        # A matching article with its metadata, uploaded through the UI while signed in (no token field: the
        # session's CSRF token); its job page follows the upload to the document.
        page.goto("/upload")
        expect(page.get_by_label("Admin token")).to_have_count(0)
        page.get_by_label("File").set_input_files(
            {"name": "fem-krafter.txt", "mimeType": "text/plain", "buffer": ARTICLE})
        for name, value in METADATA.items():
            page.locator(f"#upload-{name}").fill(value)
        page.get_by_role("button", name="Upload").click()
        _wait_for_job(page, "Added")
        job_url = page.url
        page.get_by_role("link", name=METADATA["title"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(METADATA["title"])
        expect(page.locator(".document .meta").first).to_contain_text("Lind, Anna; Berg, Per · 2024-05")
        document_url = page.url

        page.goto("/concepts/five-competitive-forces")
        passages = page.get_by_role("region", name="Grounded passages").or_(page.locator("section").filter(
            has=page.get_by_role("heading", name="Grounded passages")))
        expect(passages.first).to_contain_text(METADATA["title"])
        expect(page.locator("td[lang=de]").first).to_have_text(LABELS["de"])
        assert _label_languages(page)[0] == "en"

        for lang, label in LABELS.items():  # the header's look-up box, in every language
            expect(_look_up(page, label).first).to_have_attribute("href", "/concepts/five-competitive-forces")

        page.goto("/concepts/five-competitive-forces")
        page.get_by_role("link", name="Edit this concept").click()
        expect(page.locator("#label-sv")).to_have_value(LABELS["sv"])  # the languages it has are shown
        expect(page.locator("#label-nl")).to_be_hidden()
        page.get_by_label("Add a language").select_option("nl")
        page.get_by_role("button", name="Add", exact=True).click()
        page.locator("#label-nl").fill("Vijf concurrentiekrachten")
        page.locator("#aliases-en").fill("Porter's five forces\nfive forces model")
        page.get_by_role("button", name="Save changes").click()
        _wait_for_job(page, "Concept changed")
        page.get_by_role("link", name="see the concept").click()
        expect(page.locator("td[lang=nl]").first).to_have_text("Vijf concurrentiekrachten")
        expect(_look_up(page, "Vijf concurrentiekrachten").first).to_have_attribute(
            "href", "/concepts/five-competitive-forces")

        # A reader of German sees the German label first, then English.
        page.goto("/?glosses=de")
        page.goto("/concepts/five-competitive-forces")
        assert _label_languages(page)[:2] == ["de", "en"]

        # A course pack of the concept and its passage in the uploaded article, exported with that article's
        # metadata.
        page.get_by_role("button", name="Add concept to course pack").click()
        passages.first.get_by_role("button", name="Add passage to course pack").first.click()
        expect(page.locator("[data-pack-count]")).to_have_text("(2)")
        page.get_by_role("link", name="Course pack").click()
        expect(page.locator(".pack-item")).to_have_count(2)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSL-JSON").click()
        references = json.loads(open(download.value.path(), encoding="utf-8").read())
        mine = [r for r in references if r["title"] == METADATA["title"]]
        assert mine and [a["family"] for a in mine[0]["author"]] == ["Lind", "Berg"], references

        if AXE.exists():  # every trainer page passes axe (injecting it needs a CSP bypass: its own context)
            audit = browser.new_context(base_url=write_stack.base, bypass_csp=True,
                                        storage_state=page.context.storage_state())
            try:
                checker = audit.new_page()
                for url in ("/concepts/five-competitive-forces/edit", "/concepts/new",
                            "/concepts/five-competitive-forces/delete", "/upload", job_url, document_url,
                            "/concepts/five-competitive-forces", "/concepts?q=" + quote("five forces"), "/signin"):
                    checker.goto(url)
                    _no_violations(checker)
            finally:
                audit.close()

        page.goto("/concepts/five-competitive-forces")
        page.get_by_role("link", name="Remove this concept").click()
        page.get_by_role("button", name="Remove permanently").click()
        _wait_for_job(page, "Concept removed")
        assert page.request.get("/api/concepts/five-competitive-forces").status == 404
        page.goto("/concepts")
        expect(page.locator("main")).not_to_contain_text(LABELS["en"])

        # Signed out, the page offers sign-in instead of its write controls, and the form leads through it again.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("link", name="Trainer sign-in")).to_be_visible()
        page.goto("/concepts")
        expect(page.get_by_role("link", name="Add a concept")).to_have_count(0)
        page.get_by_role("link", name="Sign in to edit").click()
        expect(page).to_have_url(f"{write_stack.base}/signin?next=/concepts")
        page.goto("/concepts/new")
        expect(page).to_have_url(f"{write_stack.base}/signin?next=/concepts/new")
        assert not errors, errors
