"""Concepts a query names, as ranking evidence: which concepts steer a search and which of their words join BM25.

A concept steers when its look-up score reaches `RankingConfig.concept_min_score` (calibrated in
`eval/calibrate_concepts.py`); ranking then adds evidence to the passages grounded in it, more where the whole
query is one of its names (the reader asked for the concept itself), and scores its labels and aliases against
passages in their own language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .concepts import Catalogue, ConceptMatch
from .lexical import words
from .queryplan import CROSS_LANGUAGE_MIN_CHARS


@dataclass(frozen=True)
class Steering:
    """The steering concepts with their look-up scores, those the whole query names (an exact match of a label or
    an alias), and per passage language the words their labels add."""

    concepts: Mapping[str, float] = field(default_factory=dict)
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    named: frozenset[str] = frozenset()


def steering_for(matches: Sequence[ConceptMatch], catalogue: Catalogue, query_lang: str, min_score: float) -> Steering:
    """The concepts among `matches` scoring at least `min_score`, with the words of their labels and aliases.

    Words join every language but the query's own, whose BM25 stays the query's (the query already says the
    concept in its words there); short words are left out, since aliases hold function words ("de tre ...").
    """
    chosen = {m.id: m.score for m in matches if m.score >= min_score and m.id in catalogue}
    terms: dict[str, dict[str, None]] = {}
    for concept_id in chosen:
        concept = catalogue.get(concept_id)
        wordings = [(lang, text) for lang, text in concept.labels.items()]
        wordings += [(lang, text) for lang, texts in concept.aliases.items() for text in texts]
        for lang, text in wordings:
            if lang != query_lang:
                terms.setdefault(lang, {}).update(dict.fromkeys(w for w in words(text) if len(w) >= CROSS_LANGUAGE_MIN_CHARS))
    named = frozenset(m.id for m in matches if m.id in chosen and m.via == "exact")
    return Steering(chosen, {lang: tuple(found) for lang, found in terms.items() if found}, named)
