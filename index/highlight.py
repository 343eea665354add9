"""The best sentence of a passage for a query, chosen without re-encoding so it works at search speed.

Across languages the shared surface is small, so the signal is a blend of character n-grams
(cognates and names: intimacy/intimitet, Kunden/kunder, Disney) and stemmed word overlap.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from math import sqrt
from typing import Callable

from .lexical import analyze, analyze_query
from .text import fold_token, sentence_spans

_NGRAM = 4


@dataclass(frozen=True)
class Highlight:
    """A sentence of a chunk: chunk.text[start:end] == sentence."""

    sentence: str
    start: int
    end: int


def _ngrams(text: str) -> Counter:
    grams: Counter = Counter()
    for word in re.findall(r"\w+", text):
        word = fold_token(word)
        padded = f" {word} "
        grams.update(padded[i : i + _NGRAM] for i in range(max(1, len(padded) - _NGRAM + 1)))
    return grams


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    return dot / (sqrt(sum(v * v for v in a.values())) * sqrt(sum(v * v for v in b.values())))


def sentence_highlighter(query: str, query_lang: str) -> Callable[[str, str], Highlight]:
    """A function (text, text_lang) -> the sentence of `text` that best matches the query.

    The query's n-grams and terms are computed once, for all the passages of one search.
    The first sentence stands in when nothing matches.
    """
    query_grams = _ngrams(query)
    query_terms = set(analyze_query(query, query_lang))

    def best_sentence(text: str, text_lang: str) -> Highlight:
        spans = sentence_spans(text) or [(0, len(text))]
        best, best_score = spans[0], 0.0
        for start, end in spans:
            sentence = text[start:end]
            terms = set(analyze(sentence, text_lang))
            overlap = len(query_terms & terms) / (len(query_terms) or 1)
            # Very short fragments (a heading, "-") win n-gram cosine too easily; damp them.
            length_damp = min(1.0, len(sentence) / 40)
            score = (_cosine(query_grams, _ngrams(sentence)) + overlap) * length_damp
            if score > best_score:
                best, best_score = (start, end), score
        return Highlight(text[best[0] : best[1]], best[0], best[1])

    return best_sentence
