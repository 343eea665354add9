"""Candidate terms of a text: word n-grams bounded by function words and punctuation, keyed by their stems.

"de tre elementen i värdedisciplinmodellen" yields "elementen", "värdedisciplinmodellen" and nothing that
spans "i": a term neither starts, ends nor runs through a function word (Snowball stop lists, or the
corpus's own most common words for a language without one), a digit or a punctuation mark.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from ..glosses.stopwords import STOPWORDS
from ..lexical import stemmer

MAX_WORDS = 3
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
# Only blanks may separate the words of a term; anything else (a comma, a quote, a line break) ends it.
_JOINER = re.compile(r"[ \t\u00a0]{1,3}")
# A language without a Snowball stop list takes as function words those found in this share of its passages.
_CORPUS_STOP_SHARE = 0.25
_CORPUS_STOP_MIN_PASSAGES = 20
# An e-mail address names a person or a mailbox, not a concept: its words (hertzog@debian.org) are no terms. A web
# address may well name one (debian-handbook.info): its words count. Matched only from the start of a run of
# address characters, without backtracking: linear in the text (a megabyte of letters, a hostile upload).
_ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
# English -n't: what comes before it is a cut verb (hasn't, doesn't), no word of a term.
_CONTRACTION = re.compile(r"['\u2019]t(?!\w)")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a candidate term: its stem key, the words as written and their offsets."""

    key: tuple[str, ...]
    surface: str
    start: int
    end: int


def is_word(token: str) -> bool:
    """A token that can be part of a term: three letters or more, or an acronym (SAS, BA)."""
    return len(token) >= 3 or (len(token) == 2 and token.isupper())


def key_of(text: str, lang: str) -> tuple[str, ...]:
    """The stem key of a term written in `lang`: its words casefolded and stemmed, hyphenated words whole."""
    words = [m.group().casefold() for m in _TOKEN.finditer(text)]
    snowball = stemmer(lang)
    return tuple(snowball.stemWords(words)) if snowball else tuple(words)


def function_words(lang: str, passages: Iterable[str] = ()) -> frozenset[str]:
    """A language's function words: its Snowball stop list, else the words most of its passages share."""
    if lang in STOPWORDS:
        return STOPWORDS[lang]
    passages = list(passages)
    if len(passages) < _CORPUS_STOP_MIN_PASSAGES:
        return frozenset()
    df = Counter(w for p in passages for w in {m.group().casefold() for m in _TOKEN.finditer(p)})
    return frozenset(w for w, n in df.items() if n >= _CORPUS_STOP_SHARE * len(passages))


def occurrences(text: str, lang: str, stops: frozenset[str], begin: int = 0, end: int | None = None,
                max_words: int = MAX_WORDS) -> Iterator[Occurrence]:
    """Every candidate n-gram (1..max_words words) of text[begin:end], with offsets into `text`."""
    end = len(text) if end is None else end
    snowball = stemmer(lang)
    run: list[tuple[str, str, int, int]] = []  # (stem, surface, start, end)
    previous_end = None
    addresses = _ADDRESS.finditer(text, begin, end)
    address = next(addresses, None)
    for match in _TOKEN.finditer(text, begin, end):
        token = match.group()
        folded = token.casefold()
        joined = previous_end is not None and _JOINER.fullmatch(text, previous_end, match.start()) is not None
        while address is not None and address.end() <= match.start():
            address = next(addresses, None)
        if address is not None and address.start() <= match.start():
            yield from _ngrams(run, text, max_words)
            run, previous_end = [], match.end()
            continue
        term_word = folded not in stops and is_word(token) and not _CONTRACTION.match(text, match.end())
        if not joined or not term_word:
            yield from _ngrams(run, text, max_words)
            run = []
        if term_word:
            run.append((snowball.stemWord(folded) if snowball else folded, token, match.start(), match.end()))
        previous_end = match.end()
    yield from _ngrams(run, text, max_words)


def _ngrams(run: list[tuple[str, str, int, int]], text: str, max_words: int) -> Iterator[Occurrence]:
    for i in range(len(run)):
        for n in range(1, min(max_words, len(run) - i) + 1):
            words = run[i:i + n]
            start, stop = words[0][2], words[-1][3]
            yield Occurrence(tuple(w[0] for w in words), text[start:stop], start, stop)
