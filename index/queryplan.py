"""The cross-language BM25 plan of a query: which analysed terms, at which weight, are scored against which passage language.

All terms against passages in the query's language at full weight, as monolingual BM25 does, analysed as the
passages were (the language's stems): a query word counts once in the score's bound, so a passage holding every
word of the query scores as high as BM25 allows, whatever the words' inflections. Against other
languages, with a bridge (`index.bridge`), the query's words translated into each language, weighted by the
evidence for each translation; without one (or when the query's language is unsure), only longer words
(names, shared loan words: Disney, Kindle, data), where short words are false friends ("de", "in", "is").
Ranking builds the plan once per search and hands it to the store's `lexical_top` and `lexical_of`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from .bridge import Bridge
from .lexical import analyze, words

CROSS_LANGUAGE_MIN_CHARS = 4


@dataclass(frozen=True)
class QueryPlan:
    """Per passage language, the distinct query terms scored against it and their weights in (0, 1]."""

    terms: tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...] = ()

    def __iter__(self) -> Iterator[tuple[str, tuple[str, ...], tuple[float, ...]]]:
        return iter(self.terms)

    def all_terms(self) -> list[str]:
        """Every term of the plan once, sorted."""
        return sorted({t for _, terms, _ in self.terms for t in terms})


def plan_query(query: str, query_lang: str, langs: Iterable[str], bridge: Bridge | None = None,
               extra_terms: Mapping[str, Sequence[str]] | None = None) -> QueryPlan:
    """The plan of `query` (in `query_lang`, `und` when unsure) over the passage languages `langs`;
    `extra_terms` (per passage language, words such as a named concept's labels) join that language's terms
    at full weight."""
    langs = sorted(langs)
    translated = bridge.translate(query, query_lang, langs) if bridge is not None and query_lang != "und" else None
    long_words = " ".join(w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS)
    plan = []
    for lang in langs:
        if translated is not None and lang != query_lang:
            weighted = dict(translated.get(lang, {}))
        else:
            text = query if lang == query_lang else long_words
            weighted = dict.fromkeys(analyze(text, lang), 1.0) if text else {}
        extra = " ".join((extra_terms or {}).get(lang, ()))
        weighted.update(dict.fromkeys(analyze(extra, lang), 1.0) if extra else {})
        if weighted:
            plan.append((lang, tuple(weighted), tuple(weighted.values())))
    return QueryPlan(tuple(plan))
