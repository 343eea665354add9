"""A document's citation fields: what people gave (metadata.json, an upload's form) over what its file declares.

Given values are checked (a bad one is the file's error); a file's own properties that do not parse (a
producer's odd date) are dropped, since the file is still a document without them.
"""
from __future__ import annotations

from index.docmeta import FIELDS, check_metadata
from index.errors import DocumentError, InvalidMetadata

from . import limits
from .cleaning import clean_title

# A first line longer than this is a paragraph, not a heading: its title is cut at a word.
FIRST_LINE_TITLE_CHARS = 120
# Keys of metadata.json that name a field otherwise: its single `author`, and `language` as the API calls it.
ALIASES = {"author": "authors", "language": "lang"}


def given_fields(metadata: dict, name: str) -> dict:
    """Pop the citation fields out of a file's given metadata (the rest stays in it), checked; DocumentError names `name`."""
    raw = {ALIASES.get(key, key): metadata.pop(key) for key in list(metadata) if ALIASES.get(key, key) in FIELDS}
    # A folder's metadata.json is a person's, not a request: overlong names are shortened, not refused.
    for key in ("title", "publisher"):
        if isinstance(raw.get(key), str):
            raw[key] = clean_title(raw[key], limits.MAX_TITLE_CHARS)
    if isinstance(raw.get("authors"), list):
        raw["authors"] = [clean_title(a, limits.MAX_TITLE_CHARS) if isinstance(a, str) else a for a in raw["authors"]]
    try:
        return {k: v for k, v in check_metadata(raw).items() if v}
    except InvalidMetadata as exc:
        raise DocumentError(f"{name}: {exc}") from None


def declared_fields(declared: dict) -> dict:
    """The fields of a file's own properties that parse, one by one."""
    fields = {}
    for key, value in declared.items():
        try:
            fields.update(check_metadata({key: value}))
        except InvalidMetadata:
            continue
    return {k: v for k, v in fields.items() if v}


def first_line_title(text: str) -> str:
    """A title from a text's first line, shortened at a word when it is a whole paragraph."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    return clean_title(first, FIRST_LINE_TITLE_CHARS)
