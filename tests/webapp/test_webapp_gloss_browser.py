"""In a real browser: glosses in the reader's language that never break the text, under the words, on hover or
focus (keyboard and touch), or hidden; the reader's choices stick."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import watch  # tests/webapp/conftest.py (this folder is not a package)

pytestmark = pytest.mark.browser

QUERY = "/?q=" + quote("What are the three value disciplines?") + "&k=3"
WIDTHS = (1280, 768, 375)

# Every word of the glossed text (glossed or not) must lie on one line: a Range over it has one box. No two
# visible glosses may overlap, no gloss may cover a word other than its own (on its line or the next), and a short
# one is shown whole.
LAYOUT_PROBLEMS = """
(root) => {
  const problems = [];
  const visible = (r) => r.width > 0 && r.height > 0;
  const words = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.gw-gloss, .visually-hidden')) continue;
    for (const match of node.data.matchAll(/[\\p{L}\\p{N}]+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const boxes = [...range.getClientRects()].filter(visible);
      if (boxes.length !== 1) problems.push(`"${match[0]}" is split over ${boxes.length} boxes`);
      else words.push({text: match[0], box: boxes[0], owner: node.parentElement.closest('.gw')});
    }
  }
  const glosses = [...root.querySelectorAll('.gw-gloss')]
    .map((el) => ({el, text: el.textContent, box: el.getBoundingClientRect(), owner: el.closest('.gw')}))
    .filter((g) => visible(g.box));
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
    && b.top < a.bottom - 0.5;
  for (let i = 0; i < glosses.length; i++) {
    const g = glosses[i];
    if (g.box.right > g.owner.getBoundingClientRect().right + 0.5) problems.push(`"${g.text}" is wider than its box`);
    // A gloss of a few words is read whole: two lines of 10rem hold 40 characters (the customer is emperor).
    const main = g.el.querySelector('.gw-main');
    if (main && main.textContent.length <= 40
        && (g.el.scrollHeight > g.el.clientHeight + 1 || g.el.scrollWidth > g.el.clientWidth + 1)) {
      problems.push(`"${main.textContent}" is cut`);
    }
    for (let j = i + 1; j < glosses.length; j++) {
      if (overlap(g.box, glosses[j].box)) problems.push(`glosses "${g.text}" and "${glosses[j].text}" overlap`);
    }
    for (const w of words) {
      if (w.owner !== g.owner && overlap(g.box, w.box)) problems.push(`gloss "${g.text}" covers "${w.text}"`);
    }
  }
  return {problems, words: words.length, glosses: glosses.length};
}
"""


def _document_url(page) -> str:
    page.goto(QUERY + "&glosses=en")
    return page.locator("article.passage").first.get_by_role("link", name="Read in the document").get_attribute("href")


def _check_layout(page, where: str, width: int) -> None:
    boxes = page.locator(".glossed")
    checked = [boxes.nth(i).evaluate(LAYOUT_PROBLEMS) for i in range(boxes.count())]
    assert checked, f"{where} at {width} px: nothing glossed"
    problems = [p for c in checked for p in c["problems"]]
    assert not problems, (where, width, problems[:10])
    assert sum(c["glosses"] for c in checked) > 10 and sum(c["words"] for c in checked) > 50
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways


def test_reader_language_follows_the_browser_then_the_readers_choice(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="de-DE")
    page = context.new_page()
    errors = watch(page)
    try:
        page.goto(QUERY)
        assert page.locator("#glosses").input_value() == "de"
        concept = page.locator(".gw-concept .gw-gloss").first
        assert concept.get_attribute("lang") == "de" and concept.is_visible()
        english = page.locator('.gw-gloss[lang="en"]')
        assert english.count() > 5  # dictionary glosses under their words, marked as English
        expect(english.first.locator(".gw-lang")).to_be_visible()
        expect(page.locator(".gloss-legend")).to_contain_text("English gloss")
        page.select_option("#glosses", "fr")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        assert page.locator(".gw-concept .gw-gloss").first.get_attribute("lang") == "fr"
        page.locator("article.passage").first.get_by_role("link", name="Read in the document").click()
        page.wait_for_load_state()
        assert page.locator("#glosses").input_value() == "fr"  # remembered across pages
        assert page.locator("mark.sentence").count() > 0 and page.locator(".document-text .gw").count() > 10
    finally:
        context.close()
    assert not errors, errors


def test_glosses_never_break_or_cover_the_text(browser, live_server, tmp_path):
    shots = Path(os.environ.get("KB_TEST_SCREENSHOTS") or tmp_path)  # docs/screenshots/ when refreshing those
    shots.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
        page = context.new_page()
        errors = watch(page)
        try:
            document = _document_url(page)
            _check_layout(page, "search", width)
            page.locator("article.passage").first.screenshot(path=str(shots / f"search-glosses-{width}.png"))
            page.goto(document)
            _check_layout(page, "document", width)
            if width == WIDTHS[-1]:
                page.emulate_media(media="print")
                _check_layout(page, "document (print)", width)
                expect(page.locator(".reader-form")).to_be_hidden()  # paper shows the text, not the controls
        finally:
            context.close()
        assert not errors, errors


def test_glosses_on_hover_focus_or_tap_and_hidden(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 812}, has_touch=True)
    page = context.new_page()
    errors = watch(page)
    try:
        page.goto(QUERY + "&glosses=en&gloss_view=interlinear")
        page.evaluate("window.__same_page = true")
        page.select_option("#glosses-view", "hover")  # switched at once, no reload
        assert page.evaluate("window.__same_page") is True
        text = page.locator(".passage-text").first
        expect(text).to_have_class("passage-text glossed gloss-hover")
        gloss = text.locator(".gw-gloss").first
        expect(gloss).to_be_hidden()

        word = text.locator(".gw").first  # by keyboard: the word is focusable and described by its gloss
        word.focus()
        expect(gloss).to_be_visible()
        assert word.get_attribute("aria-describedby") == gloss.get_attribute("id")
        box = gloss.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375  # the popover stays on the screen
        page.keyboard.press("Escape")
        expect(gloss).to_be_hidden()
        expect(word).to_be_focused()  # Escape closes the gloss and leaves the reader where they were (WCAG 1.4.13)
        page.keyboard.press("Tab")
        page.keyboard.press("Shift+Tab")
        expect(gloss).to_be_visible()  # back on the word: it opens again
        page.keyboard.press("Escape")
        second = text.locator(".gw").nth(1)  # under the pointer: Escape closes it too, the pointer staying
        second.hover()
        expect(second.locator(".gw-gloss")).to_be_visible()
        page.keyboard.press("Escape")
        expect(second.locator(".gw-gloss")).to_be_hidden()

        last = text.locator(".gw").last  # by touch, on the right-hand side too
        last.tap()
        popover = last.locator(".gw-gloss")
        expect(popover).to_be_visible()
        box = popover.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375

        page.goto(QUERY + "&glosses=en")  # the cookie the script wrote is the server's choice too
        expect(page.locator(".passage-text").first).to_have_class("passage-text glossed gloss-hover")
        page.select_option("#glosses-view", "none")
        expect(page.locator(".passage-text .gw-gloss").first).to_be_hidden()
        assert page.locator(".passage-text .gw[tabindex]").count() == 0
        page.select_option("#glosses-view", "interlinear")
        expect(page.locator(".passage-text .gw-gloss").first).to_be_visible()
    finally:
        context.close()
    assert not errors, errors
