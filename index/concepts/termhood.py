"""How much a candidate term looks like a concept: rare in the general language, a noun, not a name.

General-language frequency comes from wordfreq's bundled lists (Zipf scale: 7 is "the", 3 is once per million
words): a word everybody writes ("can", "products", "bruke", "delen") names no concept of a subject on its own,
while a compound or a term of art is rare there. A word's class shows in its ending and in a modal verb before it.
A name is told by its form in the document: words it only ever writes capitalised that no dictionary knows
("Sandra Vandermerwe"), and the words of the document's authors.
"""
from __future__ import annotations

import re
from functools import lru_cache
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from wordfreq import zipf_frequency

# The project's language codes where wordfreq names them otherwise.
_WORDFREQ_LANG = {"no": "nb"}
# A single word this common in everyday language (its lemma counted) is generic; one this rare or rarer is
# specialised ("menu", "configuration" and "dokument" sit near 4: a subject's everyday words, not its concepts).
GENERIC_ZIPF = 4.7
SPECIFIC_ZIPF = 3.0
# A phrase that opens with a word this common is words standing together by chance.
OPENER_ZIPF = 5.0
# No word known as another's inflected form (see wordforms.py).
NO_LEMMAS: Mapping[str, str] = MappingProxyType({})
# A word this common ends no term ("will", "use"): function words the stop lists miss.
EVERYDAY_ZIPF = 5.5
# A phrase is rarer than its rarest word: each further word counts as this much less frequent.
PHRASE_ZIPF_DROP = 1.0
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
# Languages that capitalise every noun: there a capital says nothing of a name.
_CAPITALISES_NOUNS = frozenset({"de"})
# What ends a sentence before a word: a capital after it says nothing about the word.
_SENTENCE_BREAK = re.compile(r"(?:^|[.!?:…\n\"“”«»()\[\]•*#>-])\s*$")
# Words that announce a verb: modal verbs, and infinitive markers that are nothing else ("å", "te").
_VERB_CUES = {
    "en": ("can", "must", "should", "will", "may", "might", "could", "would", "cannot"),
    "de": ("kann", "können", "muss", "müssen", "soll", "sollte", "sollten", "wird", "werden", "darf"),
    "sv": ("kan", "ska", "skall", "måste", "vill", "kunna", "bör", "kunde", "skulle"),
    "no": ("å", "kan", "skal", "må", "vil", "kunne", "bør", "skulle"),
    "da": ("kan", "skal", "må", "vil", "kunne", "bør", "skulle"),
    "nl": ("te", "kan", "kunnen", "moet", "moeten", "zal", "zullen", "wil", "willen", "kun"),
    "fr": ("peut", "peuvent", "doit", "doivent", "pouvez", "devez"),
}
# Endings of adjectives, adverbs and verb forms (participles, infinitives of loan verbs) in each language: what
# tells a word's class from its form when no dictionary knows the word.
_NON_NOUN_ENDINGS = {
    "en": ("ly", "ive", "able", "ible", "ous", "ful", "ical", "ized", "ised", "ing"),
    "de": ("lich", "liche", "lichen", "ig", "ige", "igen", "isch", "ische", "bar", "sam", "ieren", "iert"),
    "sv": ("lig", "liga", "ligt", "ig", "iga", "igt", "isk", "iska", "iskt", "era", "erar", "erat", "erade", "eras",
           "ras", "full", "fulla", "bar", "bara", "sam", "samma"),
    "no": ("lig", "lige", "ig", "ige", "isk", "iske", "ere", "erer", "ert", "erte", "full", "fulle", "bar", "bare",
           "som", "somme"),
    "da": ("lig", "lige", "ig", "ige", "isk", "iske", "ere", "erer", "eret", "bar", "bare", "som", "somme"),
    "nl": ("lijk", "lijke", "ig", "ige", "isch", "ische", "baar", "bare", "eren", "eert", "eerd", "zaam", "zame"),
    "fr": ("ement", "ique", "iques", "able", "ables", "eux", "euse"),
}
# The stem left before such an ending: shorter ones are whole words that merely end so ("big", "era").
_MIN_STEM = 4


def looks_like_noun(word: str, lang: str) -> bool:
    """False when a word's ending marks an adjective, adverb or verb form of its language (for unknown words)."""
    folded = word.casefold()
    return not any(folded.endswith(e) and len(folded) - len(e) >= _MIN_STEM for e in _NON_NOUN_ENDINGS.get(lang, ()))


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """The word's general-language frequency on the Zipf scale (0 for a word the lists lack)."""
    try:
        return zipf_frequency(word, _WORDFREQ_LANG.get(lang, lang))
    except LookupError:  # a language wordfreq has no list for: nothing is known to be common
        return 0.0


def general_zipf(word: str, lang: str, lemmas: Mapping[str, str] = NO_LEMMAS) -> float:
    """How common a word is in general text: its own frequency or its lemma's, whichever is higher ("dokumentet"
    is as everyday as dokument), or as an English word (which texts of every language here quote: "user")."""
    folded = word.casefold()
    return max(zipf(folded, lang), zipf(lemmas.get(folded, folded), lang), zipf(folded, "en"))


def chance_phrase(words: list[str], lang: str) -> bool:
    """A phrase that opens with an everyday word ("new Debian system", "hjelpe kunden") or ends with a very
    common one ("installer will"): words that happen to stand together, not a term."""
    return len(words) > 1 and (general_zipf(words[0], lang) >= OPENER_ZIPF
                               or general_zipf(words[-1], lang) >= EVERYDAY_ZIPF)


def specificity(words: Iterable[str], lang: str, lemmas: Mapping[str, str] = NO_LEMMAS) -> float:
    """1 for a specialised term, down to 0 for an everyday word: from the general frequency of its rarest word
    (of its lemma, `lemmas` being casefolded form -> lemma)."""
    words = list(words)
    rarest = min(general_zipf(w, lang, lemmas) for w in words)
    rarest -= PHRASE_ZIPF_DROP * (len(words) - 1)
    return min(1.0, max(0.0, (GENERIC_ZIPF - rarest) / (GENERIC_ZIPF - SPECIFIC_ZIPF)))


def verb_words(text: str, lang: str) -> frozenset[str]:
    """Casefolded words a text uses as verbs: those right after a modal or an infinitive marker ("kan erbjuda")."""
    cues = _VERB_CUES.get(lang, ())
    tokens = [m.group().casefold() for m in _WORD.finditer(text)]
    return frozenset(word for cue, word in zip(tokens, tokens[1:]) if cue in cues)


def name_words(text: str, lang: str, authors: Iterable[str] = (),
               known: Callable[[str, str], bool] = lambda word, lang: False) -> frozenset[str]:
    """Casefolded words of names in a document: its authors', first name + surname pairs, and proper nouns.

    A word is capitalised-only when the document writes it so every time, at least once inside a sentence. Such
    a word no dictionary knows (`known`) is a name (a person, a firm, a place), except in a language that
    capitalises every noun; there it is a surname when it follows another capitalised-only word, which is a
    first name when no dictionary knows it either or the document never writes it but before a capital ("Fred
    Wiersema", where the dictionary reads "fred" as peace)."""
    seen: dict[str, list[bool]] = {}  # folded -> [always capitalised, once inside a sentence]
    tokens = list(_WORD.finditer(text))
    for match in tokens:
        word = match.group()
        state = seen.setdefault(word.casefold(), [True, False])
        capitalised = word[0].isupper() and not word.isupper()
        state[0] = state[0] and capitalised
        if capitalised and not _SENTENCE_BREAK.search(text, max(0, match.start() - 3), match.start()):
            state[1] = True
    proper = {w for w, (always, inside) in seen.items() if always and inside}
    if lang not in _CAPITALISES_NOUNS:  # a lone word only ever written capitalised that no dictionary knows: a name
        lone = {m.group().casefold(): m.group() for m in tokens if m.group().casefold() in proper}
        found_lone = {w for w, written in lone.items() if not known(written, lang)}
    else:
        found_lone = set()
    before_capital: dict[str, bool] = {}  # folded -> every occurrence is followed by a capitalised word
    for left, right in zip(tokens, [*tokens[1:], None]):
        follows = right is not None and right.group()[0].isupper() and text[left.end():right.start()] == " "
        folded = left.group().casefold()
        before_capital[folded] = before_capital.get(folded, True) and follows
    found = {w.casefold() for author in authors for w in _WORD.findall(author) if len(w) >= 3} | found_lone
    for left, right in zip(tokens, tokens[1:]):
        first, last = left.group().casefold(), right.group().casefold()
        if (first in proper and last in proper and text[left.end():right.start()] == " "
                and not known(right.group(), lang)
                and (not known(left.group(), lang) or before_capital[first])):
            found.update((first, last))
    return frozenset(found)


def written_cases(text: str) -> tuple[dict[str, str], set[str]]:
    """The words a text writes capitalised (casefolded -> as first written) and those it writes in lower case."""
    capitalised: dict[str, str] = {}
    lower: set[str] = set()
    for word in _WORD.findall(text):
        if word[0].isupper():
            capitalised.setdefault(word.casefold(), word)
        else:
            lower.add(word.casefold())
    return capitalised, lower


def is_name(word: str, names: frozenset[str]) -> bool:
    """Whether a word is one of `names`, also in the genitive ("Treacys", "Porter's")."""
    folded = word.casefold()
    return folded in names or any(folded.endswith(s) and folded[:-len(s)] in names for s in ("'s", "’s", "s"))
