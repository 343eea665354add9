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
from .english import respace

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_SENSE = re.compile(r"^\s*\d+\.\s*")
_TRAILING_SENSE = re.compile(r"\s+\d+\.\s*$")
_TAG = re.compile(r"<[^>]*>")
_CLASSES = re.compile(r"<([^>]*)>")
_NOISE = re.compile(r"\b(?:sb|sth|so|jdn|jdm|etw)\.(?=\s|$|,)|\[[^\]]*\]|\([^)]*\)|\.\.\.|…")
# A pronunciation (/ˈɛŋ/) is no translation, nor an abbreviation glued to a translation's tag ("English <adj>Eng.,
# /ˈɛŋ/", "by the way <adv>BTW"): deu-eng writes some 150,000 of them.
_PRONUNCIATION = re.compile(r"(?:^|(?<=\s))/[^/,]+/")
_GLUED_TAG = re.compile(r"<[^>]*>[^\s,;][^,;]*")
log = logging.getLogger(__name__)
# Headwords of affixes ("terug‐": re-) and phrase fragments ("... terug": ago) are not words of a passage.
_FRAGMENT_ENDS = ("-", "\u2010")
_FRAGMENT_STARTS = ("...", "…")


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


def entries(dictionary: Dictionary, wanted: set[str] | None = None) -> Iterator[tuple[str, str]]:
    """(index headword, entry text) for every real entry, in index order; metadata entries skipped; only the
    headwords in `wanted` (casefolded) if given, the others not even decoded."""
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
        if wanted is not None and fields[0].strip().removeprefix("... ").strip().casefold() not in wanted:
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


def translations(sense: str, into_english: bool = True) -> list[str]:
    """The comma-separated translations of one sense, without grammar tags and placeholders."""
    if sense.lstrip().startswith(("Note:", "Synonyms:", "see:")):
        return []
    cleaned = _NOISE.sub("", _TAG.sub("", _GLUED_TAG.sub("", _PRONUNCIATION.sub("", sense))))
    out = []
    for part in re.split(r"[,;]", cleaned):
        # Some FreeDict builds dropped the spaces inside phrases ("haveto", "outerspace"): put them back.
        part = " ".join(part.split()).strip(" .:")
        part = respace(part) if into_english else part.replace("\u0133", "ij")  # eng-nld writes ĳ for ij
        if part and part not in out:
            out.append(part)
    return out


def word_classes(entry: str) -> frozenset[str]:
    """The grammar tags of an entry's headword (<n, neut> -> n, neut), where the dictionary gives them."""
    return frozenset(t.strip() for tags in _CLASSES.findall(entry.split("\n", 1)[0]) for t in tags.split(",")
                     if t.strip())


def forward(dictionary: Dictionary, into_english: bool = True) -> Iterator[tuple[str, list[list[str]], frozenset]]:
    """(source word, its senses, each a list of translations, its word classes) of a dictionary, e.g. swe-eng.

    Homographs are merged, a lower-case entry before a capitalised one (komen: come, before Komen: Comine);
    affixes and phrase fragments are skipped.
    """
    merged: dict[str, list[tuple[bool, list[list[str]], frozenset]]] = {}
    for headword, entry in entries(dictionary):
        head = entry.split("\n", 1)[0].split(" /", 1)[0].strip()
        if head.startswith(_FRAGMENT_STARTS) or head.endswith(_FRAGMENT_ENDS):
            continue
        groups = [found for sense in senses(entry) if (found := translations(sense, into_english))]
        if groups:
            merged.setdefault(headword, []).append((head[:1].isupper(), groups, word_classes(entry)))
    for headword, found in merged.items():
        found.sort(key=lambda f: f[0])
        yield headword, [group for _, groups, _ in found for group in groups], frozenset().union(*(f[2] for f in found))


def reverse_entries(dictionary: Dictionary) -> Iterator[tuple[str, frozenset, list[list[str]]]]:
    """(English headword, its word classes, its senses' translations, first sense first) per entry of a dictionary
    out of English, e.g. eng-nor; senses without a translation left out."""
    for _, entry in entries(dictionary):
        english = entry.split("\n", 1)[0].split(" /", 1)[0].split(" <", 1)[0].strip()
        groups = [found for sense in senses(entry) if (found := translations(sense, into_english=False))]
        if english and groups:
            yield english, word_classes(entry), groups


def reverse(dictionary: Dictionary) -> Iterator[tuple[str, str, frozenset, int]]:
    """(target word, English headword, its word classes, the word's place among its translations) of a dictionary
    out of English, e.g. eng-nor read nor -> eng ("velge" is the first translation of choose, the third of name).

    Only single-word translations are kept; the English headword is the gloss (the caller merges several).
    """
    for english, classes, groups in reverse_entries(dictionary):
        for n, word in enumerate(t for group in groups for t in group):
            if " " not in word and word.isalpha():
                yield word.casefold(), english, classes, n
