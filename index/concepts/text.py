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


def fold(text: str) -> str:
    """Accent-fold, casefold and reduce punctuation/hyphens to single spaces."""
    return " ".join(fold_token(m.group()) for m in _WORD.finditer(text))


def compact(folded: str) -> str:
    """A folded text without spaces, so "lock in", "lock-in" and "lockin" coincide."""
    return folded.replace(" ", "")


@dataclass(frozen=True)
class Occurrence:
    """A catalogue term found in a text: (concept id, term language) pairs and char offsets."""

    matches: tuple[tuple[str, str], ...]
    start: int
    end: int
    folded: str

    @property
    def concept_ids(self) -> list[str]:
        """The distinct concepts the matched term belongs to."""
        return sorted({cid for cid, _ in self.matches})


class TermSpotter:
    """Finds catalogue labels and aliases in running text, longest match first, on word boundaries."""

    def __init__(self, terms: Iterable[Term]):
        self.by_form: dict[str, set[tuple[str, str]]] = {}
        self.max_words = 1
        for term in terms:
            folded = fold(term.text)
            if not folded:
                continue
            self.by_form.setdefault(folded, set()).add((term.concept_id, term.lang))
            if len(compact(folded)) >= _MIN_COMPACT:
                self.by_form.setdefault(compact(folded), set()).add((term.concept_id, term.lang))
            self.max_words = max(self.max_words, folded.count(" ") + 1)
        # A run of words can only match a form its first word begins; most words begin none, so skip them early.
        self.prefixes = {form[:n] for form in self.by_form for n in range(1, len(form) + 1)}

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
                ids = self.by_form.get(spaced)
                if ids is None and n > 1 and len(spaced) >= _MIN_COMPACT:
                    ids = self.by_form.get("".join(chunk))
                if ids:
                    found.append(Occurrence(tuple(sorted(ids)), words[i][1], words[i + n - 1][2], spaced))
                    i += n
                    break
            else:
                i += 1
        return found


_KEPT_SPOTTERS = 4
_SPOTTERS_LOCK = threading.Lock()
_SPOTTERS: dict[str, TermSpotter] = {}  # catalogue digest -> its spotter, least recently used first
