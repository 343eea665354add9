"""Spellings across languages: Danish words as Bokmål writes them, Norwegian and Danish ones as Swedish does, a key
the three share, and loans as English spells them.

FreeDict's dan-eng is small, and Bokmål shares most of Danish's written vocabulary, spelt by a few regular
correspondences (skabe/skape, overveje/overveie, heraf/herav, læse/lese).
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

_DIAERESES = str.maketrans("ëïöü", "eiou")  # Dutch marks a new syllable (coördinator); English does not
# How Swedish, Norwegian and Danish spell the endings of French and Latin loans that English keeps.
LOAN_SPELLINGS = (("emang", "ement"), ("ement", "ement"), ("itet", "ity"), ("itét", "ity"), ("ans", "ance"),
                   ("ens", "ence"), ("ör", "or"), ("ur", "ure"), ("ism", "ism"), ("tie", "tion"), ("sie", "sion"),
                   ("ering", "ation"), ("ell", "al"), ("eel", "al"), ("är", "ar"), ("ær", "ar"), ("air", "ar"),
                   ("erbar", "able"), ("eerbaar", "able"), ("fuld", "ful"), ("full", "ful"), ("vol", "ful"))
# More loan endings, for a word no dictionary lists only (proprietær: proprietary, manuel: manual, inklusiv:
# inclusive, migreren: migrate, virtualisering: virtualization); matched on the word as `loan_spellings` respells it, so a Nordic -ikk is -icc
# (spesifikk: specific). Among a listed word's senses they would prefer a lookalike to its first sense
# (alternativ: alternative before option; statistikk: statistic before statistics).
UNLISTED_LOAN_SPELLINGS = (*LOAN_SPELLINGS, ("aal", "al"), ("iel", "ial"), ("uel", "ual"), ("nel", "nal"),
                           ("rel", "ral"), ("är", "ary"), ("ær", "ary"), ("iv", "ive"), ("icc", "ic"),
                           ("eren", "ate"), ("ere", "ate"), ("era", "ate"), ("isering", "ization"),
                           ("isera", "ize"), ("isere", "ize"), ("iseren", "ize"))
_SOFT_S = re.compile("s(?=[eiy])")  # Norwegian and Danish write a soft c as s (sentral, prosess, spesifikk)


def loan_spellings(word: str) -> list[str]:
    """A word as written, then as English may spell the loan: a Nordic kv, ks and k read qu, x and c (kvalitet,
    eksplicit, konfiguration), Dutch diaereses dropped (coördinator)."""
    english = word.replace("kv", "qu").replace("ks", "x").replace("k", "c")
    return list(dict.fromkeys((word, word.replace("kv", "qu").replace("k", "c"), english,
                               word.translate(_DIAERESES), _SOFT_S.sub("c", english))))


def english_spellings(word: str) -> set[str]:
    """A loan's dictionary form as English may spell it: its ending, a Nordic k or kv and a single final consonant
    read the English way (optie -> option, kvalitet -> quality, funktion -> function, proces -> process)."""
    found = set()
    for base in loan_spellings(word):
        found.update((base, base + base[-1]))
        found.update(base[:len(base) - len(ending)] + english for ending, english in LOAN_SPELLINGS
                     if base.endswith(ending) and len(base) - len(ending) >= 2)
    return found



def swedish_spelling(word: str) -> str:
    """A Norwegian or Danish word as Swedish most likely writes it (fokusere -> fokusera, økning -> ökning)."""
    word = word.translate(_SWEDISH).replace("kk", "ck")
    for ending, swedish in (("sjon", "tion"), ("ere", "era")):
        if word.endswith(ending):
            return word[:-len(ending)] + swedish
    return word


def nordic_key(word: str) -> str:
    """A spelling key shared by Swedish, Norwegian and Danish cognates (förstå/forstå, träning/trening)."""
    word = word.casefold().translate(_NORDIC).replace("ck", "k").replace("tion", "sjon")
    word = _DOUBLE.sub(r"\1", word)
    if word.startswith("upp"):
        word = "op" + word[3:]
    return word[:-1] + "e" if word.endswith("a") else word[:-1] + "g" if word.endswith("k") else word


_SWEDISH = str.maketrans({"ø": "ö", "æ": "ä"})
_NORDIC = str.maketrans({"ø": "o", "ö": "o", "æ": "e", "ä": "e"})
_DOUBLE = re.compile(r"(.)\1")

