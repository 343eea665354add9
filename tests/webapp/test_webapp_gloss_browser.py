"""In a real browser: a German-speaking reader sees German concept glosses, switches to French, and it sticks."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from conftest import watch  # tests/webapp/conftest.py (this folder is not a package)

pytestmark = pytest.mark.browser


def test_reader_language_follows_the_browser_then_the_readers_choice(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="de-DE")
    page = context.new_page()
    errors = watch(page)
    try:
        page.goto("/?q=" + quote("What are the three value disciplines?") + "&k=3")
        assert page.locator("#glosses").input_value() == "de"
        concept = page.locator("ruby.gloss-concept rt").first
        assert concept.get_attribute("lang") == "de" and concept.is_visible()
        assert page.locator('ruby.gloss rt[lang="en"]').count() > 5  # dictionary glosses above their words
        page.select_option("#glosses", "fr")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        assert page.locator("ruby.gloss-concept rt").first.get_attribute("lang") == "fr"
        page.locator("article.passage").first.get_by_role("link", name="Read in the document").click()
        page.wait_for_load_state()
        assert page.locator("#glosses").input_value() == "fr"  # remembered across pages
        assert page.locator("mark.sentence").count() > 0 and page.locator(".document-text ruby").count() > 10
    finally:
        context.close()
    assert not errors, errors
