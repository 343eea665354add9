"""PDF: the text layer of its pages without their furniture, read within bounds a PDF bomb cannot pass."""
from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter

from index.errors import DocumentError

from .. import limits
from .base import Extracted, check_length, unmarked
from .pdfruns import Widths, page_text

# pypdf warns once per damaged object it reads past: a 2 KB file of nested dictionaries wrote 33,000 lines (3.8 MB)
# on every parse. What it cannot read is an error of the upload; its repairs are not worth a line each.
logging.getLogger("pypdf").setLevel(logging.ERROR)
log = logging.getLogger(__name__)


# How many of a PDF page's first and last lines may be headers, footers and page numbers.
_EDGE_LINES = 5
_MAX_FURNITURE_CHARS = 120  # a header or footer is a line of a title, a chapter, a date: not a paragraph
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:(?:page|side|sida|pagina|seite|p\.)\s*)?[-–—(\[]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
                          r"(?:\s*(?:of|av|van|von|af|/)\s*\d{1,5})?$", re.IGNORECASE)
_NO_AUTHOR = frozenset({"anonymous", "unknown", "author", "administrator", "admin", "user", "owner", "(anonymous)",
                        "unspecified"})


def load_pdf(data: bytes, name: str) -> Extracted:
    """Text of the pages of a PDF (at most MAX_PDF_PAGES); a scanned PDF without a text layer is an error."""
    from pypdf import PdfReader  # ~0.2 s to import: only when a PDF is parsed

    pages: list[str] = []
    size = content = maps = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        count = _page_count(reader, limits.MAX_PDF_PAGES, name)
        started = time.monotonic()
        widths = Widths()
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
            text = page_text(page, widths).strip()
            size += len(text)
            check_length(size, name)
            if text:
                pages.append(text)
        title, declared = _pdf_title(reader), _pdf_info(reader)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises a dozen unrelated types (and RecursionError) on damaged files
        # The reader is told what to do; the parser's exception, which names nothing they know, goes to the log.
        log.info("%s: pypdf could not read it (%s: %s)", name, exc.__class__.__name__, exc)
        raise DocumentError(f"{name}: not a readable PDF (damaged, or not a PDF at all: save or export it as PDF"
                            " again)") from None
    if not pages:
        raise DocumentError(f"{name}: the PDF has no text layer (scanned image?)")
    # A page break is no paragraph break: a sentence running on to the next page is joined again like any wrapped line.
    return Extracted(unmarked("\n".join(_without_furniture(pages))), title, declared, wrapped=True)


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
        # A page is never all running lines: lines alike on every page but for their numbers are its text (a
        # catalogue of one article per page, "Artikel 7: pris 70 kronor"); only its page number goes.
        text = "\n".join(lines[start:end] if start < end
                         else [line for line in lines if not _PAGE_NUMBER.match(line.strip())]).strip()
        if text:
            kept.append(text)
    return kept


def _page_line(line: str) -> str:
    return _DIGITS.sub("#", line.strip().casefold())


# A page tree's nodes a walk reads before it calls the tree damaged: a few per page allowed, and some to spare.
_MAX_TREE_NODES_PER_PAGE = 4
_SPARE_TREE_NODES = 64


def _page_count(reader, limit: int, name: str) -> int:
    """The pages of a PDF's page tree, counted by walking it; DocumentError past `limit` pages, or where the tree
    loops or holds far more nodes than pages, where the walk stops: pypdf builds every page to count them (100,000
    pages: 4-9 s and 260-400 MB a worker kept after the refusal)."""
    found, nodes, seen = 0, [reader.trailer["/Root"]["/Pages"]], 0
    while nodes:
        node = nodes.pop().get_object()
        seen += 1
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            kids = node.get("/Kids")
            nodes.extend(kids.get_object() if kids is not None else ())  # the array itself may be a reference
        else:
            found += 1
        if found > limit:
            declared = reader.trailer["/Root"]["/Pages"].get("/Count")
            raise DocumentError(f"{name}: more than {limit:,} pages"
                                f"{f' ({declared:,} declared)' if isinstance(declared, int) else ''}")
        # A tree of many empty nodes (or one that loops) costs as much to walk as one of pages.
        if seen > _MAX_TREE_NODES_PER_PAGE * limit + _SPARE_TREE_NODES:
            raise DocumentError(f"{name}: its page tree is damaged (it loops, or holds {seen:,} nodes for {found:,}"
                                " pages)")
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
