"""axe-core finds no accessibility violation on the reader's pages (the trainer's are checked in
test_webapp_concepts_browser.py, on a server that takes writes)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

AXE = Path(__file__).resolve().parents[2] / ".venv/npm/node_modules/axe-core/axe.min.js"

pytestmark = pytest.mark.browser


@pytest.fixture
def axe_page(browser, live_server):
    if not AXE.exists():
        pytest.skip(f"axe-core is missing at {AXE} (make test installs it)")
    # Injecting axe is an inline script, which the app's CSP rightly blocks.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    yield context.new_page()
    context.close()


def _document_passage_url(page) -> str:
    page.goto("/?q=" + quote("customer lock-on"))
    return page.locator("article.passage").first.get_by_role("link", name="Read in the document").get_attribute("href")


QUERY = "/?q=" + quote("What are the three value disciplines?")


@pytest.mark.parametrize("target", ["search", "search-de-hover", "concept", "concepts", "lookup", "documents",
                                    "document", "pack"])
def test_no_violations(axe_page, target):
    url = {
        "search": QUERY + "&glosses=en&gloss_view=interlinear",
        "search-de-hover": QUERY + "&glosses=de&gloss_view=hover",
        "concept": "/concepts/customer-intimacy",
        "concepts": "/concepts",
        "lookup": "/concepts?q=" + quote("Kundennähe"),
        "documents": "/documents",
        "pack": "/pack",
    }.get(target) or _document_passage_url(axe_page)
    axe_page.goto(url)
    axe_page.add_script_tag(path=str(AXE))
    violations = axe_page.evaluate("async () => (await axe.run()).violations.map("
                                   "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))")
    assert not violations, violations
