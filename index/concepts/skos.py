"""The catalogue as SKOS, in and out: one mapping (`to_skos_jsonld`), serialised as JSON-LD or Turtle, and read back
from either into a validated `Catalogue`.

Mapping: a skos:ConceptScheme (`base` + scheme id) with skos:Concept nodes `base` + concept id; skos:notation is
the id, skos:prefLabel / skos:altLabel / skos:definition carry language tags, skos:broader / skos:narrower /
skos:related link concepts, and contrasts (no SKOS property) is `<base>contrasts`.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from rdflib import RDF, SKOS as SKOS_NS, Graph, Literal, URIRef
from rdflib.plugins.stores.memory import Memory

from ..choices import SKOS_FORMATS
from ..errors import CatalogueError, InvalidConcept
from ..language import normalize_lang
from .catalogue import Catalogue, parse_catalogue
from .edit import entry_from_body

SKOS = str(SKOS_NS)
DEFAULT_BASE = "https://example.org/kb/concepts/"
FORMATS = SKOS_FORMATS
_NOT_KEBAB = re.compile(r"[^a-z0-9]+")
# A vocabulary this big is no catalogue for a knowledge base: refused before (bytes) or while (triples) parsing,
# so a huge file costs neither minutes nor gigabytes. Each concept's fields have the API's caps (edit.py).
MAX_SKOS_BYTES = 16 * 1024 * 1024
MAX_SKOS_TRIPLES = 200_000
MAX_SKOS_CONCEPTS = 10_000


class _BoundedMemory(Memory):
    """An rdflib in-memory store that refuses its MAX_SKOS_TRIPLES + 1st triple, stopping the parser there."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source, self.count = source, 0

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.count += 1
        if self.count > MAX_SKOS_TRIPLES:
            raise CatalogueError(f"{self.source}: more than {MAX_SKOS_TRIPLES} triples; a catalogue is smaller")
        super().add(triple, context, quoted)


def to_skos_jsonld(catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue as a skos:ConceptScheme with skos:Concept nodes, in JSON-LD."""
    base = catalogue.scheme.get("base", DEFAULT_BASE)
    scheme_id = base + catalogue.scheme.get("id", "scheme")
    context = {
        "skos": SKOS,
        "kb": base,
        "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
        "hasTopConcept": {"@id": "skos:hasTopConcept", "@type": "@id"},
        "broader": {"@id": "skos:broader", "@type": "@id"},
        "narrower": {"@id": "skos:narrower", "@type": "@id"},
        "related": {"@id": "skos:related", "@type": "@id"},
        # SKOS has no opposite-of relation; contrasts get their own property in the scheme namespace.
        "contrasts": {"@id": "kb:contrasts", "@type": "@id"},
        "prefLabel": "skos:prefLabel",
        "altLabel": "skos:altLabel",
        "definition": "skos:definition",
        "notation": "skos:notation",
    }
    graph: list[dict[str, Any]] = [{
        "@id": scheme_id,
        "@type": "skos:ConceptScheme",
        "prefLabel": [{"@value": catalogue.scheme.get("title", "Concepts"), "@language": "en"}],
        "hasTopConcept": [base + c.id for c in catalogue if c.broader is None],
    }]
    for c in catalogue:
        node: dict[str, Any] = {
            "@id": base + c.id,
            "@type": "skos:Concept",
            "notation": c.id,
            "inScheme": scheme_id,
            "prefLabel": [{"@value": text, "@language": lang} for lang, text in c.labels.items()],
            "altLabel": [{"@value": text, "@language": lang} for lang, texts in c.aliases.items() for text in texts],
            "definition": [{"@value": c.definition, "@language": "en"}]
            + [{"@value": text, "@language": lang} for lang, text in c.definitions.items() if lang != "en"],
        }
        if c.broader:
            node["broader"] = [base + c.broader]
        narrower = catalogue.children(c.id)
        if narrower:
            node["narrower"] = [base + n for n in narrower]
        if c.related:
            node["related"] = [base + r for r in c.related]
        if c.contrasts:
            node["contrasts"] = [base + r for r in c.contrasts]
        graph.append(node)
    return {"@context": context, "@graph": graph}


def to_graph(catalogue: Catalogue) -> Graph:
    """The catalogue's SKOS as an rdflib graph (what Turtle and the round-trip check are made from)."""
    return Graph().parse(data=json.dumps(to_skos_jsonld(catalogue)), format="json-ld")


def to_turtle(catalogue: Catalogue) -> str:
    """The catalogue's SKOS in Turtle."""
    graph = to_graph(catalogue)
    graph.bind("skos", SKOS_NS)
    graph.bind("kb", catalogue.scheme.get("base", DEFAULT_BASE))
    return graph.serialize(format="turtle")


def parse_skos(data: str | bytes, fmt: str, source: str = "SKOS") -> Graph:
    """Parse SKOS text in `json-ld` or `turtle`; `CatalogueError` when it is not well-formed or too big.

    JSON-LD that names a remote @context is refused: nothing is fetched from the network.
    """
    if fmt not in FORMATS:
        raise CatalogueError(f"SKOS format must be one of {', '.join(FORMATS)}")
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > MAX_SKOS_BYTES:
        raise CatalogueError(f"{source}: larger than {MAX_SKOS_BYTES} bytes, the most a SKOS file may have")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{source}: not UTF-8 (byte {exc.start})") from None
    if fmt == "json-ld":
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise CatalogueError(f"{source}: not JSON: {exc}") from exc
        if not isinstance(document, (dict, list)):
            raise CatalogueError(f"{source}: JSON-LD must be an object or an array, not {type(document).__name__}")
        _check_contexts(document, source)
    try:
        return Graph(store=_BoundedMemory(source)).parse(data=text, format=fmt)
    except CatalogueError:
        raise
    except Exception as exc:  # rdflib's parsers fail on malformed input with many exception types
        raise CatalogueError(f"{source}: not valid {fmt}: {' '.join(str(exc).split())[:300]}") from exc


def _check_contexts(node: Any, source: str) -> None:
    """Refuse remote (@context or @import naming a URL) and malformed (neither an object nor null) contexts."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                if _names_url(value):
                    raise CatalogueError(f"{source}: remote JSON-LD contexts are not fetched; inline the @context")
                items = value if isinstance(value, list) else [value]
                if not all(item is None or isinstance(item, dict) for item in items):
                    raise CatalogueError(f"{source}: {key} must be an object (or a list of objects), not {value!r:.40}")
            _check_contexts(value, source)
    elif isinstance(node, list):
        for item in node:
            _check_contexts(item, source)


def _names_url(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and any(isinstance(v, str) for v in value)


def from_graph(graph: Graph, source: str = "SKOS") -> Catalogue:
    """A validated catalogue from a SKOS graph with one concept scheme; `CatalogueError` names the offending concept.

    Besides the catalogue's own checks (ids, English label and definition, unknown references, broader cycles,
    known languages, a label on one concept only per language), a concept may have one prefLabel per language.
    """
    schemes = sorted(set(graph.subjects(RDF.type, SKOS_NS.ConceptScheme)))
    if len(schemes) > 1:
        raise CatalogueError(f"{source}: {len(schemes)} concept schemes; import one at a time")
    nodes = sorted(set(graph.subjects(RDF.type, SKOS_NS.Concept)))
    if not nodes:
        raise CatalogueError(f"{source}: no skos:Concept")
    if len(nodes) > MAX_SKOS_CONCEPTS:
        raise CatalogueError(f"{source}: {len(nodes)} concepts; a catalogue may have at most {MAX_SKOS_CONCEPTS}")
    ids = {node: _concept_id(graph, node) for node in nodes}
    base = _common_base(nodes, ids)
    contrasts = URIRef(base + "contrasts")

    def ref(target) -> str:
        return ids.get(target) or _slug(_local_name(str(target)))

    entries = []
    for node in nodes:
        where = f"{source}: concept {ids[node]!r}"
        labels = _single_per_language(graph, node, SKOS_NS.prefLabel, where, "prefLabel")
        aliases: dict[str, list[str]] = defaultdict(list)
        for lang, text in _literals(graph, node, SKOS_NS.altLabel, where, "altLabel"):
            aliases[lang].append(text)
        definitions = _single_per_language(graph, node, SKOS_NS.definition, where, "definition")
        broader = sorted(ref(o) for o in graph.objects(node, SKOS_NS.broader))
        if len(broader) > 1:
            raise CatalogueError(f"{where}: {len(broader)} broader concepts; the catalogue allows one")
        body = {
            "id": ids[node],
            "broader": broader[0] if broader else None,
            "labels": labels,
            "aliases": {lang: sorted(texts) for lang, texts in sorted(aliases.items())},
            "definitions": definitions,
            "related": sorted(ref(o) for o in graph.objects(node, SKOS_NS.related)),
            "contrasts": sorted(ref(o) for o in graph.objects(node, contrasts)),
        }
        try:  # the shape and field caps a concept has through the API
            entries.append(entry_from_body(body))
        except InvalidConcept as exc:
            raise CatalogueError(f"{source}: {exc}") from None
    scheme: dict[str, str] = {"base": base}
    if schemes:
        scheme["id"] = str(schemes[0])[len(base):] if str(schemes[0]).startswith(base) else _slug(_local_name(str(schemes[0])))
        titles = dict((lang, text) for lang, text in _literals(graph, schemes[0], SKOS_NS.prefLabel, source, "title"))
        if titles:
            scheme["title"] = titles.get("en") or next(iter(titles.values()))
    return parse_catalogue({"scheme": scheme, "concepts": entries}, source=source)


def import_skos(data: str | bytes, fmt: str, source: str = "SKOS") -> Catalogue:
    """Parse and validate a SKOS vocabulary in JSON-LD or Turtle into a catalogue."""
    return from_graph(parse_skos(data, fmt, source), source)


def _concept_id(graph: Graph, node) -> str:
    notations = sorted(str(n) for n in graph.objects(node, SKOS_NS.notation))
    return notations[0] if notations else _slug(_local_name(str(node)))


def _local_name(iri: str) -> str:
    return re.split(r"[/#:]", iri.rstrip("/#"))[-1]


def _slug(name: str) -> str:
    """A local name as a kebab-case id ("CustomerIntimacy" -> "customer-intimacy")."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return _NOT_KEBAB.sub("-", spaced.lower()).strip("-") or name


def _common_base(nodes: list, ids: dict) -> str:
    """The namespace the concept IRIs share: what precedes each one's id (or local name), when they agree."""
    bases = set()
    for node in nodes:
        iri = str(node)
        tail = ids[node] if iri.endswith(ids[node]) else _local_name(iri)
        bases.add(iri[:len(iri) - len(tail)])
    return bases.pop() if len(bases) == 1 else DEFAULT_BASE


def _literals(graph: Graph, node, predicate, where: str, what: str) -> list[tuple[str, str]]:
    out = []
    for value in graph.objects(node, predicate):
        if not isinstance(value, Literal) or not value.language:
            raise CatalogueError(f"{where}: {what} {str(value)!r} has no language tag")
        out.append((normalize_lang(value.language), str(value)))
    return sorted(out)


def _single_per_language(graph: Graph, node, predicate, where: str, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for lang, text in _literals(graph, node, predicate, where, what):
        if lang in found:
            raise CatalogueError(f"{where}: two {what}s in language {lang!r}: {found[lang]!r} and {text!r}")
        found[lang] = text
    return found
