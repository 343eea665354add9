"""The trainer's concept form: which fields it has, and how a submitted form becomes a concept body (the API's shape).

Aliases are one per line; an empty field is left out, so the body says only what the trainer typed and the
validation (index.concepts.edit) names what is missing or wrong.
"""
from __future__ import annotations

from typing import Mapping

from index.concepts import Catalogue, Concept
from index.concepts.catalogue import KNOWN_LANGUAGES
from index.concepts.edit import concept_body
from index.language import QUERY_LANGUAGES

# English first (it is required), then the corpus languages, then the other query languages.
LANGUAGES = ("en", "no", "sv", "nl", "da", "de", "fr", *(c for c in QUERY_LANGUAGES
                                                       if c not in ("en", "no", "sv", "nl", "da", "de", "fr")))
assert set(LANGUAGES) == set(KNOWN_LANGUAGES)
EMPTY = {"id": "", "labels": {}, "aliases": {}, "definitions": {}, "broader": None, "related": [], "contrasts": []}


def body_of(concept: Concept) -> dict:
    """A stored concept as the form shows it."""
    return concept_body(concept)


def body_from_form(form: Mapping, concept_id: str | None = None) -> dict:
    """The concept a submitted form describes (`concept_id` for an edit, whose id the form cannot change)."""
    def text(name: str) -> str:
        return " ".join(str(form.get(name, "")).split())

    labels = {lang: text(f"label_{lang}") for lang in LANGUAGES if text(f"label_{lang}")}
    aliases = {}
    for lang in LANGUAGES:
        lines = [" ".join(line.split()) for line in str(form.get(f"aliases_{lang}", "")).splitlines()]
        if any(lines):
            aliases[lang] = [line for line in lines if line]
    definitions = {lang: text(f"definition_{lang}") for lang in LANGUAGES if text(f"definition_{lang}")}
    return {
        "id": concept_id or text("id"),
        "labels": labels,
        "aliases": aliases,
        "definitions": definitions,
        "broader": text("broader") or None,
        "related": [v for v in form.getlist("related") if v] if hasattr(form, "getlist") else [],
        "contrasts": [v for v in form.getlist("contrasts") if v] if hasattr(form, "getlist") else [],
    }


def shown_languages(body: dict) -> tuple[list[str], list[str]]:
    """The form's languages split in two: English and those the concept has text in (shown), and the rest (offered
    by "Add a language")."""
    used = {lang for part in ("labels", "aliases", "definitions") for lang, value in body[part].items() if value}
    shown = [lang for lang in LANGUAGES if lang == "en" or lang in used]
    return shown, [lang for lang in LANGUAGES if lang not in shown]


def options(catalogue: Catalogue, concept_id: str | None) -> list[tuple[str, str]]:
    """(id, English label) of every other concept, sorted by label: the choices for broader, related, contrasts."""
    return sorted(((c.id, c.labels["en"]) for c in catalogue if c.id != concept_id), key=lambda o: o[1].casefold())
