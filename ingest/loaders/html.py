"""HTML pages: the main text without navigation, scripts, headers and footers; title and <meta> metadata."""
from __future__ import annotations

import copy
import re

from lxml import etree
from lxml import html as lxml_html

from index.errors import DocumentError

from .. import limits
from .base import CODE_END, CODE_START, Extracted, capped, check_markup, code_block, unmarked
from .plain import decode


# Navigation blocks and dialogs (cookie banners) by role or class: texinfo's "Next: ... Up: ..." panels, DocBook's
# nav header and footer. The class tests run only on elements that have a class, in one predicate (five whole-tree
# passes took a second per 400,000 elements).
_NAV_CLASSES = ("nav-panel", "navheader", "navfooter", "breadcrumb", "breadcrumbs")
_NAVIGATION = (
    "//script|//style|//noscript|//template|//nav|//aside|//*[@role='navigation' or @role='dialog' or @role='alertdialog']"
    "|//header[not(ancestor::article or ancestor::main)]|//footer[not(ancestor::article or ancestor::main)]"
    "|//*[@class][" + " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in _NAV_CLASSES)
    + "]|//div[contains(concat(' ', normalize-space(@class), ' '), ' header ')][.//a[@accesskey or @rel]]"
)
# Elements a browser lays out as blocks of their own: each ends a line of the page's text.
_HTML_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl",
                          "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                          "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr",
                          "ul"})
# Preformatted blocks trafilatura left out, searched for in its text before the rest go unmarked.
_MAX_CODE_MISSES = 20
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SUBSET_END = re.compile(r"\][ \t\r\n]*>")  # where a DOCTYPE's internal subset closes
_LEADING_SPACE = re.compile(r"\s*")
_HTML_TEXT = re.compile(r"(?<=>)[^<]*?[^<\s][^<]*")  # text between tags
_HTML_UNSHOWN = re.compile(r"<(/?)(script|style)\b", re.IGNORECASE)  # scripts and styles are not text
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# <meta name=...> of HTML pages (Dublin Core, Highwire Press "citation_*" tags as Google Scholar reads them) ->
# the metadata field they fill; the first name listed for a field wins.
_HTML_META = {
    "citation_title": "title", "dc.title": "title",
    "citation_author": "authors", "dc.creator": "authors", "author": "authors",
    "citation_publication_date": "date", "citation_date": "date", "dc.date": "date",
    "citation_publisher": "publisher", "citation_journal_title": "publisher", "dc.publisher": "publisher",
    "citation_language": "lang", "dc.language": "lang",
}


# Google Scholar's inclusion guidelines write citation_publication_date with slashes, month and day unpadded.
_SLASHED_DATE = re.compile(r"^\s*(\d{4})/(\d{1,2})(?:/(\d{1,2}))?\s*$", re.ASCII)


def load_html(data: bytes, name: str) -> Extracted:
    """An HTML page's main text without navigation, scripts, headers and footers; title from <title> or <h1>."""
    # The bytes are decoded already; an XML declaration naming an encoding would make lxml refuse the str.
    # Control characters are not XML text: lxml refuses them when it moves text around.
    markup = _without_internal_subset(_XML_CONTROL.sub("", _XML_DECLARATION.sub("", decode(data, name), count=1)))
    # Counted on the markup, before lxml builds a tree of it (hundreds of MB for 10 MB of empty paragraphs).
    elements = markup.count("<") - markup.count("</")
    check_markup(elements, _shown_chars(markup), name)
    try:
        # libxml2 stops reading past 256 levels of nesting unless told the tree may be huge (an old page with an
        # unclosed <font> per paragraph lost all but its first 127), and past 2,048 even then: silently, so it is
        # asked. The page's size is bounded above.
        parser = lxml_html.HTMLParser(huge_tree=True)
        tree = lxml_html.document_fromstring(markup, parser=parser)
        if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
            raise DocumentError(f"{name}: HTML nested too deeply to read whole (its elements left unclosed?)")
    except (etree.ParserError, ValueError):
        raise DocumentError(f"{name}: no HTML content") from None
    declared = _html_meta(tree)
    title = declared.pop("title", None) or _first_text(tree, "//head/title") or None
    # A page's own heading may sit in its top header (<header><h1>Release notes</h1></header><main>), which goes
    # with the site's chrome: the heading is read first, and counts only where no heading is left outside.
    headed = _first_text(tree, "//header[not(ancestor::nav)]//h1")
    for element in tree.xpath(_NAVIGATION):
        element.drop_tree()
    title = title or _first_text(tree, "//h1") or headed or None
    text = ""
    if len(markup) <= limits.MAX_TRAFILATURA_CHARS and elements <= limits.MAX_TRAFILATURA_ELEMENTS:
        import trafilatura  # ~0.6 s to import: only when an HTML page is parsed

        text = trafilatura.extract(
            copy.deepcopy(tree), include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
        ) or ""
        text = _code_marked(text, tree)
    return Extracted(capped(text or _visible_html_text(tree), name), title, declared)


def _without_internal_subset(markup: str) -> str:
    """The markup without a DOCTYPE's internal subset (<!DOCTYPE html [<!ENTITY ...>]>), which no HTML parser reads:
    libxml2 kept its `]>` as the page's first text, and so its title. Its entities are not expanded either."""
    start = _LEADING_SPACE.match(markup).end()
    if markup[start:start + 9].casefold() != "<!doctype":
        return markup
    close, bracket = markup.find(">", start), markup.find("[", start)
    if bracket < 0 or 0 <= close < bracket:
        return markup
    end = _SUBSET_END.search(markup, bracket)
    return markup[:start] + markup[end.end():] if end else markup[:start]


def _code_marked(text: str, tree) -> str:
    """trafilatura's text with each preformatted block (<pre>) it kept marked as code, as the page writes it: it
    keeps their lines but drops blank ones, and says nothing of where they were, so each is found in order."""
    text = unmarked(text)
    # A block is found on lines of its own, never inside a sentence that quotes it: "\n" around both.
    marked, at, misses, lines = [], 0, 0, f"\n{text}\n"
    for pre in tree.xpath("//pre[not(ancestor::pre)]"):
        code = unmarked(pre.text_content()).strip("\n")
        kept = "\n".join(line.rstrip() for line in code.split("\n") if line.strip())
        found = lines.find(f"\n{kept}\n", at) if kept else -1  # where it starts in `text`: one "\n" added before
        if found >= 0:
            marked += [text[at:found], code_block(code)]
            at = found + len(kept)
        elif kept:
            misses += 1  # each searched the rest of the text: a page of thousands it dropped costs a few searches
            if misses > _MAX_CODE_MISSES:
                break
    return "".join(marked) + text[at:]


def _html_meta(tree) -> dict:
    found: dict[str, list[str]] = {}
    for element in tree.xpath("//meta[@name and @content]"):
        field_name = _HTML_META.get(element.get("name").strip().lower())
        if field_name:
            found.setdefault(field_name, []).append((element.get("name").strip().lower(), element.get("content")))
    declared: dict = {}
    for field_name, values in found.items():
        # Authors are every value of the best-ranked tag present (citation_author repeats, one per author).
        order = list(_HTML_META)
        best = min(values, key=lambda v: order.index(v[0]))[0]
        contents = [c for tag, c in values if tag == best]
        declared[field_name] = contents if field_name == "authors" else contents[0]
    if isinstance(declared.get("date"), str):
        declared["date"] = _iso_date(declared["date"])
    return declared


def _iso_date(value: str) -> str:
    """A date as Google Scholar asks pages to write it (2010/5/12, 2010/05), as ISO 8601; any other as it is."""
    found = _SLASHED_DATE.match(value)
    return "-".join([found[1], *(part.zfill(2) for part in found.groups()[1:] if part)]) if found else value


def _first_text(tree, xpath: str) -> str:
    for element in tree.xpath(xpath):
        text = " ".join(element.text_content().split())
        if text:
            return text
    return ""


def _visible_html_text(tree) -> str:
    """A page's text as a browser lays it out, for pages too small for trafilatura's heuristics or too large for its
    speed: one walk over the tree, a block element or a line break ending a line, table cells apart, every text and
    tail kept (text directly in a div or a section too); preformatted blocks marked as code."""
    parts: list[str] = []
    hidden = 0  # depth inside the head, where the title was read already
    preformatted = 0  # depth inside <pre>: the outermost one is a block of code
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""  # comments and processing instructions: no tag
        if tag == "head":
            hidden += 1 if event == "start" else -1
            continue
        if hidden:
            continue
        if event == "start":
            parts.append("\n" if tag in _HTML_BLOCKS or tag == "br" else " " if tag in ("td", "th") else "")
            if tag == "pre":
                preformatted += 1
                parts.append(CODE_START if preformatted == 1 else "")
            if tag and element.text:
                parts.append(unmarked(element.text))  # a page's own marks (&#983056;) mark nothing
        else:
            if tag == "pre":
                preformatted -= 1
                parts.append(CODE_END if preformatted == 0 else "")
            parts.append("\n" if tag in _HTML_BLOCKS else "")
            if element.tail:
                parts.append(unmarked(element.tail))
    return "".join(parts)


def _shown_chars(markup: str) -> int:
    """Characters of text between an HTML page's tags, outside its scripts and styles (1 MB of script let 2.9
    million empty paragraphs through, 590 MB of tree); one pass over the tags that open and close them."""
    shown, inside, start = [], None, 0
    for tag in _HTML_UNSHOWN.finditer(markup):
        closing, kind = tag[1] == "/", tag[2].lower()
        if inside is None and not closing:
            shown.append(markup[start:tag.start()])
            inside = kind
        elif inside == kind and closing:
            inside, start = None, tag.start()
    if inside is None:
        shown.append(markup[start:])
    return sum(len(text) for part in shown for text in _HTML_TEXT.findall(part))
