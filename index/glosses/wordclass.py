"""Word classes through the dictionaries: is a word of a passage a noun, some other content word, or a function word?

FreeDict's eng-nor tags its English headwords (<n>, <v>, <adj>, <preposition>, ...). A word of any language with
a lexicon is classed by its English gloss ("vurdere" -> consider: a verb; "kunden" -> customer: a noun), an
English word by its own headword or what its regular inflection comes from. Words no dictionary classes are "unknown" (names, new
compounds), never guessed. A word English writes capitalised as an adjective (Portugiesisch, brasiliansk -> Portuguese,
Brazilian) is a "name": a nationality or a language, not a concept.

A word its own language's dictionary tags is classed by that tag first (NATIVE_SOURCES): the English of its first
sense may be of another class (publizieren: issue, a noun first; hoppades, of hoppas: hope) or one eng-nor lacks.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache

from .freedict import Dictionary, DictionaryError, entries, senses, translations
from .freedict import word_classes as header_tags
from .lexicon import WordGloss
from .lexicons import Lexicons

NOUN, OTHER, FUNCTION, UNKNOWN, NAME = "noun", "other", "function", "unknown", "name"
CLASS_SOURCE = "eng-nor"
_NOUNS = frozenset({"n", "pn"})
_FUNCTION = frozenset({"preposition", "conjunction", "pronoun", "determiner", "article", "particle", "postposition",
                       "numeral", "interjection", "adv", "adverb"})
_TAG = re.compile(r"<([^>,]*)")
# Endings of English adjectives in eng-nor's table: 72% of its words in -ic are adjectives, 90-100% of those in the
# others; the untagged ones are likelier adjectives still (specific, dynamic, static: the nouns are the common words).
_ADJECTIVE_ENDINGS = ("ic", "ical", "ous", "able", "ible", "ful", "less")
# How English ends the adjectives of peoples and languages the class table lacks (Brazilian, Japanese, Flemish).
_PROPER_ADJECTIVE_ENDINGS = ("ian", "ean", "ese", "ish")
# Per passage language, the dictionaries that tag its words, and how: "headwords" (their header's tags), "reverse"
# (a dictionary out of English: its one-word translations take the English headword's tags) or "genders" (a
# headword translated by German words tagged with a gender, as nld-deu writes them, is a noun).
NATIVE_SOURCES = {"de": (("deu-eng", "headwords"),), "sv": (("swe-nor", "headwords"), ("swe-deu", "headwords")),
                  "da": (("dan-eng", "headwords"),), "no": (("eng-nor", "reverse"),), "nl": (("nld-deu", "genders"),)}
# The dictionaries' grammar tags (deu-eng: <fem, n, sg>; swe-nor: <n, ut>; dan-eng: <adverb>) as the classes a word
# is classed by, one bit each: a small int per word (deu-eng's 258,000 words take 25 MB so, 79 MB as sets of tags).
_NOUN_BIT, _VERB_BIT, _ADJECTIVE_BIT, _FUNCTION_BIT = 1, 2, 4, 8
_TAG_BITS = {**dict.fromkeys(("n", "pn", "masc", "fem", "neut", "pl", "sg", "ut", "f", "m", "m;f"), _NOUN_BIT),
             **dict.fromkeys(("v", "trans", "intr", "refl"), _VERB_BIT), "adj": _ADJECTIVE_BIT,
             **dict.fromkeys(("adv", "adverb", "prep", "preposition", "postposition", "pron", "pronoun", "pers", "rel",
                              "conj", "conjunction", "bindeord", "art", "article", "num", "numeral", "int",
                              "interjection", "udråbsord", "inter", "determiner", "ptcl", "particle"), _FUNCTION_BIT)}
_BIT_TAGS = ((_NOUN_BIT, "n"), (_VERB_BIT, "v"), (_ADJECTIVE_BIT, "adj"), (_FUNCTION_BIT, "adv"))
_GENDER = re.compile(r"<(?:f|m|n|m;f)>")
# The forms a look-up matched by that are the word itself or its dictionary form (not a compound's, a cognate's).
_OWN_FORMS = frozenset({"word", "lemma", "inflection", "stem", "genitive"})


def english_classes(dictionary: Dictionary) -> dict[str, list[str]]:
    """English headword (casefolded) -> the word classes its entries carry."""
    found: dict[str, set[str]] = {}
    for headword, entry in entries(dictionary):
        tags = {t.strip() for t in _TAG.findall(entry.split("\n", 1)[0]) if t.strip()}
        if tags and " " not in headword:
            found.setdefault(headword.casefold(), set()).update(tags)
    return {k: sorted(v) for k, v in found.items()}


def native_classes(dictionary: Dictionary, how: str) -> dict[str, int]:
    """Word -> the classes (bits) one dictionary gives it in its own language (`how`: see NATIVE_SOURCES), keyed
    casefolded, and as written too where that differs (German Bearbeiten, a noun; bearbeiten, a verb)."""
    written: dict[str, int] = {}
    for _, entry in entries(dictionary):
        header, _, body = entry.partition("\n")
        head = header.split(" /", 1)[0].split(" <", 1)[0]
        bits = 0
        for tag in header_tags(entry):
            bits |= _TAG_BITS.get(tag, 0)
        if how == "headwords":
            words = [head]
        elif how == "genders":
            words, bits = [head], _NOUN_BIT if _GENDER.search(body) else 0
        else:  # reverse
            words = [word for sense in senses(entry) for word in translations(sense, into_english=False)]
        for word in words:
            word = word.strip()
            if bits and word and " " not in word and not word.endswith(("-", "\u2010", "…")):
                written[word] = written.get(word, 0) | bits
    found: dict[str, int] = {}
    for word, bits in written.items():
        found[word.casefold()] = found.get(word.casefold(), 0) | bits
    found.update({word: bits for word, bits in written.items() if found.get(word.casefold()) != bits})
    return found


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
        self._native: dict[str, dict[str, int]] = {}
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

    def _native_table(self, lang: str) -> dict[str, int]:
        if lang not in self._native:
            table: dict[str, int] = {}
            for name, how in NATIVE_SOURCES.get(lang, ()):
                dictionary = Dictionary(name, self.lexicons.dict_dir)
                try:
                    found = self.lexicons.cached(f"native-class-bits-{name}-{how}", [(dictionary, how)],
                                                 lambda: native_classes(dictionary, how)) if dictionary.exists() else {}
                except DictionaryError:
                    found = {}
                if not table:
                    table = found  # one dictionary's table (German's: half a million words), not a copy of it
                    continue
                for word, bits in found.items():
                    table[word] = table.get(word, 0) | bits
            self._native[lang] = table
        return self._native[lang]

    def native(self, word: str, lang: str, found: WordGloss | None = None) -> set[str]:
        """The classes a word's own language's dictionaries give it or the dictionary form `found` matched (a
        compound's: its head's)."""
        table = self._native_table(lang)
        forms = [word]
        if found is not None and found.via in _OWN_FORMS:
            forms.append(found.form)
        elif found is not None and found.via == "compound":
            forms = [found.form.rsplit("+", 1)[-1]]  # a compound is of its head's class (arkitektur+specifik: adj)
        bits = next((table[f] for f in (*forms, *(f.casefold() for f in forms)) if f in table), 0)
        return {tag for bit, tag in _BIT_TAGS if bits & bit}

    def load(self) -> None:
        """Read (or build and cache) the class tables now, not on the first word classed."""
        self._english()
        for lang in NATIVE_SOURCES:
            self._native_table(lang)

    def tags(self, english: str) -> set[str]:
        """The eng-nor word classes of an English word or phrase (its last word, or the form it inflects); for a word
        eng-nor lacks, an adjective's where its ending marks one (specific, dynamic: -ic)."""
        table = self._english()
        words = english.casefold().removeprefix("to ").split()
        if not words:
            return set()
        found = next((table[f] for f in _english_forms(words[-1]) if f in table), None)
        if found is not None:
            return set(found)
        return {"adj"} if words[-1].endswith(_ADJECTIVE_ENDINGS) and len(words[-1]) > 5 else set()

    def _classify(self, word: str, lang: str) -> str:
        if lang == "en":
            tags = self.tags(word)
            english = word if tags else ""  # an English word no dictionary lists (Debian) is no adjective of a people
        else:
            lexicon = self.lexicons.get(lang)
            found = lexicon.lookup(word) if lexicon is not None else None
            native = self.native(word, lang, found)
            if found is None and not native:
                return UNKNOWN
            head = (found.parts[-1] if found.parts else found.gloss) if found else ""  # a compound: what its head means
            # The first translation the dictionary classes is the word's main sense.
            tags = next((t for t in map(self.tags, head.split(", ")) if t), set())
            english = "" if found is None or found.via == "compound" else head.split(", ")[0]
            if _proper_adjective(english, tags):
                return NAME
            tags = native or tags
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
