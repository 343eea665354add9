"""Danish words as Bokmål writes them: FreeDict's dan-eng is small, and Bokmål shares most of Danish's written
vocabulary, spelt by a few regular correspondences (skabe/skape, overveje/overveie, heraf/herav, læse/lese).
"""
from __future__ import annotations

import itertools
import re

_VOWEL = "aeiouyæøå"
# Danish -> Bokmål, each applied to every place it fits: the soft stops after a vowel (skabe, gade, bog), ej/øj,
# af, the assimilated nd/ld (brand, fald), æ, aa, the palatal kj/gj before ø (købe, gøre), c, the prefix op- (opp-)
# and a final k after a short vowel (tryk, trykk); not d before t (udbredt, utbredt).
_CORRESPONDENCES = (
    (re.compile(f"(?<=[{_VOWEL}])b"), "p"), (re.compile(f"(?<=[{_VOWEL}])d(?![dt])"), "t"),
    (re.compile(f"(?<=[{_VOWEL}])g(?!g)"), "k"), (re.compile("ej"), "ei"), (re.compile("øj"), "øy"),
    (re.compile("af"), "av"), (re.compile("nd"), "nn"), (re.compile("ld"), "ll"), (re.compile("æ"), "e"),
    (re.compile("aa"), "å"), (re.compile("(?<=^[kg])ø"), "jø"), (re.compile("c(?=[eiy])"), "s"),
    (re.compile("c"), "k"), (re.compile("tion"), "sjon"), (re.compile("^op(?=[^p])"), "opp"),
    (re.compile(f"(?<=[{_VOWEL}])k$"), "kk"),
)
_MAX_CHANGES = 3  # more at once makes a different word more often than the same one


def bokmaal_spellings(word: str) -> list[str]:
    """The ways Bokmål may spell a Danish word, fewest changes first (the word itself not included)."""
    fitting = [(pattern, bokmaal) for pattern, bokmaal in _CORRESPONDENCES if pattern.search(word)]
    found: dict[str, None] = {}
    for n in range(1, min(_MAX_CHANGES, len(fitting)) + 1):
        for chosen in itertools.combinations(fitting, n):
            spelt = word
            for pattern, bokmaal in chosen:
                spelt = pattern.sub(bokmaal, spelt)
            if spelt != word:
                found.setdefault(spelt)
    return list(found)

