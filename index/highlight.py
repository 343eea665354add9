"""The best sentence of a passage for a query, chosen without re-encoding so it works at search speed.

Across languages the shared surface is small, so the signal is a blend of character n-grams
(cognates and names: intimacy/intimitet, Kunden/kunder, Disney) and stemmed word overlap.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from math import sqrt
from typing import Callable

from .lexical import analyze, analyze_query
from .text import fold_token, sentence_spans

_NGRAM = 4
_WORDS = re.compile(r"[^\W\d_]+")
_MIN_NAMING_WORDS = 4
_NAMING_SHARE = 2 / 3


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


def _names_things(sentence: str) -> bool:
    """Whether most words of a line of several are capitalised (German capitalises nouns: more than two thirds)."""
    words = _WORDS.findall(sentence)
    return len(words) >= _MIN_NAMING_WORDS and sum(w[0].isupper() for w in words) > _NAMING_SHARE * len(words)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    grams: Counter
    norm: float
    terms: frozenset[str]
    damp: float


@functools.lru_cache(maxsize=4096)
def _sentences(text: str, lang: str) -> tuple[_Sentence, ...]:
    """The sentences of a passage a highlight may be, with what matching needs; cached, since the passages that
    rank for one query rank for many, and preparing them costs more than scoring them."""
    found = []
    for start, end in sentence_spans(text) or [(0, len(text))]:
        sentence = text[start:end]
        grams = _ngrams(sentence)
        # Very short fragments (a heading, "-") win n-gram cosine too easily; damp them.
        found.append(_Sentence(start, end, grams, sqrt(sum(v * v for v in grams.values())),
                               frozenset(analyze(sentence, lang)), min(1.0, len(sentence) / 40)))
    # A line of mostly capitalised words (a byline: "Av: Peter Thomasson, Advisory Business Solutions Manager, SAS
    # Institute", a title) names things rather than says anything of them: no highlight where a sentence is there.
    saying = tuple(s for s in found if not _names_things(text[s.start:s.end]))
    return saying or tuple(found)


def sentence_highlighter(query: str, query_lang: str) -> Callable[[str, str], Highlight]:
    """A function (text, text_lang) -> the sentence of `text` that best matches the query.

    The query's n-grams and terms are computed once, for all the passages of one search.
    """
    query_grams = _ngrams(query)
    query_norm = sqrt(sum(v * v for v in query_grams.values()))
    query_terms = set(analyze_query(query, query_lang))

    def best_sentence(text: str, text_lang: str) -> Highlight:
        sentences = _sentences(text, text_lang)
        # Where nothing matches, the first sentence that says something stands in (not a short heading).
        best, best_score = max(sentences, key=lambda s: s.damp), 0.0
        for sentence in sentences:
            overlap = len(query_terms & sentence.terms) / (len(query_terms) or 1)
            cosine = 0.0
            if query_norm and sentence.norm:
                # Over the shared n-grams only (a set intersection, in C): most of a sentence's share nothing.
                shared = query_grams.keys() & sentence.grams.keys()
                cosine = sum(query_grams[g] * sentence.grams[g] for g in shared) / (query_norm * sentence.norm)
            score = (cosine + overlap) * sentence.damp
            if score > best_score:
                best, best_score = sentence, score
        return Highlight(text[best.start : best.end], best.start, best.end)

    return best_sentence
