"""Citation links and the course pack's exports: public URLs by document id, pack items resolved to entries.

Links use `KB_PUBLIC_URL` when it is set, else the URL the request came in on; they name documents by id, never
by a stored file. A pack is sent as the keys the browser keeps (`passage:<doc_id>:<ord>[:<start>-<end>]`,
`concept:<id>`), so every export is written on the server from the served index (`index.citations`).
"""
from __future__ import annotations

import base64
import hashlib
import re
import time

from flask import current_app, g, request, url_for

from index.citations import HTML_STYLE, ConceptEntry, Entry, PassageEntry, Reference
from index.errors import InvalidQuery
from index.language import lang_name

from .kb import get_kb

MAX_PACK_ITEMS = 200
_PASSAGE_KEY = re.compile(r"^passage:([0-9a-f]{1,64}):([0-9]{1,6})(?::([0-9]{1,7})-([0-9]{1,7}))?$")
_CONCEPT_KEY = re.compile(r"^concept:([\w.-]{1,100})$")
# The exported HTML page's one inline style, allowed by its hash: opened from the server it breaks no policy.
EXPORT_CSP = ("default-src 'none'; style-src 'sha256-"
              + base64.b64encode(hashlib.sha256(HTML_STYLE.encode("utf-8")).digest()).decode("ascii")
              + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def base_url() -> str:
    """Where the knowledge base is reached: the configured public URL, else this request's root (no trailing /)."""
    # Once per request: a page of results cites every passage, and the request's root is rebuilt on each read.
    if "base_url" not in g:
        g.base_url = current_app.config["KB"].public_url or request.url_root.rstrip("/")
    return g.base_url


def public(path: str) -> str:
    """An absolute public URL of a path of this app (as `url_for` gives it)."""
    return base_url() + path


def document_url(doc_id: str, ord: int | None = None, highlight: tuple[int, int] | None = None) -> str:
    """The public link to a document, or to one of its passages (and a sentence in it)."""
    if ord is None:
        return public(url_for("views.document", doc_id=doc_id))
    hl = f"{highlight[0]}-{highlight[1]}" if highlight and highlight[1] > highlight[0] else None
    return public(url_for("views.document", doc_id=doc_id, chunk=ord, hl=hl, _anchor=f"chunk-{ord}"))


def cite(fields: dict) -> dict:
    """A citation as the API and pages show it: the service's fields with the document's public link and one line."""
    return Reference.of(fields, document_url(fields["doc_id"])).to_dict()


def _passage(doc_id: str, ord: int, span: tuple[int, int] | None, key: str) -> PassageEntry:
    found = get_kb().passage(doc_id, ord)
    text = found["text"]
    if span and span[1] > len(text):
        raise InvalidQuery(f"item {key[:80]!r}: the span ends after the passage ({len(text)} characters)")
    start, end = span or (0, 0)
    return PassageEntry(Reference.of(found["citation"], document_url(doc_id)), text[:start], text[start:end],
                        text[end:], found["lang"], document_url(doc_id, ord, (start, end)),
                        tuple(tuple(span) for span in found["code"]))


def _concept(concept_id: str) -> ConceptEntry:
    kb = get_kb()
    concept = kb.concept(concept_id, limit=0)  # a pack cites the concept, not its passages
    family = concept["family"]
    family_label = kb.concept(family, limit=0)["label"] if family and family != concept_id else concept["label"]
    labels = tuple((lang_name(code), label) for code, label in concept["labels"].items())
    return ConceptEntry(concept["label"], family_label, concept["definition"], labels,
                        public(url_for("views.concept", concept_id=concept_id)))


def pack_entries(raw: str) -> list[Entry]:
    """The entries of a pack given as comma-separated item keys; InvalidQuery names a malformed key."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise InvalidQuery("items must name at least one passage or concept")
    if len(keys) > MAX_PACK_ITEMS:
        raise InvalidQuery(f"a course pack holds at most {MAX_PACK_ITEMS} items")
    entries: list[Entry] = []
    for key in keys:
        passage, concept = _PASSAGE_KEY.match(key), _CONCEPT_KEY.match(key)
        if passage:
            span = (int(passage[3]), int(passage[4])) if passage[3] else None
            if span and span[0] > span[1]:
                raise InvalidQuery(f"item {key[:80]!r}: a span's start comes after its end")
            entries.append(_passage(passage[1], int(passage[2]), span, key))
        elif concept:
            entries.append(_concept(concept[1]))
        else:
            raise InvalidQuery(f"item {key[:80]!r} is neither passage:<doc_id>:<ord>[:<start>-<end>] nor concept:<id>")
    return entries


def today() -> str:
    """The date a pack is compiled on (UTC)."""
    return time.strftime("%Y-%m-%d", time.gmtime())
