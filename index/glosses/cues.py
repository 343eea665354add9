"""Part of speech from a word's form and its neighbour, to choose between a word's noun, verb and adjective senses.

Swedish "visar" is a form of the verb visa (show), not the noun visa (song): its lemma ends like an infinitive and
its own ending is a verb's. An article before a word makes it a noun; an infinitive marker, a modal verb or a
subject pronoun before it makes it a verb. Endings that nouns share (Norwegian and Danish -er, -et) decide nothing
alone. A determiner before a listed adjective with the -e (-a) it takes there makes it that adjective (Dutch de oude
economie: oud, old; not the noun oude, old man). The senses are then read through the English word classes of
eng-nor (see wordclass.py).
"""
from __future__ import annotations

import re

from .lexicon import Lexicon, WordGloss, past_form
from .wordclass import WordClasses

VERB, NOUN, ADJECTIVE = "v", "n", "adj"
# Per language: the infinitive's ending, and the endings of verb forms no noun of that lemma has.
_VERB_FORMS = {
    "sv": ("a", ("ar", "er", "ade", "ades", "ats", "as", "at", "de", "te", "dde", "tte")),
    "nl": ("en", ("t", "de", "te", "den", "ten", "d")),
    "no": ("e", ("te", "de", "dde", "tte")),
    "da": ("e", ("te", "de", "ede")),
}
# Indefinite articles only: a definite one also stands before a verb used as a noun (het creëren: creating).
_NOUN_BEFORE = {"sv": {"en", "ett"}, "no": {"en", "ei", "et"}, "da": {"en", "et"}, "nl": {"een"}}
_VERB_BEFORE = {
    "sv": {"att", "ska", "skall", "kan", "kunde", "vill", "måste", "bör", "får", "jag", "du", "han", "hon", "vi", "ni"},
    "no": {"å", "skal", "kan", "kunne", "vil", "ville", "må", "bør", "jeg", "du", "han", "hun", "vi", "dere"},
    "da": {"at", "skal", "kan", "kunne", "vil", "ville", "må", "bør", "jeg", "du", "han", "hun", "vi"},
    "nl": {"te", "kan", "kunnen", "wil", "moet", "moeten", "zal", "zullen", "ik", "jij", "hij", "zij", "wij", "men"},
}
# Determiners, after which an adjective takes its weak or plural ending (de oude economie, den store endringen),
# and that ending per language.
_DETERMINERS = {
    "sv": {"den", "det", "de", "denna", "detta", "dessa", "min", "mitt", "mina", "din", "ditt", "dina", "sin", "sitt",
           "sina", "vår", "vårt", "våra", "deras", "hans", "hennes", "alla", "många", "några"},
    "no": {"den", "det", "de", "denne", "dette", "disse", "min", "mitt", "mine", "din", "ditt", "dine", "sin", "sitt",
           "sine", "vår", "vårt", "våre", "deres", "hans", "hennes", "alle", "mange", "noen"},
    "da": {"den", "det", "de", "denne", "dette", "disse", "min", "mit", "mine", "din", "dit", "dine", "sin", "sit",
           "sine", "vores", "jeres", "deres", "hans", "hendes", "alle", "mange", "nogle"},
    "nl": {"de", "het", "een", "deze", "dit", "die", "dat", "mijn", "jouw", "zijn", "haar", "onze", "uw", "hun", "elke",
           "iedere", "alle", "veel", "sommige", "geen", "welke"},
}
_ADJECTIVE_ENDINGS = {"sv": ("a", "e"), "no": ("e",), "da": ("e",), "nl": ("e",)}
_PREVIOUS = re.compile(r"([^\W\d_]+)\W*$")
# English word classes (eng-nor tags) of a noun and of a verb sense.
_TAGS = {NOUN: {"n"}, VERB: {"v"}, ADJECTIVE: {"adj"}}


def cue(word: str, lexicon: Lexicon, before: str = "") -> str | None:
    """VERB, NOUN or None for a word of `lexicon`'s language, from its neighbour (`before`, the text just before
    it) and else its form."""
    previous = _PREVIOUS.search(before[-40:])
    if previous is not None:
        neighbour = previous.group(1).casefold()
        if neighbour in _DETERMINERS.get(lexicon.lang, ()) and _inflected_adjective(word.casefold(), lexicon):
            return ADJECTIVE
        if neighbour in _NOUN_BEFORE.get(lexicon.lang, ()):
            return NOUN
        if neighbour in _VERB_BEFORE.get(lexicon.lang, ()):
            return VERB
    infinitive, endings = _VERB_FORMS.get(lexicon.lang, ("", ()))
    key = word.casefold()
    lemma = lexicon.lemmas.get(key)
    if endings and lemma and lemma != key and lemma.endswith(infinitive) and key.endswith(endings):
        return VERB
    return None


def _inflected_adjective(word: str, lexicon: Lexicon) -> bool:
    """Whether a word is its lemma with an adjective's ending, the lemma listed (oude: oud; store: stor)."""
    lemma = lexicon.lemmas.get(word)
    return lemma is not None and lexicon.listed(lemma) is not None \
        and any(word == lemma + ending for ending in _ADJECTIVE_ENDINGS.get(lexicon.lang, ()))


def prefer(entry: WordGloss, wanted: str | None, classes: WordClasses, lexicon: Lexicon | None = None) -> WordGloss:
    """The entry with its first sense of the wanted class first, where its best sense is of another class; an
    inflected adjective the dictionary lists as a noun of its own (Dutch oude: old man) read through its lemma
    (oud: old), which `lexicon` gives."""
    if wanted == ADJECTIVE and lexicon is not None and entry.via == "word" and not _of_class(entry.gloss, classes):
        entry = lexicon.listed(lexicon.lemmas.get(entry.form, "")) or entry
    if wanted is None or entry.via not in ("word", "lemma", "stem", "inflection") or not entry.senses:
        return entry
    senses = (entry.gloss, *entry.senses)
    kinds = [set().union(*map(classes.tags, sense.split(", "))) for sense in senses]
    if not kinds[0] or kinds[0] & _TAGS[wanted] or wanted == VERB and _verb(entry.gloss):
        return entry
    best = next((n for n, tags in enumerate(kinds) if tags & _TAGS[wanted]), None)
    if best is None:
        return entry
    return WordGloss(entry.form, senses[best], entry.source, entry.via, senses[:best] + senses[best + 1:])


def _of_class(sense: str, classes: WordClasses, wanted: str = ADJECTIVE) -> bool:
    return any(classes.tags(t) & _TAGS[wanted] for t in sense.split(", "))


def _verb(sense: str) -> bool:
    """Whether English uses a translation of a sense as a verb, as eng-nor may not say (it tags hurry and urge as
    nouns only): its regular past form is common. Only to keep a sense first: many nouns have such a form (wooded),
    so it never moves a sense up."""
    return any(map(past_form, sense.split(", ")))
