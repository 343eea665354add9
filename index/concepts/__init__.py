"""The concept layer: a multilingual catalogue, concept lookup, grounding in passages and exports."""
from .catalogue import DEFAULT_PATH, Catalogue, Concept, Term, load_catalogue, parse_catalogue
from .export import to_markdown
from .grounding import DEFAULT_THRESHOLD, Grounding, check, ground
from .lookup import (
    ConceptIndex,
    ConceptMatch,
    build_concept_index,
    concepts_in_text,
    load_or_build_concept_index,
    lookup,
)
from .skos import from_graph, import_skos, parse_skos, to_graph, to_skos_jsonld, to_turtle

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_THRESHOLD",
    "Catalogue",
    "Concept",
    "ConceptIndex",
    "ConceptMatch",
    "Grounding",
    "Term",
    "build_concept_index",
    "check",
    "concepts_in_text",
    "from_graph",
    "ground",
    "import_skos",
    "load_catalogue",
    "load_or_build_concept_index",
    "lookup",
    "parse_catalogue",
    "parse_skos",
    "to_graph",
    "to_markdown",
    "to_skos_jsonld",
    "to_turtle",
]
