"""Word documents: paragraphs, table rows, text boxes and notes in document order, streamed with bounded memory."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from index.errors import DocumentError

from .. import limits
from ..safezip import SafeZip
from .base import Extracted, check_length, check_markup, unmarked


_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def load_docx(data: bytes, name: str) -> Extracted:
    """Paragraphs and table rows of a Word document, in document order, streamed with bounded memory."""
    archive = SafeZip(data, name, "DOCX")
    try:
        part = _docx_main_part(archive)
        if part not in archive.names():
            raise DocumentError(f"{name}: not a readable DOCX (no {part})")
        tally = _Tally()  # the document's parts share its limits
        with archive.open(part) as stream:
            text = _wordprocessing_text(stream, name, tally)
        # Footnotes and endnotes carry sources and remarks: after the body, as a printed document puts them.
        folder = part.rpartition("/")[0]
        for notes in (f"{folder}/footnotes.xml", f"{folder}/endnotes.xml"):
            if notes in archive.names():
                with archive.open(notes) as stream:
                    found = _wordprocessing_text(stream, name, tally)
                text = f"{text}\n\n{found}" if found.strip() else text
                check_length(len(text), name)
        title, declared = _docx_core(archive)
    except DocumentError:
        raise
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{name}: not a readable DOCX (damaged XML: {exc.msg})") from None
    except Exception as exc:  # zipfile, zlib and lxml raise many unrelated types on damaged input
        raise DocumentError(f"{name}: not a readable DOCX ({exc.__class__.__name__})") from None
    return Extracted(unmarked(text), title, declared)  # only a loader marks code


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


@dataclass
class _Tally:
    """XML elements and characters of text read so far, over all of a document's parts."""

    elements: int = 0
    chars: int = 0


def _wordprocessing_text(stream, name: str, tally: _Tally) -> str:
    out: list[str] = []
    size = 0
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
        check_length(size, name)
        out.append(line)

    # Depth inside mc:Fallback, which repeats an mc:Choice (a text box) for older readers: read past, not read
    # again, though its elements count against the limits and are dropped like any others.
    fallback = 0
    for event, element in _xml_events(stream):
        tag = element.tag
        if tag == _MC_FALLBACK:
            fallback += 1 if event == "start" else -1
        if event == "start":
            if fallback:
                continue
            if tag == _W + "p":
                paragraphs.append(io.StringIO())
            elif tag == _W + "tc":
                cells.append([])
            elif tag == _W + "tr":
                rows.append([])
            continue
        tally.elements += 1
        check_markup(tally.elements, tally.chars, name)
        if tally.elements > limits.MAX_DOCX_ELEMENTS:
            raise DocumentError(f"{name}: more than {limits.MAX_DOCX_ELEMENTS:,} XML elements (limit)")
        if fallback:
            pass  # counted and dropped below, never read
        elif tag == _W + "t" and paragraphs:
            tally.chars += len(element.text or "")
            check_length(tally.chars, name)
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
