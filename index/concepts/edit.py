"""Trainers' changes to the catalogue: add, replace or remove one concept, validated against the whole catalogue.

A change is checked before anything is written: the concept's own shape (kebab-case id, an English label and
definition, known languages, lists of ids), then the catalogue it would make (unique ids, a label or alias naming
one concept in any language (as look-ups fold them), references to existing ids, no cycle of broader concepts). Every refusal is an
`InvalidConcept` (400: malformed) or a `ConceptConflict` (409: clashes with other concepts) naming the concept
and the field; the catalogue passed in is never modified.

The body of a concept is the shape of `GET /api/concepts/<id>`: `id`, `labels`, `aliases`, `definitions` (the
English definition is `definitions.en`), `broader`, `related`, `contrasts`. The read-only keys that answer also
carries (`label`, `family`, `definition`, `narrower`, `passages`) are ignored; any other key is refused.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import CatalogueError, ConceptChanged, ConceptConflict, InvalidConcept, NotFound
from ..language import normalize_lang
from .catalogue import KNOWN_LANGUAGES, Catalogue, Concept, is_concept_id, parse_catalogue
from .storage import concept_entry
from .text import compact, fold

ADD, REPLACE, REMOVE = "add", "replace", "remove"
ACTIONS = (ADD, REPLACE, REMOVE)
FIELDS = ("id", "labels", "aliases", "definitions", "broader", "related", "contrasts")
READ_ONLY = ("label", "family", "definition", "narrower", "passages", "passages_total")
MAX_ID_CHARS = 80
MAX_LABEL_CHARS = 200
MAX_DEFINITION_CHARS = 4000
MAX_ALIASES = 100  # per language
MAX_LINKS = 100  # related or contrasts
RESERVED_IDS = ("lookup", "export", "new")  # /concepts/<id> pages and /api/concepts/<id> routes of their own


@dataclass(frozen=True)
class ConceptChange:
    """One change to the catalogue: `add` or `replace` a concept (with its body), or `remove` one."""

    action: str
    concept_id: str
    body: dict[str, Any] | None = None
    # The suggestion an added concept comes from ({id, terms: [{ref}]}): recorded as accepted by the job that
    # publishes the concept, so that a job that fails leaves the suggestion to decide on again.
    suggestion: dict[str, Any] | None = None
    # The tag (`concept_tag`) of the concept as the client read it (If-Match): a replacement or removal made on a
    # concept that changed since is refused, when queued and again when applied.
    expected: str | None = None

    def to_json(self) -> str:
        """The change as JSON (how a job carries it)."""
        data = {"action": self.action, "id": self.concept_id, "body": self.body}
        data |= {k: v for k, v in (("suggestion", self.suggestion), ("expected", self.expected)) if v is not None}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ConceptChange":
        """Read a change written by `to_json`."""
        data = json.loads(text)
        return cls(data["action"], data["id"], data.get("body"), data.get("suggestion"), data.get("expected"))


def concept_body(concept: Concept) -> dict[str, Any]:
    """A concept in the API's shape (what `POST /api/concepts` takes)."""
    return {
        "id": concept.id,
        "labels": dict(concept.labels),
        "aliases": {lang: list(texts) for lang, texts in concept.aliases.items()},
        "definitions": {"en": concept.definition, **{k: v for k, v in concept.definitions.items() if k != "en"}},
        "broader": concept.broader,
        "related": list(concept.related),
        "contrasts": list(concept.contrasts),
    }


def concept_tag(body: dict[str, Any]) -> str:
    """The version of a concept in the API's shape (`concept_body`, or the GET answer holding it), as HTTP's ETag
    gives it: any change of its editable fields changes it."""
    text = json.dumps({k: body[k] for k in FIELDS}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def check_expected(catalogue: Catalogue, change: ConceptChange) -> None:
    """ConceptChanged when a replacement or removal was made on a version of the concept other than the catalogue's
    (If-Match); NotFound when the concept is unknown."""
    if change.expected is not None and change.action in (REPLACE, REMOVE):
        found = concept_tag(concept_body(catalogue.get(change.concept_id)))
        if found != change.expected:
            raise ConceptChanged(f"concept {change.concept_id!r} changed since it was read (its tag is now "
                                 f"{found!r}, not {change.expected!r}): read it again and redo the change")


def check_change(catalogue: Catalogue, change: ConceptChange) -> Catalogue:
    """The catalogue after `change`, validated; raises InvalidConcept, ConceptConflict, ConceptChanged or NotFound,
    changing nothing."""
    check_expected(catalogue, change)
    if change.action == ADD:
        return add_concept(catalogue, change.body)
    if change.action == REPLACE:
        return replace_concept(catalogue, change.concept_id, change.body)
    if change.action == REMOVE:
        return remove_concept(catalogue, change.concept_id)
    raise InvalidConcept(f"unknown change {change.action!r} (one of {', '.join(ACTIONS)})")


def ahead(catalogue: Catalogue, queued: Iterable[ConceptChange]) -> Catalogue:
    """The catalogue as the queued changes will leave it, applied in order; one that no longer applies is passed
    over, as its job will fail."""
    for change in queued:
        try:
            catalogue = check_change(catalogue, change)
        except (InvalidConcept, ConceptConflict, ConceptChanged, NotFound):
            continue
    return catalogue


def in_effect(catalogue: Catalogue, change: ConceptChange) -> bool:
    """Whether the catalogue already reads as the change would leave it: an added or replaced concept there as
    given, a removed one gone (a job run again because its runner died after publishing it must not then fail)."""
    if change.action == REMOVE:
        return change.concept_id not in catalogue
    if change.action in (ADD, REPLACE) and change.concept_id in catalogue:
        try:
            return replace_concept(catalogue, change.concept_id, change.body).digest == catalogue.digest
        except (InvalidConcept, ConceptConflict):
            return False
    return False


def add_concept(catalogue: Catalogue, body: Any) -> Catalogue:
    """The catalogue with one new concept (appended); ConceptConflict when its id or a label is taken."""
    entry = entry_from_body(body)
    if entry["id"] in RESERVED_IDS:
        raise InvalidConcept(f"concept id {entry['id']!r} is reserved (it names a page); choose another id")
    if entry["id"] in catalogue:
        raise ConceptConflict(f"concept {entry['id']!r} already exists; change it with PUT /api/concepts/{entry['id']}")
    entries = [concept_entry(c) for c in catalogue] + [entry]
    return _validated(catalogue, entries, entry["id"])


def replace_concept(catalogue: Catalogue, concept_id: str, body: Any) -> Catalogue:
    """The catalogue with concept `concept_id` replaced by `body` (same id, same place); NotFound when unknown."""
    catalogue.get(concept_id)
    entry = entry_from_body(body, concept_id)
    entries = [entry if c.id == concept_id else concept_entry(c) for c in catalogue]
    return _validated(catalogue, entries, concept_id)


def remove_concept(catalogue: Catalogue, concept_id: str) -> Catalogue:
    """The catalogue without `concept_id`; related and contrasting links to it are dropped from the others.

    A concept with narrower concepts is refused (ConceptConflict): move or remove them first.
    """
    catalogue.get(concept_id)
    narrower = catalogue.children(concept_id)
    if narrower:
        raise ConceptConflict(f"concept {concept_id!r} has narrower concepts ({', '.join(narrower)}); "
                              "give them another broader concept or remove them first")
    if len(catalogue) == 1:
        raise ConceptConflict(f"concept {concept_id!r} is the catalogue's last concept; a catalogue keeps one at least")
    entries = []
    for c in catalogue:
        if c.id != concept_id:
            entry = concept_entry(c)
            entry["related"] = [i for i in entry["related"] if i != concept_id]
            entry["contrasts"] = [i for i in entry["contrasts"] if i != concept_id]
            entries.append(entry)
    return _validated(catalogue, entries, concept_id)


def changed_concepts(before: Catalogue, after: Catalogue) -> list[str]:
    """Ids of concepts added, removed or changed between two catalogues (after's order, then removed ones)."""
    changed = [c.id for c in after if before.concepts.get(c.id) != c]
    return changed + [cid for cid in before.concepts if cid not in after]


def entry_from_body(body: Any, concept_id: str | None = None) -> dict[str, Any]:
    """Check a concept body's shape and turn it into a catalogue entry; InvalidConcept names the field.

    With `concept_id` (a replacement) the body's `id` may be left out but must match when given.
    """
    if not isinstance(body, dict):
        raise InvalidConcept("a concept must be a JSON object with id, labels, aliases, definitions, broader, "
                             "related and contrasts")
    unknown = sorted(set(body) - set(FIELDS) - set(READ_ONLY))
    if unknown:
        raise InvalidConcept(f"concept {body.get('id', concept_id)!r}: unknown field {unknown[0]!r} "
                             f"(fields: {', '.join(FIELDS)})")
    cid = body.get("id", concept_id)
    if not isinstance(cid, str) or not cid or len(cid) > MAX_ID_CHARS or not is_concept_id(cid):
        shown = repr(cid) if not isinstance(cid, str) or len(cid) <= MAX_ID_CHARS else f"{cid[:MAX_ID_CHARS]!r}..."
        raise InvalidConcept(f"field 'id' must be a kebab-case string of at most {MAX_ID_CHARS} characters, "
                             f"not {shown}")
    if concept_id is not None and cid != concept_id:
        raise InvalidConcept(f"concept {concept_id!r}: field 'id' is {cid!r}; a concept's id cannot change "
                             "(add a new concept and remove this one)")
    where = f"concept {cid!r}"
    labels = {lang: _text(text, where, f"labels.{lang}", MAX_LABEL_CHARS)
              for lang, text in _lang_map(body.get("labels"), where, "labels").items()}
    aliases: dict[str, list[str]] = {}
    for lang, texts in _lang_map(body.get("aliases"), where, "aliases").items():
        if not isinstance(texts, list) or len(texts) > MAX_ALIASES:
            raise InvalidConcept(f"{where}: field 'aliases.{lang}' must be a list of at most {MAX_ALIASES} strings")
        found = [_text(t, where, f"aliases.{lang}", MAX_LABEL_CHARS) for t in texts]
        found = [t for i, t in enumerate(found) if _key(t) not in {_key(o) for o in found[:i]}]
        found = [t for t in found if _key(t) != _key(labels.get(lang, ""))]  # the label need not be an alias too
        if found:
            aliases[lang] = found
    definitions = {lang: " ".join(_text(text, where, f"definitions.{lang}", MAX_DEFINITION_CHARS).split())
                   for lang, text in _lang_map(body.get("definitions"), where, "definitions").items()}
    if "en" not in labels:
        raise InvalidConcept(f"{where}: field 'labels.en' is required (the English label)")
    if "en" not in definitions:
        raise InvalidConcept(f"{where}: field 'definitions.en' is required (the English definition)")
    broader = body.get("broader")
    if broader is not None and (not isinstance(broader, str) or not broader):
        raise InvalidConcept(f"{where}: field 'broader' must be a concept id or null")
    return {
        "id": cid,
        "broader": broader,
        "labels": labels,
        "aliases": aliases,
        "definition": definitions.pop("en"),
        "definitions": definitions,
        "related": _ids(body.get("related"), where, "related"),
        "contrasts": _ids(body.get("contrasts"), where, "contrasts"),
    }


def _lang_map(value: Any, where: str, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidConcept(f"{where}: field '{name}' must map language codes to values")
    found = {}
    for lang, item in value.items():
        code = normalize_lang(lang)
        if code not in KNOWN_LANGUAGES:
            raise InvalidConcept(f"{where}: field '{name}' has unknown language {lang!r} "
                                 f"(known: {', '.join(sorted(KNOWN_LANGUAGES))})")
        if code in found:
            raise InvalidConcept(f"{where}: field '{name}' has language {code!r} twice")
        found[code] = item
    return found


def _text(value: Any, where: str, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidConcept(f"{where}: field '{name}' must be a non-empty string")
    if len(value) > limit:
        raise InvalidConcept(f"{where}: field '{name}' is longer than {limit} characters")
    return " ".join(value.split())


def _ids(value: Any, where: str, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or len(value) > MAX_LINKS:
        raise InvalidConcept(f"{where}: field '{name}' must be a list of at most {MAX_LINKS} concept ids")
    return list(dict.fromkeys(value))


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _wording(text: str) -> str:
    # As look-ups match (accents, case, hyphens, spaces and Unicode forms folded away): two concepts must never
    # share one, in any language, or a look-up of one finds the other. One concept may list such variants.
    return compact(fold(text))


def _validated(before: Catalogue, entries: list[dict[str, Any]], concept_id: str) -> Catalogue:
    """Parse the would-be catalogue: label clashes are conflicts, every other problem makes the change invalid."""
    _check_label_clashes(entries, concept_id)
    try:
        return parse_catalogue({"scheme": dict(before.scheme), "concepts": entries}, source="catalogue")
    except (InvalidConcept, ConceptConflict):
        raise
    except CatalogueError as exc:
        raise InvalidConcept(str(exc).removeprefix("catalogue: ")) from None


def _check_label_clashes(entries: list[dict[str, Any]], concept_id: str) -> None:
    mine = next((e for e in entries if e["id"] == concept_id), None)
    if mine is None:
        return
    owner = {}
    for e in entries:
        if e["id"] != concept_id:
            for lang, text in _wordings(e):
                owner[_wording(text)] = (e["id"], lang, text)
    for lang, text in _wordings(mine):
        if not _wording(text):
            raise InvalidConcept(f"concept {concept_id!r}: the {lang} label or alias {text!r} has no letter or digit")
        if _wording(text) in owner:
            other, other_lang, other_text = owner[_wording(text)]
            raise ConceptConflict(f"concept {concept_id!r}: the {lang} label or alias {text!r} reads as the "
                                  f"{other_lang} label or alias {other_text!r} of concept {other!r}")


def _wordings(entry: dict[str, Any]) -> list[tuple[str, str]]:
    found = list(entry["labels"].items())
    return found + [(lang, text) for lang, texts in entry["aliases"].items() for text in texts]
