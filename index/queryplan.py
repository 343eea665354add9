"""The cross-language BM25 plan of a query: which analysed terms are scored against which passage language.

All terms against passages in the query's language, only longer words (names, shared loan words: Disney,
Kindle, data) against passages in other languages, where short words are false friends ("de", "in", "is").
Ranking builds the plan once per search and hands it to the store's `lexical_top` and `lexical_of`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from .lexical import analyze_query, words

CROSS_LANGUAGE_MIN_CHARS = 4


@dataclass(frozen=True)
class QueryPlan:
    """Per passage language, the distinct query terms scored against it (languages without terms left out)."""

    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __iter__(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        return iter(self.terms)

    def all_terms(self) -> list[str]:
        """Every term of the plan once, sorted."""
        return sorted({t for _, terms in self.terms for t in terms})


def plan_query(query: str, query_lang: str, langs: Iterable[str],
               extra_terms: Mapping[str, Sequence[str]] | None = None) -> QueryPlan:
    """The plan of `query` (in `query_lang`, `und` when unsure) over the passage languages `langs`;
    `extra_terms` (per passage language, words such as a named concept's labels) join that language's terms."""
    long_words = " ".join(w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS)
    plan = []
    for lang in sorted(langs):
        text = " ".join([query if lang == query_lang else long_words, *(extra_terms or {}).get(lang, ())]).strip()
        terms = tuple(dict.fromkeys(analyze_query(text, lang))) if text else ()
        if terms:
            plan.append((lang, terms))
    return QueryPlan(tuple(plan))
