"""The concept layer: a multilingual catalogue, concept lookup, grounding in passages and exports."""
from .catalogue import DEFAULT_PATH, Catalogue, Concept, Term, load_catalogue, parse_catalogue
from .export import to_markdown, to_skos_jsonld
from .grounding import DEFAULT_THRESHOLD, Grounding, check, ground
from .lookup import (
    ConceptIndex,
    ConceptMatch,
    build_concept_index,
    concepts_in_text,
    load_or_build_concept_index,
    lookup,
)

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
    "ground",
    "load_catalogue",
    "load_or_build_concept_index",
    "lookup",
    "parse_catalogue",
    "to_markdown",
    "to_skos_jsonld",
]
