"""The catalogue as Markdown for trainers (SKOS for thesaurus tools lives in skos.py)."""
from __future__ import annotations

from .catalogue import Catalogue, Concept
from .grounding import Grounding

# How many cited passages per concept keep the trainer document readable.
_CITATIONS = 3


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
