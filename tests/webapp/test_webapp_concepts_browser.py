"""Acceptance: a trainer, in a real browser over the real stack (nginx -> gunicorn, job runner), adds a concept in
three languages, sees it grounded in an uploaded article, finds it by look-up in each language, edits and removes it.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import ADMIN_TOKEN, watch  # tests/webapp/conftest.py (this folder is not a package)

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


def _no_serious_violations(page) -> None:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run()).violations.filter(v => ['serious', 'critical']"
                          ".includes(v.impact)).map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))")
    assert found == [], found


def _wait_for_job(page, what: str) -> None:
    """The job page reloads itself (no script) until the runner has published the write."""
    expect(page.locator("main")).to_contain_text(what, timeout=180_000)


# Slow: its own writable stack, and several concept jobs each re-grounding every passage, driven in Chromium.
def test_a_trainer_adds_grounds_finds_edits_and_removes_a_concept(browser, write_stack):
    context = browser.new_context(base_url=write_stack.base)
    page = context.new_page()
    errors = watch(page)
    try:
        # Sign in on the way to the form; the browser keeps the session.
        page.goto("/concepts")
        page.get_by_role("link", name="Add a concept").click()
        expect(page).to_have_url(f"{write_stack.base}/signin?next=/concepts/new")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Add a concept")).to_be_visible()

        page.get_by_label("Id").fill("five-competitive-forces")
        for lang, label in LABELS.items():
            page.locator(f"#label-{lang}").fill(label)
        page.locator("#definition-en").fill("Porter's model of the five forces that shape competition in an industry.")
        page.get_by_label("Related concepts").select_option(["competitive-advantage"])
        page.get_by_role("button", name="Add concept").click()
        _wait_for_job(page, "Concept added")

        # A matching article, uploaded through the UI while signed in (no token field: the session's CSRF token).
        page.goto("/upload")
        expect(page.get_by_label("Admin token")).to_have_count(0)
        page.get_by_label("File").set_input_files(
            {"name": "fem-krafter.txt", "mimeType": "text/plain", "buffer": ARTICLE})
        page.get_by_role("button", name="Upload").click()
        _wait_for_job(page, "Added")

        page.goto("/concepts/five-competitive-forces")
        passages = page.get_by_role("region", name="Grounded passages").or_(page.locator("section").filter(
            has=page.get_by_role("heading", name="Grounded passages")))
        expect(passages.first).to_contain_text("Fem konkurrenskrafter i detaljhandeln")
        expect(page.locator("td[lang=de]").first).to_have_text(LABELS["de"])

        for lang, label in LABELS.items():
            answer = page.request.get(f"/api/concepts/lookup?q={quote(label)}").json()
            assert answer["matches"][0]["id"] == "five-competitive-forces", (lang, answer)

        page.get_by_role("link", name="Edit this concept").click()
        expect(page.locator("#label-sv")).to_have_value(LABELS["sv"])
        page.locator("#label-nl").fill("Vijf concurrentiekrachten")
        page.locator("#aliases-en").fill("Porter's five forces\nfive forces model")
        page.get_by_role("button", name="Save changes").click()
        _wait_for_job(page, "Concept changed")
        page.get_by_role("link", name="see the concept").click()
        expect(page.locator("td[lang=nl]").first).to_have_text("Vijf concurrentiekrachten")
        answer = page.request.get("/api/concepts/lookup?q=" + quote("Vijf concurrentiekrachten")).json()
        assert answer["matches"][0]["id"] == "five-competitive-forces", answer

        if AXE.exists():  # the trainer's forms pass axe too (injecting it needs a CSP bypass: its own context)
            audit = browser.new_context(base_url=write_stack.base, bypass_csp=True,
                                        storage_state=context.storage_state())
            try:
                checker = audit.new_page()
                for url in ("/concepts/five-competitive-forces/edit", "/concepts/new",
                            "/concepts/five-competitive-forces/delete"):
                    checker.goto(url)
                    _no_serious_violations(checker)
            finally:
                audit.close()

        page.get_by_role("link", name="Remove this concept").click()
        page.get_by_role("button", name="Remove permanently").click()
        _wait_for_job(page, "Concept removed")
        assert page.request.get("/api/concepts/five-competitive-forces").status == 404
        page.goto("/concepts")
        expect(page.locator("main")).not_to_contain_text(LABELS["en"])
        assert not errors, errors
    finally:
        context.close()
