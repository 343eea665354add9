"""Exports of the catalogue: SKOS as JSON-LD for tools, Markdown for trainers."""
from __future__ import annotations

from typing import Any

from .catalogue import Catalogue, Concept
from .grounding import Grounding

SKOS = "http://www.w3.org/2004/02/skos/core#"
_DEFAULT_BASE = "https://example.org/kb/concepts/"
# How many cited passages per concept keep the trainer document readable.
_CITATIONS = 3


def to_skos_jsonld(catalogue: Catalogue) -> dict[str, Any]:
    """The catalogue as a skos:ConceptScheme with skos:Concept nodes, in JSON-LD."""
    base = catalogue.scheme.get("base", _DEFAULT_BASE)
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


def to_markdown(catalogue: Catalogue, groundings: dict[str, list[Grounding]] | None = None,
                sources: dict[str, str] | None = None) -> str:
    """A trainer's reference: concepts grouped by family with labels, links and cited passages.

    `sources` maps a doc_id to its citation ("title, source"); the doc_id stands in without it.
    """
    lines = [f"# {catalogue.scheme.get('title', 'Concepts')}", ""]
    for top in (c for c in catalogue if c.broader is None):
        lines += [f"## {top.labels['en']}", ""]
        for concept, depth in _walk(catalogue, top, 0):
            lines += _concept_section(catalogue, concept, depth, (groundings or {}).get(concept.id), sources or {})
    return "\n".join(lines).rstrip() + "\n"


def _walk(catalogue: Catalogue, concept: Concept, depth: int):
    yield concept, depth
    for child in catalogue.children(concept.id):
        yield from _walk(catalogue, catalogue.get(child), depth + 1)


def _concept_section(catalogue: Catalogue, c: Concept, depth: int, cited: list[Grounding] | None,
                     sources: dict[str, str]) -> list[str]:
    heading = "#" * min(3 + depth, 6)
    lines = [f"{heading} {c.labels['en']} (`{c.id}`)", "", c.definition, ""]
    lines += [f"- **{lang}**: {text}" + (f" (also: {', '.join(c.aliases[lang])})" if c.aliases.get(lang) else "")
              for lang, text in c.labels.items()]
    extra_langs = [lang for lang in c.aliases if lang not in c.labels]
    lines += [f"- **{lang}** (aliases): {', '.join(c.aliases[lang])}" for lang in extra_langs]

    def names(ids: list[str]) -> str:
        return ", ".join(f"{catalogue.label(i)} (`{i}`)" for i in ids)

    if c.broader:
        lines.append(f"- Broader: {names([c.broader])}")
    if c.related:
        lines.append(f"- Related: {names(c.related)}")
    if c.contrasts:
        lines.append(f"- Contrasts with: {names(c.contrasts)}")
    if cited:
        lines += ["", "Cited passages:", ""]
        lines += [f"> {g.sentence}\n>\n> — *{sources.get(g.doc_id, g.doc_id)}*, passage {g.chunk_id} ({g.lang})\n"
                  for g in cited[:_CITATIONS]]
    return [*lines, ""]
