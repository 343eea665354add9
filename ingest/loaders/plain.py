"""Plain text: decoding bytes in any of the encodings texts are written in, and the plain-text loader."""
from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from index.errors import DocumentError

from .base import Extracted, capped, unmarked


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


def decode(data: bytes, name: str) -> str:
    """Decode text bytes: a BOM's encoding (UTF-8/16/32), else UTF-8, else the detected legacy encoding."""
    return unmarked(_decoded(data, name))  # only a loader marks code, never a file's own text


def _decoded(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return capped(data.decode(encoding), name)
            except UnicodeDecodeError:
                raise DocumentError(f"{name}: invalid {encoding.upper()} text") from None
    if any(marker in data for marker in _BINARY_MARKERS):
        unmarked = _utf16_without_bom(data)
        if unmarked is None:
            raise DocumentError(f"{name}: binary content, not text")
        return capped(unmarked, name)
    try:
        return capped(data.decode("utf-8"), name)
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
    return capped(str(best), name)


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
