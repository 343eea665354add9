"""PDF: the text layer of its pages without their furniture, read within bounds a PDF bomb cannot pass."""
from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter

from index.errors import DocumentError

from .. import limits
from .base import Extracted, check_length

# pypdf warns once per damaged object it reads past: a 2 KB file of nested dictionaries wrote 33,000 lines (3.8 MB)
# on every parse. What it cannot read is an error of the upload; its repairs are not worth a line each.
logging.getLogger("pypdf").setLevel(logging.ERROR)


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
        count = _page_count(reader, limits.MAX_PDF_PAGES)
        if count is None:
            declared = reader.trailer["/Root"]["/Pages"].get("/Count")
            raise DocumentError(f"{name}: more than {limits.MAX_PDF_PAGES:,} pages"
                                f"{f' ({declared:,} declared)' if isinstance(declared, int) else ''}")
        started = time.monotonic()
        widths = _Widths()
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
            text = _page_text(page, widths).strip()
            size += len(text)
            check_length(size, name)
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


# A break pypdf put between two runs of text drawn on one baseline, the second to the right of the first, is no line
# break: pypdf compares each run with the pen's last move, and a producer that moves to the next line after every
# word (ReportLab's drawString writes `(word) Tj T*`) or draws each word as a form of its own had every word on a
# line of its own, which the cleaning joins no more (a line that short may be a heading or a list item).
_SAME_BASELINE = 0.3  # of the larger font size: a wrapped line lies a whole line lower, a superscript ~0.35 higher
_MAX_GAP = 3.0  # font sizes between two runs at most: a wider one is a column, a tab stop, a page number at the edge
_TOUCHING = 0.1  # font sizes: runs closer than that are one word drawn in pieces (glyph runs, letter by letter)
_UPRIGHT = 0.01  # how far from upright (a skew or a rotation) a run may be and still be joined


def _page_text(page, widths: "_Widths") -> str:
    """The text of a PDF page as pypdf extracts it, but for a line break between two runs drawn on one baseline."""
    runs = _Runs(widths)
    text = page.extract_text(visitor_text=runs.text, visitor_operand_before=runs.before,
                             visitor_operand_after=runs.after) or ""
    if not runs.joined or runs.failed:
        return text
    joined = "".join(runs.parts)
    # What the runs make up is what pypdf extracted, unless some text reached it without a visitor's call (a version
    # of pypdf that changed): then its text as it is.
    return joined if "".join(joined.split()) == "".join(text.split()) else text


def _mult(m: list, n: list) -> list:
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


class _Runs:
    """The runs of text pypdf reports while it extracts a page, in its order, its line break between two runs on one
    baseline replaced by a space (or nothing, where the runs touch: a word drawn a glyph run at a time)."""

    def __init__(self, widths: "_Widths") -> None:
        self.parts: list[str] = []
        self.widths = widths
        self.forms: list[list] = [[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]]  # a form's text is placed by the matrix at its Do
        # The last run of text: where it began on the page, its baseline, height, text, font, font size and scale.
        self.last: tuple | None = None
        self.joined = 0
        self.failed = False  # what the visitors could not read leaves the page to pypdf: never an unreadable PDF

    def before(self, operator, operands, cm, tm) -> None:
        if operator == b"Do":
            try:
                self.forms.append(_mult(cm, self.forms[-1]))
            except Exception:
                self.failed = True

    def after(self, operator, operands, cm, tm) -> None:
        if operator == b"Do" and len(self.forms) > 1:
            self.forms.pop()

    def text(self, text, cm, tm, font, size) -> None:
        if not text or self.failed:
            return
        try:
            self._text(text, cm, tm, font, size)
        except Exception:
            self.failed = True

    def _text(self, text, cm, tm, font, size) -> None:
        self.parts.append(text)
        if not text.strip():
            return
        try:
            m = _mult(_mult(tm, cm), self.forms[-1])
            height = abs(float(size)) * m[3]
        except (TypeError, ValueError, IndexError):
            self.last = None
            return
        if not (m[0] > 0 and height > 0 and abs(m[1]) <= _UPRIGHT * m[0] and abs(m[2]) <= _UPRIGHT * m[3]):
            self.last = None  # rotated, mirrored or skewed text keeps pypdf's lines
            return
        x, y = m[4], m[5]
        # Only a break pypdf put before this run is looked at (and the width of the run before it measured).
        if self.last is not None and len(self.parts) > 1 and self.parts[-2].endswith("\n"):
            left, baseline, previous, shown, its_font, its_size, across = self.last
            scale = max(height, previous)
            if abs(y - baseline) <= _SAME_BASELINE * scale:
                width = self.widths.of(its_font, shown)
                if width is None:  # a composite font: its widths are of glyph codes, which the text no longer shows
                    if x > left and x - (left + 0.5 * previous * len(shown)) <= _MAX_GAP * scale:
                        self._join(len(self.parts) - 1, " ")
                else:
                    gap = x - (left + width / 1000 * its_size * across)
                    if -_TOUCHING * scale <= gap <= _MAX_GAP * scale:
                        self._join(len(self.parts) - 1, "" if gap < _TOUCHING * scale else " ")
        # Measured without the space pypdf put at its start (where it saw the pen move), which was never drawn.
        self.last = (x, y, height, text.strip(), font, abs(float(size)), m[0])

    def _join(self, at: int, space: str) -> None:
        """Take back the line break just before parts[at] (at the end of a run, or a run of its own)."""
        before = self.parts[at - 1]
        if before == "\n" and at >= 2 and not self.parts[at - 2].endswith("\n"):
            self.parts[at - 1] = "" if self.parts[at - 2].endswith(" ") or self.parts[at].startswith(" ") else space
        elif before.endswith("\n") and not before.endswith("\n\n") and before.strip():
            self.parts[at - 1] = before[:-1] + ("" if before[-2:-1] == " " or self.parts[at].startswith(" ")
                                                else space)
        else:
            return
        self.joined += 1


class _Widths:
    """Widths of text in a PDF's simple fonts (1/1000 of the font size), kept for the whole file: a composite font's
    widths are of its glyph codes, which the text no longer shows (None)."""

    def __init__(self) -> None:
        self.fonts: dict[int, tuple] = {}

    def of(self, resource, text: str) -> float | None:
        if resource is None:
            return None
        key = id(resource)
        if key not in self.fonts:
            self.fonts[key] = (resource, _font_widths(resource))  # the resource kept: its id is not reused
        widths = self.fonts[key][1]
        if widths is None:
            return None
        default = widths[""]
        return sum(widths.get(c, default) for c in text)


def _font_widths(resource) -> dict | None:
    """The widths of a simple font (Type 1, TrueType) by the text its codes stand for, as pypdf reads them."""
    try:
        from pypdf.generic._font import Font  # pypdf's own reading of a font's widths and encoding

        if resource.get("/Subtype") not in ("/Type1", "/MMType1", "/TrueType"):
            return None  # composite fonts: widths by glyph code; Type 3: widths in a glyph space of its own
        font = Font.from_font_resource(resource)
        encoding = font.encoding if isinstance(font.encoding, dict) else {}
        widths = {"": font.character_widths.get("default") or font.space_width or 500}
        for code, width in font.character_widths.items():
            if len(code) == 1:
                shown = encoding.get(ord(code), code)
                shown = font.character_map.get(shown, shown)  # a ToUnicode map, as pypdf decodes text
                for c in shown if isinstance(shown, str) else ():
                    widths.setdefault(c, width / len(shown))
        return widths
    except Exception:  # a damaged font, or a pypdf that reads fonts otherwise: runs are joined with a space
        return None


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
