"""Folding and label spotting shared by concept lookup and grounding."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Iterable

from ..text import fold_token
from .catalogue import Catalogue, Term

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# What ends a phrase between two words: a stop, comma, colon or the like before a space ("lojalitet: en"; not the
# point of "Industry 4.0" or the colon of "ISO 9001:2015"), a quotation mark, a paragraph break. Hyphens,
# apostrophes, slashes and brackets join the words of one term ("Porter's five forces (model)").
_PHRASE_BREAK = re.compile(r"[.,:;!?…]\s|[\"“”«»|]|\n\s*\n")
# A compound written as one word only counts when it is long enough not to collide by accident.
_MIN_COMPACT = 6
# Endings a noun term's last word takes in running text, per term language: definite, plural and genitive forms
# (lojalitet-en, kundeopplevelse-ne, klant-en, customer journey-s). Labels name things, and a text names them
# inflected as often as not. The forms are added as words of the term's own language, so they seldom spell another.
_NOUN_ENDINGS = {
    "sv": ("en", "n", "et", "t", "ar", "er", "or", "r", "na", "arna", "erna", "orna", "rna", "ens", "ets", "s"),
    "no": ("en", "n", "et", "a", "er", "r", "ene", "ne", "ens", "ets", "enes", "s"),
    "da": ("en", "n", "et", "er", "r", "ene", "ne", "erne", "rne", "ens", "ets", "s"),
    "nl": ("en", "n", "s"),
    "de": ("en", "n", "e", "es", "s", "er", "ern"),
    "en": ("s", "es"),
    "fr": ("s",),
}
# A term is read as a noun where it has several words (a noun phrase: customer journey, kundesentrisk tilnærming) or
# its word ends as only nouns do (folded: lojal-itet, opplev-else, verpersoonlijk-ing, Anforder-ung, fric-tion). A
# one-word label may be a verb (svare, respond, herhalen), whose endings spell its finite forms, and a noun's -e or
# -a ending is a verb's infinitive too, so a word ending otherwise is matched as written only.
_NOUN_SUFFIXES = ("het", "hed", "heid", "heit", "keit", "itet", "iteit", "itat", "ity", "else", "ning", "ing", "ung",
                  "sjon", "tion", "sion", "tie", "skap", "skab", "schap", "schaft", "dom", "isme", "ismus", "ism",
                  "ment", "ness", "ship", "ance", "ence", "sel", "nis")
# A shorter last word is not inflected: a few letters plus an ending spell other words too often.
_MIN_INFLECTED = 5


def fold(text: str) -> str:
    """Accent-fold, casefold and reduce punctuation/hyphens to single spaces."""
    return " ".join(fold_token(m.group()) for m in _WORD.finditer(text))


def compact(folded: str) -> str:
    """A folded text without spaces, so "lock in", "lock-in" and "lockin" coincide."""
    return folded.replace(" ", "")


@dataclass(frozen=True)
class Occurrence:
    """A catalogue term found in a text: (concept id, term language) pairs, char offsets, the words as folded and
    the catalogue's folded form they are (lojaliteten: lojalitet)."""

    matches: tuple[tuple[str, str], ...]
    start: int
    end: int
    folded: str
    form: str

    @property
    def concept_ids(self) -> list[str]:
        """The distinct concepts the matched term belongs to."""
        return sorted({cid for cid, _ in self.matches})


class TermSpotter:
    """Finds catalogue labels and aliases in running text, longest match first, on word boundaries."""

    def __init__(self, terms: Iterable[Term]):
        self.by_form: dict[str, set[tuple[str, str]]] = {}
        self.base: dict[str, str] = {}  # an inflected form -> the term's folded form; a term is its own
        self.max_words = 1
        for term in terms:
            folded = fold(term.text)
            if not folded:
                continue
            self._add(folded, folded, (term.concept_id, term.lang))
            for form in _noun_forms(folded, term.lang):
                self._add(form, folded, (term.concept_id, term.lang), inflected=True)
            self.max_words = max(self.max_words, folded.count(" ") + 1)
        # A run of words can only match a form its first word begins; most words begin none, so skip them early.
        self.prefixes = {form[:n] for form in self.by_form for n in range(1, len(form) + 1)}

    def _add(self, form: str, base: str, match: tuple[str, str], inflected: bool = False) -> None:
        """Match `form` as the term `base`; a term's own forms win over another's inflected one (respons is no
        respon-s), and an inflected form is matched as spaced words only (a compact one would join two words:
        kundintimitet är)."""
        for key in (form,) if inflected or len(compact(form)) < _MIN_COMPACT else (form, compact(form)):
            own = self.base.get(key) == key
            if inflected and own:
                continue
            if not inflected and not own:
                self.by_form.pop(key, None)
            self.by_form.setdefault(key, set()).add(match)
            self.base[key] = key if not inflected else base

    @classmethod
    def for_catalogue(cls, catalogue: Catalogue) -> "TermSpotter":
        """A spotter over every label and alias of a catalogue, built once per catalogue content."""
        # Tagging runs once per chunk; rebuilding the spotter per call would dominate the cost. Only the latest
        # few catalogues are kept: every concept edit makes a new one, and a served process lives through thousands.
        with _SPOTTERS_LOCK:
            spotter = _SPOTTERS.pop(catalogue.digest, None)
        spotter = spotter or cls(catalogue.all_terms())
        with _SPOTTERS_LOCK:
            _SPOTTERS[catalogue.digest] = spotter  # last in, last evicted
            while len(_SPOTTERS) > _KEPT_SPOTTERS:
                del _SPOTTERS[next(iter(_SPOTTERS))]
        return spotter

    def find(self, text: str) -> list[Occurrence]:
        """Non-overlapping term occurrences, scanning left to right and preferring the longest."""
        words = [(fold_token(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
        # How many words from each one on stand together, with nothing between them that ends a phrase: a term never
        # spans a clause's punctuation ("lojalitet: en" is no "lojaliteten").
        joined = [1] * len(words)
        for j in range(len(words) - 2, -1, -1):
            if not _PHRASE_BREAK.search(text, words[j][2], words[j + 1][1]):
                joined[j] = joined[j + 1] + 1
        found, i = [], 0
        while i < len(words):
            if words[i][0] not in self.prefixes:
                i += 1
                continue
            for n in range(min(self.max_words, joined[i]), 0, -1):
                chunk = [w for w, _, _ in words[i:i + n]]
                spaced = " ".join(chunk)
                key = spaced
                if key not in self.by_form and n > 1 and len(spaced) >= _MIN_COMPACT:
                    key = "".join(chunk)
                    if self.base.get(key) != key:  # words joined match a term's compact form, not inflected ones
                        continue
                if ids := self.by_form.get(key):
                    found.append(Occurrence(tuple(sorted(ids)), words[i][1], words[i + n - 1][2], spaced,
                                            self.base[key]))
                    i += n
                    break
            else:
                i += 1
        return found


def _noun_forms(folded: str, lang: str) -> list[str]:
    """A noun term's inflected forms (see `_NOUN_ENDINGS`); none for a term that may not be a noun."""
    last = folded.rsplit(" ", 1)[-1]
    if len(last) < _MIN_INFLECTED or " " not in folded and not last.endswith(_NOUN_SUFFIXES):
        return []
    return [folded + ending for ending in _NOUN_ENDINGS.get(lang, ())]


_KEPT_SPOTTERS = 4
_SPOTTERS_LOCK = threading.Lock()
_SPOTTERS: dict[str, TermSpotter] = {}  # catalogue digest -> its spotter, least recently used first
