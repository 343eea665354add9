"""Per-language analysis (Snowball stemmers) and the BM25 constants every store scores with."""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Sequence

import Stemmer

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_JOINERS = re.compile(r"[-'’]")  # what joins a hyphenated compound's or an elision's parts
_STEMMERS = {
    "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "it": "italian", "no": "norwegian", "pt": "portuguese", "es": "spanish", "sv": "swedish",
    "ro": "romanian", "hu": "hungarian", "ru": "russian", "tr": "turkish",
}
K1, B = 1.2, 0.75


@functools.lru_cache(maxsize=None)
def _stemmer(lang: str) -> "Stemmer.Stemmer | None":
    algorithm = _STEMMERS.get(lang)
    return Stemmer.Stemmer(algorithm) if algorithm else None


def words(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated compounds also yield their parts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if _JOINERS.search(token) is None:  # most words: no parts to add
            tokens.append(token)
            continue
        tokens.append(token.replace("’", "'"))
        tokens.extend(p for p in _JOINERS.split(token) if p)
    return tokens


def analyze(text: str, lang: str) -> list[str]:
    """Index terms of a text in a language: its words, stemmed where a stemmer exists."""
    return terms(words(text), lang)


def terms(tokens: list[str], lang: str) -> list[str]:
    """Index terms of a text's `words` in a language: stemmed where a stemmer exists."""
    stemmer = _stemmer(lang)
    return stemmer.stemWords(tokens) if stemmer else tokens


def analyze_query(text: str, lang: str) -> list[str]:
    """A query's words as written plus their stems: what highlighting looks for in a sentence (BM25 scores the
    query analysed as the passages were, by `analyze`)."""
    tokens = words(text)
    stemmer = _stemmer(lang)
    stems = stemmer.stemWords(tokens) if stemmer else []
    return list(dict.fromkeys(tokens + stems))


def stemmer(lang: str) -> "Stemmer.Stemmer | None":
    """The Snowball stemmer of a language (one per process), or None where Snowball has none."""
    return _stemmer(lang)


def bm25_bound(weights: Sequence[float], idfs: Sequence[float]) -> float:
    """The most a passage can score for weighted terms (an unknown term's idf is its language's mean): the 0..1 scale."""
    return max(1e-6, float(sum(w * i for w, i in zip(weights, idfs))) * (K1 + 1))
