"""Inflected forms of a document's words through simplemma's lemma lists: each form's lemma, and whether the form
is a verb's ("aufgelistet" of auflisten, "genereras" of generera, "installerer" of installere, "detected").

A lemma list knows a form's lemma but not its word class; the form's shape against its lemma tells a verb form:
a German or Dutch lemma in -en with a form in -t/-d (participles ge-...-t, ge-...-d, finite forms), a Scandinavian
infinitive with its present, passive or past endings, an English -ed form. A noun whose plural looks so
(Danish "pakker" of pakke) is told apart by the dictionary's class of its lemma.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Iterable, Mapping

from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

# This project's language codes where simplemma's differ (Norwegian is Bokmål).
_CODES = {"no": "nb"}
SUPPORTED = ("en", "de", "nl", "sv", "no", "da", "fr")
# A list takes up to a second to read and 20-100 MB to hold (fr 22 MB, de 102 MB; about 450 MB for all seven): a job
# runner suggesting for one upload after another keeps every list it read, since a corpus's uploads alternate
# between its languages, rather than reading one per upload.
LISTS_KEPT = len(SUPPORTED)
# The shortest compound head a term's base form is found through (lapp-en, bug-s; not -ene, a plural ending).
MIN_HEAD = 4
# Endings of German and Dutch verb forms beyond the infinitive's stem (participles ge-...-t, ge-...-d; finite forms).
_GERMANIC_PAST = ("t", "d", "te", "de", "ten", "den", "st", "et")
# The vowels of the Nordic languages (a verb whose lemma ends in one adds -r in the present: bo-r, få-r).
VOWELS = tuple("aeiouyåäöæø")
# Per language: (infinitive endings, endings after the infinitive's stem of its forms, those of finite forms).
_SCANDINAVIAN = {
    "sv": (("a",), ("as", "ar", "ade", "ades", "at", "ats", "ad", "ande"), ("as", "ar")),
    "no": (("e",), ("er", "es", "et", "t", "te", "tes", "de", "ende"), ("er", "es")),
    "da": (("e",), ("er", "es", "et", "ede", "te", "tes", "ende"), ("er", "es")),
}


def lemmas(words: Iterable[str], lang: str) -> dict[str, str]:
    """Casefolded word -> its lemma (casefolded), for the words `lang`'s lemma list knows as another word's form."""
    words = set(words)
    if lang not in SUPPORTED or not words:  # reading a list costs up to a second: never for no words
        return {}
    table = _table(_CODES.get(lang, lang))
    found = {}
    for word in words:
        # German lists nouns capitalised, other words in lower case; a word may be written either way.
        lemma = next((table[w] for w in (word, word.casefold(), word.capitalize()) if w in table), None)
        if lemma is not None and lemma.casefold() != word.casefold():
            found[word.casefold()] = lemma.casefold()
    return found


def base_form(term: str, lang: str, is_noun: Callable[[str], bool] | None = None) -> str:
    """A one-word term in its lemma's form, as a glossary writes it (Installasjonsprogrammet: Installasjonsprogram;
    translators: translator), through a compound's head where the lemma list lacks the whole word
    (finansieringskampanj-en); with `is_noun`, only where the lemma is a noun (effektivt is an adverb). A word that
    is its own lemma, a verb's form, a form the list does not know, and a term of several words (whose adjectives
    agree with its noun's number: digitale tjenester) stay as written."""
    folded = term.casefold()
    if lang not in SUPPORTED or len(folded) < MIN_HEAD or " " in term:
        return term
    table = _table(_CODES.get(lang, lang))
    # The whole word first, then ever shorter heads: the longest the list knows decides.
    for cut in range(len(folded) - MIN_HEAD + 1):
        part = folded[cut:]
        lemma = next((table[w] for w in (part, part.capitalize()) if w in table), None)
        if lemma is None:
            continue
        lemma = lemma.casefold()
        # Only an ending goes (programm-et, kampanj-en, bug-s): not a verb's form, nor another word (German Release
        # is listed under the verb releasen), nor another word's start (mænd: mand is a vowel apart, kept).
        if lemma == part or lemma[:2] != part[:2] or len(lemma) > len(part) \
                or verb_form(part, lemma, lang, is_noun or (lambda lemma: False)) or is_noun and not is_noun(lemma):
            return term
        return term[:cut] + (lemma.capitalize() if term[cut:cut + 1].isupper() else lemma)
    return term


@lru_cache(maxsize=LISTS_KEPT)
def _table(code: str) -> Mapping[str, str]:
    """A language's lemma list, read once and kept by a writing process (only writers suggest concepts)."""
    return DefaultDictionaryFactory(cache_max_size=0).get_dictionary(code)


def verb_form(word: str, lemma: str, lang: str, is_noun: Callable[[str], bool] = lambda lemma: False) -> str | None:
    """"finite" or "participle" when `word` (casefolded) is an inflected form of the verb `lemma`, else None;
    `is_noun` says whether a dictionary classes the lemma as a noun (a Scandinavian plural in -er reads like a
    present tense). A participle may modify a noun in a term ("gebruikte pakketten"); a finite form never."""
    if lang == "en":
        # An -ing form names a process as often as not ("partitioning"); an -ed form is a verb's or an adjective.
        return "participle" if word.endswith("ed") and word[:len(lemma) - 1] == lemma[:-1] else None
    if lang in ("de", "nl"):
        infinitive = lemma.endswith("en") or lang == "de" and lemma.endswith(("ern", "eln"))
        # The bare stem ("opstart" of opstarten) is as often the noun: only a form with an ending is a verb's.
        if not (infinitive and word.endswith(_GERMANIC_PAST) and word != lemma[:-2]):
            return None
        added_ge = word.count("ge") > lemma.count("ge")
        return "participle" if added_ge or word.endswith(("iert", "ierte", "eerd", "eerde")) else "finite"
    if lang in _SCANDINAVIAN:
        infinitives, endings, finite = _SCANDINAVIAN[lang]
        # A verb whose infinitive ends in another vowel takes -r alone in the present (oppstå-r, förstå-r, bo-r).
        if lemma.endswith(VOWELS) and not lemma.endswith(infinitives) and word == lemma + "r" and not is_noun(lemma):
            return "finite"
        stem = lemma[:-1]
        if not (lemma.endswith(infinitives) and word.startswith(stem) and word[len(stem):] in endings
                and not is_noun(lemma)):
            return None
        return "finite" if word[len(stem):] in finite else "participle"
    return None
