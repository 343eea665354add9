"""One loader per format, each turning a file's bytes into raw text; encodings detected."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Callable

from charset_normalizer import from_bytes

from index.errors import DocumentError

# Bytes that never occur in text; their presence marks a binary file wearing a text extension.
_BINARY_MARKERS = (b"\x00",)
_MD_SYNTAX = [
    (re.compile(r"```.*?```", re.DOTALL), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.MULTILINE), ""),
    (re.compile(r"<[^>\n]+>"), ""),
]


def decode(data: bytes, name: str) -> str:
    """Decode text bytes: UTF-8 (with or without BOM) first, else the detected legacy encoding."""
    if any(marker in data for marker in _BINARY_MARKERS):
        raise DocumentError(f"{name}: binary content, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(f"{name}: cannot detect the text encoding")
    return str(best)


def load_text(data: bytes, name: str) -> str:
    """Plain text."""
    return decode(data, name)


def load_markdown(data: bytes, name: str) -> str:
    """Markdown, with the markup stripped to its visible text."""
    text = decode(data, name)
    for pattern, replacement in _MD_SYNTAX:
        text = pattern.sub(replacement, text)
    return text


def load_html(data: bytes, name: str) -> str:
    """An HTML page's main text, without navigation, scripts, headers and footers."""
    import trafilatura

    html = decode(data, name)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
    )
    if not text:
        text = _visible_html_text(html)
    return text or ""


def _visible_html_text(html: str) -> str:
    # Fallback for pages too small for trafilatura's main-content heuristics.
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except Exception:  # lxml raises several unrelated types on junk markup
        return ""
    for element in tree.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript|//form"):
        element.drop_tree()
    blocks = tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6|//p|//li|//td|//pre|//blockquote")
    lines = [b.text_content().strip() for b in blocks] or [tree.text_content()]
    return "\n".join(line for line in lines if line)


def load_pdf(data: bytes, name: str) -> str:
    """Text of every page of a PDF; a scanned PDF without a text layer is an error."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{name}: not a readable PDF ({exc.__class__.__name__})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise DocumentError(f"{name}: the PDF has no text layer (scanned image?)")
    return text


def load_docx(data: bytes, name: str) -> str:
    """Paragraphs and table cells of a Word document, in order."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{name}: not a readable DOCX ({exc.__class__.__name__})") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


LOADERS: dict[str, Callable[[bytes, str], str]] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)


def load_bytes(data: bytes, name: str) -> str:
    """Extract raw text from a file's bytes, choosing the loader by the name's suffix."""
    suffix = Path(name).suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{name}: unsupported file type {suffix or '(none)'} (supported: {supported})")
    if not data.strip():
        raise DocumentError(f"{name}: empty file")
    return loader(data, name)


def load_file(path: Path, name: str | None = None) -> str:
    """Read a file and extract its raw text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{name or path}: cannot read ({exc.strerror})") from None
    return load_bytes(data, name or str(path))
