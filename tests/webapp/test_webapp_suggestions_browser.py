"""Acceptance: a trainer, in a real browser over the real stack (nginx -> gunicorn, job runner), reads a suggested
concept with the sentences that ground it, accepts it with its prefilled labels and drafted definition (in its own
language) and the English it types itself, and finds the concept it became.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import signed_in_page  # tests/webapp/conftest.py (this folder is not a package)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / ".venv/npm/node_modules/axe-core/axe.min.js"


def test_a_trainer_accepts_a_suggestion_with_its_prefilled_labels_and_drafted_definition(browser, write_stack):
    with signed_in_page(browser, write_stack, "/suggestions") as (page, errors):
        expect(page.get_by_role("heading", name="Suggested concepts", exact=True)).to_be_visible()

        # The suggestion named in most languages: every label is prefilled, the definition drafted from a sentence.
        listed = page.request.get("/api/suggestions").json()["suggestions"]
        pick = max(listed, key=lambda s: len(s["labels"]))
        card = page.locator(f"#suggestion-{pick['id']}")
        expect(card.locator(".suggestion-sentences li").first).to_contain_text(pick["passages"][0]["sentence"])
        expect(card.locator(".suggestion-sentences mark").first).to_have_text(pick["passages"][0]["text"])
        card.get_by_text("Accept or dismiss").click()
        for lang, label in pick["labels"].items():
            expect(card.locator(f"input[name=label-{lang}]")).to_have_value(label)
        best = pick["passages"][0]
        drafted = card.locator(f"textarea[name=definition-{best['lang']}]")
        expect(drafted).to_have_value(best["sentence"])
        # No English is made up: the English name and definition wait for the trainer, and the form says so.
        english = card.locator("textarea[name=definition-en]")
        expect(english).to_have_value("")
        expect(card.locator("input[name=label-en]")).to_have_value("")
        card.get_by_role("button", name="Accept as a concept").click()
        assert card.locator("input[name=label-en]").evaluate("e => e.validity.valueMissing")

        # The trainer names it in English, writes the English definition and edits the drafted one.
        card.locator("input[name=label-en]").fill("Suggested test concept")
        english.fill("A concept the trainer defined in English.")
        edited = f"{best['sentence']} (edited by the trainer)"
        drafted.fill(edited)
        card.get_by_role("button", name="Accept as a concept").click()
        expect(page.locator("main")).to_contain_text("Concept added", timeout=180_000)

        concept = page.request.get("/api/concepts/suggested-test-concept").json()
        assert concept["definitions"] == {**concept["definitions"], "en": "A concept the trainer defined in English.",
                                          best["lang"]: edited}
        assert concept["labels"] == {**pick["labels"], "en": "Suggested test concept"}
        page.goto("/suggestions")
        expect(page.locator(f"#suggestion-{pick['id']}")).to_have_count(0)

        if AXE.exists():  # the page passes axe (injecting it needs a CSP bypass: its own context)
            audit = browser.new_context(base_url=write_stack.base, bypass_csp=True,
                                        storage_state=page.context.storage_state())
            try:
                checker = audit.new_page()
                checker.goto("/suggestions")
                checker.add_script_tag(path=str(AXE))
                found = checker.evaluate("async () => (await axe.run()).violations.filter(v => ['serious', "
                                         "'critical'].includes(v.impact)).map(v => v.id)")
                assert found == [], found
            finally:
                audit.close()
        assert not errors, errors
