"""Read FreeDict dictionaries in dictd format (`.index` + dictzip `.dict.dz`) without a dictd server.

An `.index` line is `headword<TAB>offset<TAB>length` (base64 numbers) into the gzip-compressed `.dict.dz`;
an entry is a header line (headword, pronunciation, part of speech) followed by numbered senses.
"""
from __future__ import annotations

import gzip
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import KBError
from ..progress import Progress

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_SENSE = re.compile(r"^\s*\d+\.\s*")
_TRAILING_SENSE = re.compile(r"\s+\d+\.\s*$")
_TAG = re.compile(r"<[^>]*>")
_NOISE = re.compile(r"\b(?:sb|sth|so|jdn|jdm|etw)\.(?=\s|$|,)|\[[^\]]*\]|\([^)]*\)|\.\.\.|…")
log = logging.getLogger(__name__)
# A gloss is read at a glance: a few translations of the first senses are enough.
MAX_TRANSLATIONS = 3


class DictionaryError(KBError):
    """A dictionary file is missing, truncated or not in dictd format."""

    code = "dictionary_error"


@dataclass(frozen=True)
class Dictionary:
    """One FreeDict dictionary on disk, e.g. `swe-eng` in /usr/share/dictd."""

    name: str
    directory: Path

    @property
    def index_path(self) -> Path:
        return self.directory / f"freedict-{self.name}.index"

    @property
    def dict_path(self) -> Path:
        return self.directory / f"freedict-{self.name}.dict.dz"

    def exists(self) -> bool:
        """Whether both files are present."""
        return self.index_path.is_file() and self.dict_path.is_file()

    def signature(self) -> list:
        """Path, size and modification time of both files: what a cache built from them depends on."""
        return [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in (self.index_path, self.dict_path)]


def _number(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64[ch]
    return value


def entries(dictionary: Dictionary) -> Iterator[tuple[str, str]]:
    """(index headword, entry text) for every real entry, in index order; metadata entries skipped."""
    try:
        data = gzip.decompress(dictionary.dict_path.read_bytes())
        lines = dictionary.index_path.read_text(encoding="utf-8").splitlines()
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise DictionaryError(f"cannot read dictionary {dictionary.name}: {exc}") from exc
    progress = Progress(log, f"reading the {dictionary.name} dictionary (entries)", len(lines))
    for n, line in enumerate(lines):
        if n % 10_000 == 0:
            progress(n)
        fields = line.split("\t")
        if len(fields) < 3 or fields[0].startswith("00database") or not fields[0].strip():
            continue
        try:
            offset, length = _number(fields[1]), _number(fields[2])
        except KeyError:
            raise DictionaryError(f"{dictionary.index_path}: malformed line {line[:80]!r}") from None
        if offset + length > len(data):
            raise DictionaryError(f"{dictionary.index_path}: entry {fields[0]!r} points past the end of the data")
        yield fields[0].strip().removeprefix("... ").strip(), data[offset:offset + length].decode("utf-8", "replace")


def senses(entry: str) -> list[str]:
    """The translation lines of an entry into the target language, first sense first.

    Numbered entries ("1. ...", "2. ...") list one sense per line; in entries of eng-nor an unnumbered
    line after a sense is an English definition, not a translation, and is skipped.
    """
    body = [line for line in entry.split("\n")[1:] if line.strip()]
    if not body:
        return []
    if not _SENSE.match(body[0]):
        return [_TRAILING_SENSE.sub("", body[0]).strip()]
    return [_SENSE.sub("", line).strip() for line in body if _SENSE.match(line)]


def translations(sense: str) -> list[str]:
    """The comma-separated translations of one sense, without grammar tags and placeholders."""
    if sense.lstrip().startswith(("Note:", "Synonyms:", "see:")):
        return []
    cleaned = _NOISE.sub("", _TAG.sub("", sense))
    out = []
    for part in re.split(r"[,;]", cleaned):
        part = " ".join(part.split()).strip(" .:")
        if part and part not in out:
            out.append(part)
    return out


def gloss_of(entry: str) -> str:
    """A short gloss: up to `MAX_TRANSLATIONS` translations, taken from the first senses in order."""
    found: list[str] = []
    for sense in senses(entry):
        for word in translations(sense):
            if word not in found:
                found.append(word)
        if len(found) >= MAX_TRANSLATIONS:
            break
    return ", ".join(found[:MAX_TRANSLATIONS])


def forward(dictionary: Dictionary) -> Iterator[tuple[str, str]]:
    """(source word, gloss) pairs of a dictionary into English, e.g. swe-eng."""
    for headword, entry in entries(dictionary):
        gloss = gloss_of(entry)
        if gloss:
            yield headword, gloss


def reverse(dictionary: Dictionary) -> Iterator[tuple[str, str]]:
    """(target word, English headword) pairs of a dictionary out of English, e.g. eng-nor read nor -> eng.

    Only single-word translations are kept; the English headword is the gloss (the caller merges several).
    """
    for headword, entry in entries(dictionary):
        english = entry.split("\n", 1)[0].split(" /", 1)[0].split(" <", 1)[0].strip()
        if not english:
            continue
        for sense in senses(entry):
            for word in translations(sense):
                if " " not in word and word.isalpha():
                    yield word.casefold(), english
