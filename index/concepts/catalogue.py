"""The concept catalogue: a SKOS-like, multilingual list of concepts loaded from YAML and validated."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from ..errors import CatalogueError, NotFound
from ..language import QUERY_LANGUAGES, normalize_lang

DEFAULT_PATH = Path(__file__).with_name("catalogue.yaml")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Languages a label may be in: those the search and look-ups understand.
KNOWN_LANGUAGES = frozenset(QUERY_LANGUAGES)


@dataclass(frozen=True)
class Term:
    """One label or alias of a concept, with its language."""

    concept_id: str
    lang: str
    text: str
    preferred: bool


@dataclass(frozen=True)
class Concept:
    """A concept with preferred labels and aliases per language."""

    id: str
    broader: str | None
    labels: dict[str, str]
    aliases: dict[str, list[str]]
    definition: str
    definitions: dict[str, str] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    contrasts: list[str] = field(default_factory=list)


@dataclass
class Catalogue:
    """All concepts of a scheme, in file order, with tree and label helpers."""

    concepts: dict[str, Concept]
    scheme: dict[str, str] = field(default_factory=dict)
    digest: str = ""

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self.concepts

    def get(self, concept_id: str) -> Concept:
        """The concept with this id; `NotFound` if unknown."""
        try:
            return self.concepts[concept_id]
        except KeyError:
            raise NotFound(f"unknown concept {concept_id!r}") from None

    def family(self, concept_id: str) -> str:
        """The top-level ancestor of a concept (a top-level concept is its own family)."""
        concept = self.get(concept_id)
        while concept.broader is not None:
            concept = self.concepts[concept.broader]
        return concept.id

    def children(self, concept_id: str) -> list[str]:
        """Ids of the concepts directly narrower than this one."""
        self.get(concept_id)
        return [c.id for c in self if c.broader == concept_id]

    def label(self, concept_id: str, lang: str = "en") -> str:
        """Preferred label in a language, falling back to English."""
        labels = self.get(concept_id).labels
        return labels.get(normalize_lang(lang)) or labels["en"]

    def languages(self) -> list[str]:
        """Every language with at least one label or alias, sorted."""
        langs = {lang for c in self for lang in (*c.labels, *c.aliases)}
        return sorted(langs)

    def all_terms(self) -> list[Term]:
        """Every preferred label and alias of every concept, with its language."""
        terms = []
        for c in self:
            terms += [Term(c.id, lang, text, True) for lang, text in c.labels.items()]
            terms += [Term(c.id, lang, text, False) for lang, texts in c.aliases.items() for text in texts]
        return terms


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and validate a catalogue YAML file (default: the bundled one)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw_text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(raw_text)
    except OSError as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"catalogue {path} is not valid YAML: {exc}") from exc
    return parse_catalogue(data, source=str(path))


def is_concept_id(text: str) -> bool:
    """Whether `text` is a concept id: lowercase words of letters and digits joined by '-'."""
    return bool(_KEBAB.match(text))


def parse_catalogue(data: Any, source: str = "catalogue") -> Catalogue:
    """Build a validated `Catalogue` from already-parsed YAML data."""
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), list):
        raise CatalogueError(f"{source}: expected a mapping with a 'concepts' list")
    concepts: dict[str, Concept] = {}
    for i, entry in enumerate(data["concepts"]):
        concept = _parse_concept(entry, f"{source}: concept #{i + 1}")
        if concept.id in concepts:
            raise CatalogueError(f"{source}: duplicate concept id {concept.id!r}")
        concepts[concept.id] = concept
    _check_references(concepts, source)
    _check_cycles(concepts, source)
    _check_labels(concepts, source)
    scheme = {str(k): str(v) for k, v in (data.get("scheme") or {}).items()}
    # The digest keys caches (concept index vectors) to the catalogue's content, not its file.
    canonical = json.dumps({"scheme": scheme, "concepts": [c.__dict__ for c in concepts.values()]},
                           sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return Catalogue(concepts=concepts, scheme=scheme, digest=digest)


def _parse_concept(entry: Any, where: str) -> Concept:
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected a mapping")
    cid = entry.get("id")
    if not isinstance(cid, str) or not is_concept_id(cid):
        raise CatalogueError(f"{where}: id {cid!r} is not kebab-case (lowercase words joined by '-')")
    where = f"concept {cid!r}"
    labels = _lang_map(entry.get("labels"), where, "labels")
    if not all(isinstance(v, str) and v.strip() for v in labels.values()):
        raise CatalogueError(f"{where}: every label must be a non-empty string")
    if "en" not in labels:
        raise CatalogueError(f"{where}: missing English label (labels.en)")
    aliases = {}
    for lang, texts in _lang_map(entry.get("aliases"), where, "aliases").items():
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise CatalogueError(f"{where}: aliases.{lang} must be a list of non-empty strings")
        aliases[lang] = [t.strip() for t in texts]
    definition = entry.get("definition")
    if not isinstance(definition, str) or not definition.strip():
        raise CatalogueError(f"{where}: missing English definition")
    definitions = {k: str(v).strip() for k, v in _lang_map(entry.get("definitions"), where, "definitions").items()}
    broader = entry.get("broader")
    if broader is not None and not isinstance(broader, str):
        raise CatalogueError(f"{where}: broader must be a concept id or null")
    return Concept(
        id=cid,
        broader=broader,
        labels={k: v.strip() for k, v in labels.items()},
        aliases=aliases,
        definition=" ".join(definition.split()),
        definitions=definitions,
        related=_id_list(entry.get("related"), where, "related"),
        contrasts=_id_list(entry.get("contrasts"), where, "contrasts"),
    )


def _lang_map(value: Any, where: str, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: {key} must map language codes to values")
    # YAML 1.1 reads a bare `no:` key as False; accept it as Norwegian rather than fail obscurely.
    return {("no" if k is False else normalize_lang(str(k))): v for k, v in value.items()}


def _id_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of concept ids")
    return list(value)


def _check_references(concepts: dict[str, Concept], source: str) -> None:
    for c in concepts.values():
        if c.broader is not None and c.broader not in concepts:
            raise CatalogueError(f"{source}: concept {c.id!r} has unknown parent (broader) {c.broader!r}")
        for key in ("related", "contrasts"):
            for other in getattr(c, key):
                if other not in concepts:
                    raise CatalogueError(f"{source}: concept {c.id!r} has unknown {key} id {other!r}")
                if other == c.id:
                    raise CatalogueError(f"{source}: concept {c.id!r} lists itself in {key}")


def _check_cycles(concepts: dict[str, Concept], source: str) -> None:
    for start in concepts.values():
        seen = [start.id]
        node = start
        while node.broader is not None:
            if node.broader in seen:
                chain = " -> ".join([*seen[seen.index(node.broader):], node.broader])
                raise CatalogueError(f"{source}: concept {start.id!r} is in a cycle of parents: {chain}")
            seen.append(node.broader)
            node = concepts[node.broader]


def _check_labels(concepts: dict[str, Concept], source: str) -> None:
    """Known languages only, and no label or alias naming two concepts in one language (look-ups would be ambiguous)."""
    owner: dict[tuple[str, str], str] = {}
    for c in concepts.values():
        texts = [(lang, text) for lang, text in c.labels.items()]
        texts += [(lang, text) for lang, values in c.aliases.items() for text in values]
        for lang in sorted({lang for lang, _ in texts} | set(c.definitions)):
            if lang not in KNOWN_LANGUAGES:
                raise CatalogueError(f"{source}: concept {c.id!r} uses unknown language {lang!r}"
                                     f" (known: {', '.join(sorted(KNOWN_LANGUAGES))})")
        for lang, text in texts:
            key = (lang, " ".join(text.casefold().split()))
            other = owner.setdefault(key, c.id)
            if other != c.id:
                raise CatalogueError(f"{source}: concept {c.id!r} has the {lang} label {text!r} of concept {other!r}")
