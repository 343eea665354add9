"""One loader per format, each turning a file's bytes into raw text and, where the format says, a title and other
metadata: plain.py, markdown.py, html.py, pdf.py (its lines through pdfruns.py), docx.py.

Every loader is bounded (see `limits`): hostile input costs seconds and tens of MB at most, and
every failure is a DocumentError naming the file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from index.errors import DocumentError

from .. import limits
from .base import Extracted
from .docx import load_docx
from .html import load_html
from .markdown import load_markdown
from .pdf import load_pdf
from .plain import load_plain


__all__ = ["Extracted", "LOADERS", "SUPPORTED_SUFFIXES", "extract", "load_bytes", "read_file"]

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
