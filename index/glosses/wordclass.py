"""Word classes through the dictionaries: is a word of a passage a noun, some other content word, or a function word?

FreeDict's eng-nor tags its English headwords (<n>, <v>, <adj>, <preposition>, ...). A word of any language with
a lexicon is classed by its English gloss ("vurdere" -> consider: a verb; "kunden" -> customer: a noun), an
English word by its own headword or what its regular inflection comes from. Words no dictionary classes are "unknown" (names, new
compounds), never guessed. A word English writes capitalised as an adjective (Portugiesisch, brasiliansk -> Portuguese,
Brazilian) is a "name": a nationality or a language, not a concept.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache

from .freedict import Dictionary, DictionaryError, entries
from .lexicons import Lexicons

NOUN, OTHER, FUNCTION, UNKNOWN, NAME = "noun", "other", "function", "unknown", "name"
CLASS_SOURCE = "eng-nor"
_NOUNS = frozenset({"n", "pn"})
_FUNCTION = frozenset({"preposition", "conjunction", "pronoun", "determiner", "article", "particle", "postposition",
                       "numeral", "interjection", "adv", "adverb"})
_TAG = re.compile(r"<([^>,]*)")
# How English ends the adjectives of peoples and languages the class table lacks (Brazilian, Japanese, Flemish).
_PROPER_ADJECTIVE_ENDINGS = ("ian", "ean", "ese", "ish")


def english_classes(dictionary: Dictionary) -> dict[str, list[str]]:
    """English headword (casefolded) -> the word classes its entries carry."""
    found: dict[str, set[str]] = {}
    for headword, entry in entries(dictionary):
        tags = {t.strip() for t in _TAG.findall(entry.split("\n", 1)[0]) if t.strip()}
        if tags and " " not in headword:
            found.setdefault(headword.casefold(), set()).update(tags)
    return {k: sorted(v) for k, v in found.items()}


def _english_forms(word: str) -> list[str]:
    """A word and the dictionary forms its regular English inflection may come from (packages -> package)."""
    forms = [word]
    for ending, replacements in (("ies", ("y",)), ("es", ("", "e")), ("s", ("",)), ("ed", ("", "e")),
                                 ("ing", ("", "e"))):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            forms.extend(word[:-len(ending)] + r for r in replacements)
    return forms


class WordClasses:
    """Classes words of passages in any language with a lexicon (and English), memoised per process."""

    def __init__(self, lexicons: Lexicons) -> None:
        self.lexicons = lexicons
        self._table: dict[str, list[str]] | None = None
        self.classify = lru_cache(maxsize=100_000)(self._classify)

    def _english(self) -> dict[str, list[str]]:
        if self._table is None:
            dictionary = Dictionary(CLASS_SOURCE, self.lexicons.dict_dir)
            try:
                self._table = self.lexicons.cached(f"classes-{CLASS_SOURCE}", [(dictionary, "classes")],
                                                   lambda: english_classes(dictionary)) if dictionary.exists() else {}
            except DictionaryError:
                self._table = {}
        return self._table

    def load(self) -> None:
        """Read (or build and cache) the English class table now, not on the first word classed."""
        self._english()

    def tags(self, english: str) -> set[str]:
        """The eng-nor word classes of an English word or phrase (its last word, or the form it inflects)."""
        table = self._english()
        words = english.casefold().removeprefix("to ").split()
        return set(next((table[f] for f in _english_forms(words[-1]) if f in table), ())) if words else set()

    def _classify(self, word: str, lang: str) -> str:
        if lang == "en":
            tags = self.tags(word)
            english = word if tags else ""  # an English word no dictionary lists (Debian) is no adjective of a people
        else:
            lexicon = self.lexicons.get(lang)
            found = lexicon.lookup(word) if lexicon is not None else None
            if found is None:
                return UNKNOWN
            head = found.parts[-1] if found.parts else found.gloss  # a compound means what its head means
            # The first translation the dictionary classes is the word's main sense.
            tags = next((t for t in map(self.tags, head.split(", ")) if t), set())
            english = "" if found.via == "compound" else head.split(", ")[0]
        if _proper_adjective(english, tags):
            return NAME
        if tags & _NOUNS:
            return NOUN
        if not tags:
            return UNKNOWN
        return FUNCTION if tags <= _FUNCTION else OTHER



@cache  # a Lexicons is hashed by identity: one table per process and lexicons
def word_classes(lexicons: Lexicons) -> WordClasses:
    """The process's word classes over `lexicons`: the class table read once, classes memoised across requests
    and writes."""
    return WordClasses(lexicons)


def _proper_adjective(english: str, tags: set[str]) -> bool:
    """An English word written capitalised that is an adjective (American, Swedish), or ends as one (Brazilian)."""
    if not english[:1].isupper() or english.isupper() or " " in english:
        return False
    return "adj" in tags or not tags and english.endswith(_PROPER_ADJECTIVE_ENDINGS)
