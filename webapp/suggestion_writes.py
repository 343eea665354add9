"""Trainers' decisions on suggested concepts, shared by the API and the UI: accept (it becomes a concept), dismiss.

Accepting builds a concept from the suggestion (its labels per language and definitions drafted from its grounding
sentences, or the trainer's edited ones) and queues it like `POST /api/concepts` does (validated now, published by
a job); its job records the decision once the concept is published, so a refused or failed one leaves the suggestion open.
English is never made up: without an English term or sentence the trainer gives `labels.en` or `definitions.en`.
Dismissing records the decision at once. A suggestion is decided once: accepting one decided on or being accepted,
or dismissing one accepted or being accepted, is refused (`SuggestionDecided`, 409); a second dismissal is the first.
"""
from __future__ import annotations

import re
import unicodedata

from index.concepts.catalogue import KNOWN_LANGUAGES
from index.concepts.edit import MAX_ID_CHARS, RESERVED_IDS
from index.errors import InvalidConcept
from index.suggestions import (catalogue_labels, check_open, decision as decision_of, drafted_definitions,
                                written_aliases)

from . import concept_writes, health
from .auth import require_writer
from .kb import get_kb

_SLUG = re.compile(r"[^a-z0-9]+")
EDITABLE = ("id", "labels", "aliases", "definitions", "broader", "related", "contrasts")


def dismiss(suggestion_id: str) -> dict:
    """Record that a trainer dismissed a suggestion; returns the suggestion with its decision."""
    require_writer()
    health.require_writable()
    kb = get_kb()
    found = kb.suggestion(suggestion_id)
    taken = found["decision"]
    if taken is not None and taken["status"] == "dismissed":
        return found  # dismissed again: as it was
    # Not one being accepted (an accept queued after this check finds the dismissal in its job and fails); one
    # accepted is refused where the decision is written (`settle`).
    check_open(suggestion_id, {}, concept_writes.accepting())
    decision = kb.decide(found, "dismissed")
    return {**found, "decision": decision}


def accept(suggestion_id: str, edits: object) -> tuple[dict, int]:
    """Queue the concept a suggestion becomes (with a trainer's edits), its job to record the decision:
    ({job, concept, suggestion with the decision it will record}, 202)."""
    require_writer()
    if edits is None:
        edits = {}
    if not isinstance(edits, dict):
        raise InvalidConcept("the body must be a JSON object such as {\"labels\": {\"en\": ...}}")
    unknown = sorted(set(edits) - set(EDITABLE))
    if unknown:
        raise InvalidConcept(f"unknown field(s) {', '.join(unknown)}; a suggestion's concept takes {', '.join(EDITABLE)}")
    kb = get_kb()
    found = kb.suggestion(suggestion_id)
    body = concept_from(found, edits)
    accepted = {"id": found["id"], "terms": [{"ref": t["ref"]} for t in found["terms"]]}
    # Checked in the queue's transaction: neither decided on nor being accepted by a queued change.
    answer, status = concept_writes.add(body, suggestion=accepted)
    # Recorded by the job once the concept is published (a job that fails leaves the suggestion open).
    decision = decision_of(found, "accepted", concept_id=body["id"])
    return {**answer, "concept": body, "suggestion": {**found, "decision": decision}}, status


def concept_from(suggestion: dict, edits: dict) -> dict:
    """The concept body (shape of GET /api/concepts/<id>) a suggestion becomes, a trainer's edits applied.

    Labels default to the suggestion's, one per language the corpus writes it in, aliases to the other forms its
    passages write it in (`written_aliases`: a label is the term's base form), definitions to its best grounding
    sentence per language (`drafted_definitions`); edits replace them language by language. English is required and
    taken only from the suggestion or the trainer: without it, InvalidConcept names the missing field (and the
    dictionary's word-by-word gloss, to check).
    """
    kb = get_kb()
    labels = {**catalogue_labels(suggestion), **_texts(edits, "labels")}
    definitions = {**drafted_definitions(suggestion), **_texts(edits, "definitions")}
    missing = [name for name, texts in (("labels.en", labels), ("definitions.en", definitions)) if "en" not in texts]
    if missing:
        gloss = english_gloss(suggestion) if "en" not in labels else None
        hint = f"; the dictionary's word-by-word gloss is {gloss!r}, to check before using it" if gloss else ""
        raise InvalidConcept(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required: the suggestion "
                             f"has no English term or sentence, so give the English yourself{hint}")
    taken = {c["id"] for c in kb.concepts()}
    concept_id = edits.get("id") or _unique(_slug(labels["en"]) or suggestion["id"], taken)
    aliases = edits.get("aliases") or written_aliases(suggestion, kb.catalogue())
    return {"id": concept_id, "labels": labels, "aliases": aliases, "definitions": definitions,
            "broader": edits.get("broader"), "related": edits.get("related") or [],
            "contrasts": edits.get("contrasts") or []}


def _texts(edits: dict, name: str) -> dict[str, str]:
    """An edited object of language -> text (empty when not given); InvalidConcept for any other shape."""
    value = edits.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in value.items()):
        raise InvalidConcept(f"{name} must be an object of language -> non-empty text, such as {{\"en\": \"...\"}}")
    return value


def english_gloss(suggestion: dict) -> str | None:
    """The dictionary's word-by-word English gloss of a suggestion's first label, for the trainer to confirm or
    replace; None when the suggestion has an English label of its own."""
    labels = catalogue_labels(suggestion) or suggestion["labels"]
    if "en" in labels:
        return None
    lang, label = next(iter(labels.items()))
    if lang not in KNOWN_LANGUAGES:
        return None
    kb = get_kb()
    glossed = [(word, kb.glossary(word, lang, "en")) for word in label.split()]
    if not any(glosses for _, glosses in glossed):
        return None
    return " ".join(glosses[0]["gloss"].split(", ")[0] if glosses else word for word, glosses in glossed)


def _slug(text: str) -> str:
    """A concept id from a label: kebab-case ASCII, cut at a word short of the id's limit (room for a -2 suffix)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", ascii_text.lower()).strip("-")
    cut = slug[:MAX_ID_CHARS - 4]
    return cut.rsplit("-", 1)[0] if len(cut) < len(slug) else slug


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken or candidate in RESERVED_IDS:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate
