"""One loader per format, each turning a file's bytes into raw text and, where the format says, a title.

Every loader is bounded (see `limits`): hostile input costs seconds and tens of MB at most, and
every failure is a DocumentError naming the file.
"""
from __future__ import annotations

import codecs
import copy
import datetime
import io
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import yaml
from charset_normalizer import from_bytes
from lxml import etree
from lxml import html as lxml_html

from index.errors import DocumentError

from . import limits
from .safezip import SafeZip

# Bytes that never occur in text; their presence marks a binary file wearing a text extension.
_BINARY_MARKERS = (b"\x00",)
# How much more chaos (charset_normalizer's measure of implausible characters, 0 to 1) cp1252 may show than the
# detector's best guess and still win: typographic quotes in a short Dutch sentence read as 0.03 in cp1252, where
# mac_latin2 reads them as 0 (Ďprivťí); a text in another script or Central European letters reads as far more.
_CHAOS_TIE = 0.05
# The share of NUL high bytes that marks UTF-16 without a BOM (text in Latin letters has almost only those).
_UTF16_ZEROS = 0.6
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)
# Markdown syntax to strip, in order. Each pattern runs in time linear in the text: a span stops at the next opener
# of its kind, whitespace never runs across lines where a line is matched, so that no start scans on to the end of
# the text (as `\[([^\]]+)` over "[[[[..." or `^\s*` over blank lines did: 40 KB of newlines took 25 s).
_MAX_EMPHASIS = 500
_MD_SYNTAX = [
    (re.compile(r"!\[([^\[\]]*)\]\([^()\n]*\)"), r"\1"),
    (re.compile(r"\[([^\[\]]+)\]\([^()\n]*\)"), r"\1"),
    # Reference links ([text][ref], and their definitions [ref]: URL "title"), footnote marks ([^1]), task boxes.
    (re.compile(r"^[ \t]{0,3}\[(?!\^)[^\[\]\n]+\]:[ \t]*\S+[^\n]*$", re.MULTILINE), ""),
    (re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]"), r"\1"),
    (re.compile(r"^([ \t]{0,3})\[\^[^\[\]\s]+\]:[ \t]*", re.MULTILINE), r"\1"),
    (re.compile(r"\[\^[^\[\]\s]+\]"), ""),
    (re.compile(r"^([ \t]*[-*+][ \t]+)\[[ xX]\][ \t]+", re.MULTILINE), r"\1"),
    (re.compile(r"~~([^~\n]+)~~"), r"\1"),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE), ""),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE), ""),
    # Strong emphasis spans a few words, not a paragraph: bounded, an opener without a closer in a long paragraph (whose
    # soft breaks are joined) does not scan on to its end.
    (re.compile(r"(\*\*|__)(.{1,%d}?)\1" % _MAX_EMPHASIS), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?!\s)([^*_\n]+?)(?<!\s)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.MULTILINE), ""),
    # HTML inside Markdown: comments go, a line break or a block element ends a line, other elements of HTML go and
    # their text stays; an autolink is its address. What only looks like a tag (kbctl set <name> <value>, a < b > c)
    # is text.
    (re.compile(r"<!--.*?(?:-->|$)", re.DOTALL), ""),
    (re.compile(r"</?(?:br|p|div|h[1-6]|li|ul|ol|dl|dt|dd|table|tr|td|th|pre|blockquote|section|hr|details|summary)"
                r"\b[^<>]*>", re.IGNORECASE), "\n"),
    (re.compile(r"</?(?:" + "|".join(("a", "abbr", "b", "code", "del", "em", "font", "i", "img", "ins", "kbd", "mark",
                                       "q", "s", "samp", "small", "span", "strong", "sub", "sup", "u", "var", "video",
                                       "audio", "source", "picture", "figure", "figcaption", "center", "tbody",
                                       "thead", "caption", "colgroup", "col", "input"))
                + r")\b[^<>]*>", re.IGNORECASE), ""),
    (re.compile(r"<((?:https?|ftp)://[^<>\s]+|[^<>\s@]+@[^<>\s@]+)>"), r"\1"),
]
# A line that begins a block of its own rather than continuing a paragraph (heading, quote, table, list item,
# setext underline, link or footnote definition, indented code, HTML), and a line that never runs on (heading,
# table row).
_MD_BLOCK_START = re.compile(r"^(?:[ \t]{0,3}(?:[#>|<]|[-*+][ \t]|\d{1,9}[.)][ \t]|=+[ \t]*$|-+[ \t]*$|\[[^\]\n]+\]:)"
                             r"|[ \t]{4}|\t)")
_MD_ALONE = re.compile(r"^[ \t]{0,3}(?:#|\|)|.*\|[ \t]*$")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|<>])")
_ESCAPE_BASE = 0xE000
_MD_HELD = re.compile("[\ue020-\ue07e]")
# A fence opens or closes a code block: three or more backticks or tildes at a line's start.
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# Front matter: YAML between two lines of three dashes at the very start of a file (Jekyll, Hugo, Pandoc, MkDocs).
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MAX_FRONT_MATTER = 16 * 1024
# Front-matter keys -> the metadata field each fills.
_MAX_DECLARED_AUTHORS = 50
_FRONT_MATTER_FIELDS = {"title": "title", "author": "authors", "authors": "authors", "date": "date", "lang": "lang",
                        "language": "lang", "publisher": "publisher"}
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
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_TEXT = re.compile(r"(?<=>)[^<]*?[^<\s][^<]*")  # text between tags
_HTML_UNSHOWN = re.compile(r"<(/?)(script|style)\b", re.IGNORECASE)  # scripts and styles are not text
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A title's closing hashes are stripped after the match: a lazy title before `\s*#*\s*$` backtracked in time cubic in
# the spaces after it (3 KB took 32 s).
_ATX_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+([^\n]+)", re.MULTILINE)
_SETEXT_HEADING = re.compile(r"^(\S[^\n]*)\n[ \t]{0,3}(=+|-+)[ \t]*$", re.MULTILINE)
# <meta name=...> of HTML pages (Dublin Core, Highwire Press "citation_*" tags as Google Scholar reads them) ->
# the metadata field they fill; the first name listed for a field wins.
_HTML_META = {
    "citation_title": "title", "dc.title": "title",
    "citation_author": "authors", "dc.creator": "authors", "author": "authors",
    "citation_publication_date": "date", "citation_date": "date", "dc.date": "date",
    "citation_publisher": "publisher", "citation_journal_title": "publisher", "dc.publisher": "publisher",
    "citation_language": "lang", "dc.language": "lang",
}
# How many of a PDF page's first and last lines may be headers, footers and page numbers.
_EDGE_LINES = 5
_MAX_FURNITURE_CHARS = 120  # a header or footer is a line of a title, a chapter, a date: not a paragraph
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:(?:page|side|sida|pagina|seite|p\.)\s*)?[-–—(\[]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
                          r"(?:\s*(?:of|av|van|von|af|/)\s*\d{1,5})?$", re.IGNORECASE)
_NO_AUTHOR = frozenset({"anonymous", "unknown", "author", "administrator", "admin", "user", "owner", "(anonymous)",
                        "unspecified"})
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


@dataclass(frozen=True)
class Extracted:
    """Raw text of a file, the title its format declares (None when it declares none), and what else its properties
    say about it (`index.docmeta.FIELDS`: authors, date, publisher, lang), unchecked."""

    text: str
    title: str | None = None
    declared: dict = field(default_factory=dict)
    wrapped: bool = False  # lines end where a width broke them (plain text, PDF), not where paragraphs end


def _capped(text: str, name: str) -> str:
    _check_length(len(text), name)
    return text


def _check_length(chars: int, name: str) -> None:
    """Refuse a document once its text passes limits.MAX_TEXT_CHARS (streamed formats check as they go)."""
    if chars > limits.MAX_TEXT_CHARS:
        raise DocumentError(f"{name}: more than {limits.MAX_TEXT_CHARS:,} characters of text (limit)")


def decode(data: bytes, name: str) -> str:
    """Decode text bytes: a BOM's encoding (UTF-8/16/32), else UTF-8, else the detected legacy encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _capped(data.decode(encoding), name)
            except UnicodeDecodeError:
                raise DocumentError(f"{name}: invalid {encoding.upper()} text") from None
    if any(marker in data for marker in _BINARY_MARKERS):
        unmarked = _utf16_without_bom(data)
        if unmarked is None:
            raise DocumentError(f"{name}: binary content, not text")
        return _capped(unmarked, name)
    try:
        return _capped(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError(f"{name}: cannot detect the text encoding")
    # Code pages often decode a Western text without chaos (ä reads as ð in hp_roman8, å as ň in cp852), and the
    # detector's language coherence then picks among them by chance: where cp1252, the legacy encoding of the
    # corpus's Western European languages, reads the text as cleanly, it wins.
    western = from_bytes(data, cp_isolation=["cp1252"]).best()
    if western is not None and western.chaos <= best.chaos + _CHAOS_TIE:
        best = western
    return _capped(str(best), name)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text some Windows tools write without a BOM, where its NUL bytes say so (the high bytes of Latin
    text: every other byte), else None."""
    if len(data) % 2:
        return None
    for encoding, zeros in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if zeros.count(0) >= _UTF16_ZEROS * len(zeros):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return None if "\x00" in text else text
    return None


def load_plain(data: bytes, name: str) -> Extracted:
    """Plain text."""
    return Extracted(decode(data, name), wrapped=True)


def load_markdown(data: bytes, name: str) -> Extracted:
    """Markdown, with the markup stripped to its visible text and code blocks kept as written; title and what else
    its front matter says, else the title from the first heading outside code."""
    text, declared = _front_matter(decode(data, name))
    blocks = [(is_code, block if is_code else _soft_breaks_joined(block)) for is_code, block in _fenced_blocks(text)]
    prose = "\n\n".join(block for is_code, block in blocks if not is_code)
    headings = [m for m in (_ATX_HEADING.search(prose), _SETEXT_HEADING.search(prose)) if m]
    title = min(headings, key=lambda m: m.start())[1].strip().rstrip("#").rstrip() if headings else None
    # A backslash escapes what Markdown would read as markup (\*not emphasis\*): held aside as a private-use
    # character while the markup goes, then the character itself.
    blocks = [(is_code, block if is_code else _MD_ESCAPED.sub(lambda m: chr(_ESCAPE_BASE + ord(m[1])), block))
              for is_code, block in blocks]
    for pattern, replacement in _MD_SYNTAX:
        blocks = [(is_code, block if is_code else pattern.sub(replacement, block)) for is_code, block in blocks]
        title = pattern.sub(replacement, title) if title else title
    blocks = [(is_code, block if is_code else _MD_HELD.sub(lambda m: chr(ord(m[0]) - _ESCAPE_BASE), block))
              for is_code, block in blocks]
    title = declared.pop("title", None) or (title.strip() if title else None)
    return Extracted("\n".join(block for _, block in blocks), title, declared)


def _fenced_blocks(text: str) -> list[tuple[bool, str]]:
    """The text as (is code, text) blocks: a fenced block's lines as written, without its fences (an unclosed fence
    runs to the end, as CommonMark reads it); one pass over the lines."""
    blocks: list[tuple[bool, list[str]]] = [(False, [])]
    fence = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not fence and match:
            fence = match.group(1)
            blocks.append((True, []))
        elif fence and match and match.group(1).startswith(fence) and not line[match.end():].strip():
            fence = ""
            blocks.append((False, []))
        else:
            blocks[-1][1].append(line)
    return [(is_code, "\n".join(lines)) for is_code, lines in blocks if lines]


def _soft_breaks_joined(text: str) -> str:
    """Prose lines a Markdown paragraph continues on joined (a soft line break renders as a space), so that a wrapped
    paragraph reads as one; a heading, a table row, a hard break and the lines that begin a block stay apart."""
    out: list[list[str]] = []  # the pieces of each line, joined once: a book-long paragraph costs linear time
    previous = ""
    for line in text.split("\n"):
        if (previous.strip() and line.strip() and not _MD_BLOCK_START.match(line) and not _MD_ALONE.match(previous)
                and not previous.endswith(("  ", "\\"))):
            out[-1].append(" " + line.strip())
        else:
            out.append([line])
        previous = line
    return "\n".join("".join(pieces) for pieces in out)


def _front_matter(text: str) -> tuple[str, dict]:
    """The text without its YAML front matter, and the metadata fields it declares (title, authors, date, lang,
    publisher); a block that is not YAML mapping is left as text."""
    match = _FRONT_MATTER.match(text)
    if match is None or len(match.group(1)) > _MAX_FRONT_MATTER:
        return text, {}
    try:
        values = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return text, {}
    if not isinstance(values, dict):
        return text, {}
    declared: dict = {}
    for key, value in values.items():
        field_name = _FRONT_MATTER_FIELDS.get(str(key).strip().lower())
        if field_name is None or field_name in declared:
            continue
        if isinstance(value, (datetime.date, int)) and field_name == "date":
            value = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if field_name == "authors" and isinstance(value, list):
            value = [v for v in value if isinstance(v, str)][:_MAX_DECLARED_AUTHORS]
        if isinstance(value, str) or (field_name == "authors" and isinstance(value, list)):
            declared[field_name] = value
    return text[match.end():], declared


def load_html(data: bytes, name: str) -> Extracted:
    """An HTML page's main text without navigation, scripts, headers and footers; title from <title> or <h1>."""
    # The bytes are decoded already; an XML declaration naming an encoding would make lxml refuse the str.
    # Control characters are not XML text: lxml refuses them when it moves text around.
    markup = _XML_CONTROL.sub("", _XML_DECLARATION.sub("", decode(data, name), count=1))
    # Counted on the markup, before lxml builds a tree of it (hundreds of MB for 10 MB of empty paragraphs).
    elements = markup.count("<") - markup.count("</")
    _check_markup(elements, _shown_chars(markup), name)
    try:
        tree = lxml_html.document_fromstring(markup)
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
    return Extracted(_capped(text or _visible_html_text(tree), name), title, declared)


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
    return declared


def _first_text(tree, xpath: str) -> str:
    for element in tree.xpath(xpath):
        text = " ".join(element.text_content().split())
        if text:
            return text
    return ""


def _visible_html_text(tree) -> str:
    """A page's text as a browser lays it out, for pages too small for trafilatura's heuristics or too large for its
    speed: one walk over the tree, a block element or a line break ending a line, table cells apart, every text and
    tail kept (text directly in a div or a section too)."""
    parts: list[str] = []
    hidden = 0  # depth inside the head, where the title was read already
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""  # comments and processing instructions: no tag
        if tag == "head":
            hidden += 1 if event == "start" else -1
            continue
        if hidden:
            continue
        if event == "start":
            parts.append("\n" if tag in _HTML_BLOCKS or tag == "br" else " " if tag in ("td", "th") else "")
            if tag and element.text:
                parts.append(element.text)
        else:
            parts.append("\n" if tag in _HTML_BLOCKS else "")
            if element.tail:
                parts.append(element.tail)
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


def _check_markup(elements: int, chars: int, name: str) -> None:
    """Refuse a document of more elements than its characters of text allow (see limits.MAX_MARKUP_ELEMENTS)."""
    if elements > limits.MAX_MARKUP_ELEMENTS + limits.MAX_MARKUP_ELEMENTS_PER_CHAR * chars:
        raise DocumentError(f"{name}: {elements:,} elements for {chars:,} characters of text"
                            f" (limit {limits.MAX_MARKUP_ELEMENTS_PER_CHAR} per character; a markup bomb?)")


# pypdf warns once per damaged object it reads past: a 2 KB file of nested dictionaries wrote 33,000 lines (3.8 MB)
# on every parse. What it cannot read is an error of the upload; its repairs are not worth a line each.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load_pdf(data: bytes, name: str) -> Extracted:
    """Text of the pages of a PDF (at most MAX_PDF_PAGES); a scanned PDF without a text layer is an error."""
    from pypdf import PdfReader  # ~0.2 s to import: only when a PDF is parsed

    pages: list[str] = []
    size = content = maps = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        count = _page_count(reader, limits.MAX_PDF_PAGES)
        if count is None:
            declared = reader.trailer["/Root"]["/Pages"].get("/Count")
            raise DocumentError(f"{name}: more than {limits.MAX_PDF_PAGES:,} pages"
                                f"{f' ({declared:,} declared)' if isinstance(declared, int) else ''}")
        started = time.monotonic()
        for page in reader.pages:
            if time.monotonic() - started > limits.MAX_PDF_READ_SECONDS:
                raise DocumentError(f"{name}: reading its text took longer than {limits.MAX_PDF_READ_SECONDS} s"
                                    f" ({len(pages):,} of {count:,} pages read; split it, or a PDF bomb?)")
            drawn = page.get_contents()
            content += len(drawn.get_data()) if drawn is not None else 0
            _check_pdf_reading(content, "page content", limits.MAX_PDF_CONTENT_BYTES,
                               limits.MAX_PDF_CONTENT_BYTES_PER_CHAR, size, name)
            maps += _font_map_bytes(page)
            _check_pdf_reading(maps, "font character maps", limits.MAX_PDF_FONT_MAP_BYTES,
                               limits.MAX_PDF_FONT_MAP_BYTES_PER_CHAR, size, name)
            text = (page.extract_text() or "").strip()
            size += len(text)
            _check_length(size, name)
            if text:
                pages.append(text)
        title, declared = _pdf_title(reader), _pdf_info(reader)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises a dozen unrelated types (and RecursionError) on damaged files
        raise DocumentError(f"{name}: not a readable PDF ({exc.__class__.__name__})") from None
    if not pages:
        raise DocumentError(f"{name}: the PDF has no text layer (scanned image?)")
    # A page break is no paragraph break: a sentence running on to the next page is joined again like any wrapped line.
    return Extracted("\n".join(_without_furniture(pages)), title, declared, wrapped=True)


def _without_furniture(pages: list[str]) -> list[str]:
    """Pages without their furniture, peeled off each page's top and bottom: page numbers (12, - 12 -, Page 2 of 4,
    Sida 3) and running headers and footers (a line at the edges of at least half the pages, two at least, its
    numbers aside, and never inside one). Otherwise they sat mid-sentence where pages join, and named the document
    (Page 1 of 4)."""
    split = [page.split("\n") for page in pages]
    seen: Counter = Counter()
    inside: set[str] = set()  # a line also written inside a page is text, whatever its place elsewhere
    for lines in split:
        seen.update({_page_line(line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
        inside.update(_page_line(line) for line in lines[_EDGE_LINES:-_EDGE_LINES])
    running = {line for line, n in seen.items() if line and n >= 2 and n >= len(pages) / 2 and line not in inside
               and len(line) <= _MAX_FURNITURE_CHARS}

    def furniture(line: str) -> bool:
        return bool(_PAGE_NUMBER.match(line.strip())) or _page_line(line) in running

    kept = []
    for lines in split:
        start, end = 0, len(lines)
        while start < min(end, _EDGE_LINES) and furniture(lines[start]):
            start += 1
        while end > max(start, len(lines) - _EDGE_LINES) and furniture(lines[end - 1]):
            end -= 1
        text = "\n".join(lines[start:end]).strip()
        if text:
            kept.append(text)
    return kept


def _page_line(line: str) -> str:
    return _DIGITS.sub("#", line.strip().casefold())


def _page_count(reader, limit: int) -> int | None:
    """The pages of a PDF's page tree, counted by walking it; None past `limit`, where the walk stops: pypdf
    builds every page to count them (100,000 pages: 4-9 s and 260-400 MB a worker kept after the refusal)."""
    found, nodes, seen = 0, [reader.trailer["/Root"]["/Pages"]], 0
    while nodes:
        node = nodes.pop().get_object()
        seen += 1
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            kids = node.get("/Kids")
            nodes.extend(kids.get_object() if kids is not None else ())  # the array itself may be a reference
        else:
            found += 1
        # A tree of many empty nodes (or one that loops) costs as much to walk as one of pages.
        if found > limit or seen > 4 * limit:
            return None
    return found


def _check_pdf_reading(spent: int, what: str, base: int, per_char: int, chars: int, name: str) -> None:
    """Refuse a PDF once what its text extraction has read of `what` passes `base` plus `per_char` bytes per
    character of text found so far."""
    if spent > base + per_char * chars:
        raise DocumentError(f"{name}: {spent // limits.MiB:,} MB of {what} for {chars:,} characters of text (limit"
                            f" {base // limits.MiB} MB plus {per_char:,} bytes per character; a PDF bomb?)")


def _font_map_bytes(page) -> int:
    """Bytes of the ToUnicode maps of the fonts a PDF page names, which its text extraction reads."""
    resources = page.get("/Resources")
    fonts = resources.get_object().get("/Font") if resources is not None else None
    total = 0
    for font in (fonts.get_object().values() if fonts is not None else ()):
        to_unicode = font.get_object().get("/ToUnicode")
        if to_unicode is not None and hasattr(stream := to_unicode.get_object(), "get_data"):
            total += len(stream.get_data())
    return total


def _pdf_title(reader) -> str | None:
    title = reader.metadata.title if reader.metadata else None
    # Producers often leave a file name or a template's default as the title.
    if not isinstance(title, str) or not title.strip() or re.search(r"\.(docx?|pdf|indd|tex)$|^untitled", title.strip(), re.I):
        return None
    return title


def _pdf_info(reader) -> dict:
    info = reader.metadata or {}
    declared = {"authors": info.get("/Author"), "date": info.get("/CreationDate")}
    # Producers fill the author with a default of their own (ReportLab: anonymous; Word: the machine's user).
    if isinstance(declared["authors"], str) and declared["authors"].strip().casefold() in _NO_AUTHOR:
        declared["authors"] = None
    return {k: str(v) for k, v in declared.items() if isinstance(v, str) and v.strip()}


def load_docx(data: bytes, name: str) -> Extracted:
    """Paragraphs and table rows of a Word document, in document order, streamed with bounded memory."""
    archive = SafeZip(data, name, "DOCX")
    try:
        part = _docx_main_part(archive)
        if part not in archive.names():
            raise DocumentError(f"{name}: not a readable DOCX (no {part})")
        with archive.open(part) as stream:
            text = _wordprocessing_text(stream, name)
        # Footnotes and endnotes carry sources and remarks: after the body, as a printed document puts them.
        folder = part.rpartition("/")[0]
        for notes in (f"{folder}/footnotes.xml", f"{folder}/endnotes.xml"):
            if notes in archive.names():
                with archive.open(notes) as stream:
                    found = _wordprocessing_text(stream, name)
                text = f"{text}\n\n{found}" if found.strip() else text
                _check_length(len(text), name)
        title, declared = _docx_core(archive)
    except DocumentError:
        raise
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{name}: not a readable DOCX (damaged XML: {exc.msg})") from None
    except Exception as exc:  # zipfile, zlib and lxml raise many unrelated types on damaged input
        raise DocumentError(f"{name}: not a readable DOCX ({exc.__class__.__name__})") from None
    return Extracted(text, title, declared)


def _parse_small(archive: SafeZip, member: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(archive.read(member), parser)


def _docx_main_part(archive: SafeZip) -> str:
    if "_rels/.rels" in archive.names():
        for rel in _parse_small(archive, "_rels/.rels"):
            if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("Target"):
                return rel.get("Target").lstrip("/")
    return "word/document.xml"


def _docx_core(archive: SafeZip) -> tuple[str | None, dict]:
    """Title and (authors, date, language) of a Word document's core properties."""
    if "docProps/core.xml" not in archive.names():
        return None, {}
    core = _parse_small(archive, "docProps/core.xml")

    def text(tag: str) -> str | None:
        found = core.find(tag)
        return found.text.strip() if found is not None and found.text and found.text.strip() else None

    declared = {"authors": text(_DC + "creator"), "date": text(_DCTERMS + "created"), "lang": text(_DC + "language")}
    return text(_DC + "title"), {k: v for k, v in declared.items() if v}


def _wordprocessing_text(stream, name: str) -> str:
    out: list[str] = []
    size = 0
    elements = chars = 0
    # Nested: text boxes hold paragraphs inside paragraphs. A buffer each, not a list of runs: 8 million runs of two
    # letters in one paragraph were 8 million strings (575 MB) before the text limit was reached.
    paragraphs: list[io.StringIO] = []
    cells: list[list[str]] = []
    rows: list[list[str]] = []

    def emit(line: str) -> None:
        nonlocal size
        # An empty paragraph is at most one break: a bomb of millions of them would fill a list, not the text.
        if not line.strip():
            if cells or not out or not out[-1]:
                return
            line = ""
        if cells:
            cells[-1].append(line)
            return
        size += len(line) + 1
        _check_length(size, name)
        out.append(line)

    fallback = 0  # depth inside mc:Fallback, which repeats an mc:Choice (a text box) for older readers
    for event, element in _xml_events(stream):
        tag = element.tag
        if tag == _MC_FALLBACK:
            fallback += 1 if event == "start" else -1
        if fallback:
            if event == "end":
                element.clear(keep_tail=False)
            continue
        if event == "start":
            if tag == _W + "p":
                paragraphs.append(io.StringIO())
            elif tag == _W + "tc":
                cells.append([])
            elif tag == _W + "tr":
                rows.append([])
            continue
        elements += 1
        _check_markup(elements, chars, name)
        if elements > limits.MAX_DOCX_ELEMENTS:
            raise DocumentError(f"{name}: more than {limits.MAX_DOCX_ELEMENTS:,} XML elements (limit)")
        if tag == _W + "t" and paragraphs:
            chars += len(element.text or "")
            _check_length(chars, name)
            paragraphs[-1].write(element.text or "")
        elif tag == _W + "tab" and paragraphs:
            paragraphs[-1].write("\t")
        elif tag == _W + "noBreakHyphen" and paragraphs:  # e-mail, IT-avdelningen, 08-123 as Word keeps them whole
            paragraphs[-1].write("-")
        elif tag in (_W + "br", _W + "cr") and paragraphs:
            paragraphs[-1].write("\n")
        elif tag == _W + "p" and paragraphs:
            emit(paragraphs.pop().getvalue())
        elif tag == _W + "tc" and cells:
            cell = " ".join(p.strip() for p in cells.pop() if p.strip())
            if rows:
                rows[-1].append(cell)
        elif tag == _W + "tr" and rows:
            emit(" | ".join(rows.pop()))
        # Finished elements are dropped at once, so memory stays flat however long the document is.
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return "\n".join(out)


def _xml_events(stream, chunk: int = 64 * 1024) -> Iterator[tuple[str, etree._Element]]:
    """("start" | "end", element) of an XML stream, read until its root element ends.

    Not iterparse: libxml2 keeps whatever follows the root element in memory, unparsed, until the input ends (a
    DOCX of empty paragraphs without a root held 100 MB of them); here what comes after it ends the parse at once,
    as damaged XML unless it is blank."""
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=False)
    depth = 0
    while data := stream.read(chunk):
        parser.feed(data)
        for event, element in parser.read_events():
            depth += 1 if event == "start" else -1
            yield event, element
            if depth == 0:
                parser.close()  # raises on anything but blanks after the root in what was read
                return
    parser.close()


LOADERS: dict[str, Callable[[bytes, str], Extracted]] = {
    ".txt": load_plain,
    ".text": load_plain,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def extract(data: bytes, name: str) -> Extracted:
    """Raw text and declared title of a file's bytes, choosing the loader by the name's suffix."""
    suffix = Path(name).suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{name}: unsupported file type {suffix or '(none)'} (supported: {supported})")
    if len(data) > limits.MAX_FILE_BYTES:
        raise DocumentError(f"{name}: {len(data) // limits.MiB:,} MB (limit {limits.MAX_FILE_BYTES // limits.MiB} MB)")
    if not data.strip():
        raise DocumentError(f"{name}: empty file")
    return loader(data, name)


def load_bytes(data: bytes, name: str) -> str:
    """Extract raw text from a file's bytes, choosing the loader by the name's suffix."""
    return extract(data, name).text


def read_file(path: Path, name: str | None = None) -> bytes:
    """A file's bytes, refusing files over MAX_FILE_BYTES before reading them."""
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise DocumentError(f"{name or path}: {size // limits.MiB:,} MB (limit {limits.MAX_FILE_BYTES // limits.MiB} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{name or path}: cannot read ({exc.strerror})") from None
