"""A document's bibliographic metadata as given by people or files: checked and normalised in one place.

Title, authors, date, publisher and language come from an upload's form, the API, a folder's metadata.json,
a trainer's edit, or a file's own properties (DOCX, PDF, HTML); every source goes through `check_metadata`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from .errors import InvalidMetadata
from .language import is_language, normalize_lang

FIELDS = ("title", "authors", "date", "publisher", "lang")
MAX_CHARS = 200  # title, one author, publisher
MAX_AUTHORS = 50
# ISO 8601 calendar dates, partial allowed; a time after the date (DOCX `created`) is dropped.
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ][0-9:.+\-Z]*)?$", re.ASCII)  # ٢٠٢١ is no ISO date
# PDF dates: D:YYYYMMDDHHmmSS with everything after the year optional.
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?", re.ASCII)
_LANG = re.compile(r"^[a-z]{2,3}$")
# Line breaks, tabs, other controls and a zero-width space (a break between words) read as a space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b]")
# Direction marks and embeddings say nothing of the words and are dropped, lest they split one; the zero-width
# (non-)joiners are kept: they are part of how Persian and Indic words and emoji sequences are written.
_INVISIBLE = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Several authors in one string are separated by semicolons (a comma may sit inside one: "Doe, Jane").
_AUTHOR_SEPARATORS = re.compile(r"\s*;\s*")


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidMetadata(f"{name} must be a string")
    text = " ".join(_CONTROL.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFC", value))).split())
    if len(text) > MAX_CHARS:
        raise InvalidMetadata(f"{name} is longer than {MAX_CHARS} characters")
    return text or None


def iso_date(value: Any) -> str | None:
    """A partial ISO date (YYYY, YYYY-MM or YYYY-MM-DD) of an ISO date or datetime or a PDF date; InvalidMetadata else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidMetadata("date must be a string such as 2021, 2021-03 or 2021-03-04")
    text = value.strip()
    found = _DATE.match(text) or _PDF_DATE.match(text)
    if not found:
        raise InvalidMetadata(f"date must be an ISO date such as 2021, 2021-03 or 2021-03-04, not {text[:40]!r}")
    year, month, day = found.groups()
    if int(year) == 0 or month and not 1 <= int(month) <= 12 or day and not 1 <= int(day) <= _days(int(year), int(month)):
        raise InvalidMetadata(f"date {text[:40]!r} is not a calendar date")
    return "-".join(part for part in (year, month, day) if part)


def _days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def authors_of(value: Any) -> list[str]:
    """Authors as a list: a list of names, or one string of names separated by semicolons."""
    if value is None or isinstance(value, str) and not value.strip():
        return []
    if isinstance(value, str):
        value = _AUTHOR_SEPARATORS.split(value)
    if not isinstance(value, (list, tuple)):
        raise InvalidMetadata("authors must be a list of names (or one string, names separated by ';')")
    if len(value) > MAX_AUTHORS:
        raise InvalidMetadata(f"more than {MAX_AUTHORS} authors")
    names = [name for name in (_text(name, "an author") for name in value) if name]
    if value and not names:  # ["", " "]: a mistake, not a wish to clear them (that is [] or null)
        raise InvalidMetadata("authors holds no name: send [] or null to clear them")
    return list(dict.fromkeys(names))


def language(value: Any) -> str | None:
    """A registered ISO 639 language code (aliases such as nb mapped), or None when not given."""
    text = _text(value, "language")
    if text is None:
        return None
    code = normalize_lang(text)
    if not _LANG.match(code) or not is_language(code):
        raise InvalidMetadata(f"language must be a known language code such as en, sv or nl, not {text[:40]!r}")
    return code


def check_metadata(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields given in `raw` (FIELDS; `language` for lang), normalised; InvalidMetadata names the first bad one.

    A field given as None or empty is kept as None (an edit that clears it); unknown fields are refused.
    """
    given = dict(raw)
    if "language" in given:
        if "lang" in given:  # one field under both its names: which one holds?
            raise InvalidMetadata("give the language once, as language (or lang), not both")
        given["lang"] = given.pop("language")
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise InvalidMetadata(f"unknown metadata field {unknown[0]!r} (known: title, authors, date, publisher, language)")
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if name == "authors":
            checked[name] = authors_of(value)
        elif name == "date":
            checked[name] = iso_date(value)
        elif name == "lang":
            checked[name] = language(value)
        else:
            checked[name] = _text(value, name)
    return checked


def changed_metadata(given: Mapping[str, Any], held: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of checked metadata whose value differs from what a document (or a pending upload) holds."""
    def plain(value: Any) -> Any:
        return list(value) if isinstance(value, (list, tuple)) else value
    return {name: value for name, value in given.items() if plain(held.get(name)) != plain(value)}
