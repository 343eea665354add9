"""How common an English word or phrase is (wordfreq's Zipf scale: 0 unknown, 3 rare, 6+ very common), memoised.

It orders a dictionary's translations ("building" before "barley") and restores the spaces some FreeDict
files lost between the words of a phrase ("haveto" -> "have to").
"""
from __future__ import annotations

import hashlib
import math
from functools import cache, lru_cache
from typing import Iterable

import numpy as np
from wordfreq import get_frequency_dict, zipf_frequency

# A part of a phrase whose spaces were lost is a word a reader knows, not a rare one (goon + foot).
_MIN_PART_ZIPF = 4.0
# Short parts must be very common (of, to, on, be, a): rarer ones are syllables of an unknown word (till-i-te).
_MIN_SHORT_PART_ZIPF = 5.0
# In a token English never writes, a long part is a word of its own, however rare ("delightin" -> delight in,
# not de light in; "shiftingspanner"); a token it writes now and then may be a rare word ("installable").
_LONG_PART = 7
_MIN_LONG_PART_ZIPF = 2.5
# English suffixes that are also words end a word, not a phrase ("installable" is not "install able").
_SUFFIX_WORDS = frozenset({"able", "less", "ship", "hood", "ward", "wards", "wise", "like", "fold", "some"})
_MAX_PARTS = 4
# A word written this rarely is a typo or a phrase run together ("haveto": 1.45, "outerspace": 1.67), not a word
# ("decorates": 2.19, "lookup": 2.86).
_RUN_TOGETHER_ZIPF = 2.0
# Zipf 9 is one occurrence per word: (zipf - 9) is a word's log10 probability, summed over a phrase's words.
_ZIPF_ONE = 9.0


@cache
def _frequencies() -> dict[str, float]:
    return get_frequency_dict("en", wordlist="best")


@lru_cache(maxsize=200_000)
def zipf(text: str) -> float:
    """Zipf frequency of an English word or phrase (0 when unknown)."""
    if " " in text or not text.isalpha():  # a phrase: wordfreq tokenises it and combines its words' frequencies
        return zipf_frequency(text, "en")
    frequency = _frequencies().get(text.casefold(), 0.0)
    return round(math.log10(frequency) + 9, 2) if frequency else 0.0


def commonest(spellings: list[str], least: float) -> str | None:
    """The spelling of a word form English uses most (being, not bing; bigger, not biger), if at least `least`."""
    best = max(spellings, key=zipf)
    return best if zipf(best) >= least else None


def respace(token: str) -> str:
    """A run-together phrase with its spaces back ("outerspace" -> "outer space"); any other text unchanged.

    Only a lower-case token that is no (common) English word is split, into two to four common words, the likeliest
    split (highest product of the words' frequencies) winning; names ("Comine") are left alone.
    """
    head, possessive, tail = token.partition("'s")
    if possessive and (head + tail).isalpha() and token.islower():  # keepone'shandsoff: keep one's hands off
        return f"{respace(head)}'s" + (f" {respace(tail)}" if tail else "")
    if len(token) < 5 or not token.isalpha() or not token.islower():
        return token
    frequency = zipf(token)
    if frequency >= _RUN_TOGETHER_ZIPF:
        return token
    best = _split(token, _MAX_PARTS, frequency == 0.0)
    return " ".join(best[1]) if best is not None else token


@lru_cache(maxsize=10_000)
def _split(text: str, parts: int, unknown: bool) -> tuple[float, tuple[str, ...]] | None:
    """The likeliest split of `text` into at most `parts` common words: (log10 probability, words), or None;
    long rare words count as parts of an `unknown` token."""
    best = None
    for cut in range(1, len(text) + 1):
        head = text[:cut]
        weight = zipf(head)
        if weight < _least_zipf(len(head), unknown) or (len(head) == 1 and head != "a"):
            continue
        if cut == len(text):
            if head in _SUFFIX_WORDS:
                continue
            candidate = (weight - _ZIPF_ONE, (head,))
        elif parts > 1 and (rest := _split(text[cut:], parts - 1, unknown)) is not None:
            candidate = (weight - _ZIPF_ONE + rest[0], (head, *rest[1]))
        else:
            continue
        if best is None or candidate[0] > best[0]:
            best = candidate
    return best


def _least_zipf(letters: int, unknown: bool) -> float:
    """How common a part of a run-together phrase must be, by its length: short ones very common."""
    if letters <= 2:
        return _MIN_SHORT_PART_ZIPF
    return _MIN_LONG_PART_ZIPF if unknown and letters >= _LONG_PART else _MIN_PART_ZIPF


class PhraseSet:
    """A set of English phrases held as sorted 64-bit hashes: 1.4 MB for the dictionaries' 170,000 two-word
    compounds, against 26 MB as Python strings in every server process."""

    def __init__(self, hashes: np.ndarray) -> None:
        self._hashes = hashes

    @classmethod
    def of(cls, phrases: Iterable[str]) -> "PhraseSet":
        return cls(np.unique(np.fromiter((_hash(p) for p in phrases), dtype=np.uint64)))

    @classmethod
    def from_bytes(cls, data: bytes) -> "PhraseSet":
        return cls(np.frombuffer(data, dtype=np.uint64))

    def to_bytes(self) -> bytes:
        return self._hashes.tobytes()

    def __contains__(self, phrase: str) -> bool:
        key = np.uint64(_hash(phrase))
        at = int(np.searchsorted(self._hashes, key))
        return at < len(self._hashes) and self._hashes[at] == key

    def __len__(self) -> int:
        return len(self._hashes)


def _hash(phrase: str) -> int:
    return int.from_bytes(hashlib.blake2b(phrase.encode("utf-8"), digest_size=8).digest(), "little")
