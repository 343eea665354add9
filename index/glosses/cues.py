"""Part of speech from a word's form and its neighbour, to choose between a word's noun, verb and adjective senses.

Swedish "visar" is a form of the verb visa (show), not the noun visa (song): its lemma ends like an infinitive and
its own ending is a verb's. An article before a word makes it a noun; an infinitive marker, a modal verb or a
subject pronoun before it makes it a verb. Endings that nouns share (Norwegian and Danish -er, -et) decide nothing
alone. A determiner before a listed adjective with the -e (-a) it takes there makes it that adjective (Dutch de oude
economie: oud, old; not the noun oude, old man), as its form alone does where no infinitive ends so (Dutch); a
determiner only plurals follow, before a plural of a listed noun, makes it that noun (sommige gevallen: geval, case;
not a form of vallen, fall); a comparative after a word makes it an adverb (stadig mer: constantly more). The
senses are then read through the English word classes of eng-nor (see wordclass.py).
"""
from __future__ import annotations

import re

from .english import commonest, zipf
from .stopwords import is_stopword
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
_PRESENT_PARTICIPLES = ("ande", "ende")
# Indefinite articles only: a definite one also stands before a verb used as a noun (het creëren: creating).
_NOUN_BEFORE = {"sv": {"en", "ett"}, "no": {"en", "ei", "et"}, "da": {"en", "et"}, "nl": {"een"}}
# Infinitive markers and modal verbs: a verb after them is an infinitive, so a word that does not end as one is no
# verb there (Danish at is also that: at guiden starter, that the wizard starts).
_INFINITIVE_BEFORE = {
    "sv": {"att", "ska", "skall", "kan", "kunde", "vill", "måste", "bör", "får"},
    "no": {"å", "skal", "kan", "kunne", "vil", "ville", "må", "bør"},
    "da": {"at", "skal", "kan", "kunne", "vil", "ville", "må", "bør"},
    "nl": {"te", "kan", "kunnen", "wil", "moet", "moeten", "zal", "zullen"},
}
_SUBJECTS = {"sv": {"jag", "du", "han", "hon", "vi", "ni"}, "no": {"jeg", "du", "han", "hun", "vi", "dere"},
             "da": {"jeg", "du", "han", "hun", "vi"}, "nl": {"ik", "jij", "hij", "zij", "wij", "men"}}
# Words a verb follows: those, and the subject pronouns.
_VERB_BEFORE = {lang: _INFINITIVE_BEFORE[lang] | _SUBJECTS[lang] for lang in _INFINITIVE_BEFORE}
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
# Determiners only a plural noun follows (not de, die or hun, which also stand before verbs), and plural endings.
_PLURAL_BEFORE = {
    "sv": {"dessa", "alla", "många", "några", "flera", "inga", "andra", "mina", "dina", "våra"},
    "no": {"disse", "alle", "mange", "noen", "flere", "ingen", "andre", "mine", "dine", "våre"},
    "da": {"disse", "alle", "mange", "nogle", "flere", "ingen", "andre", "mine", "dine", "vores"},
    "nl": {"deze", "alle", "veel", "vele", "sommige", "enkele", "geen", "welke", "andere", "beide", "mijn", "onze"},
}
_PLURAL_ENDINGS = {"sv": ("ar", "er", "or", "r", "n"), "no": ("er", "r"), "da": ("er", "e", "r"), "nl": ("en", "s")}
_PREVIOUS = re.compile(r"([^\W\d_]+)\W*$")
_NEXT = re.compile(r"\s*([^\W\d_]+)")
# Comparatives: the word before one modifies it, an adverb (stadig mer: constantly more), in the form English gives
# an adjective's translation with -ly where English uses it.
_COMPARATIVES = {"sv": {"mer", "mera", "mindre", "fler", "flera"}, "no": {"mer", "mere", "mindre", "flere", "færre"},
                 "da": {"mere", "mindre", "flere", "færre"}, "nl": {"meer", "minder"}}
# Comparative and superlative endings (superlative or not), longest first; irregular ones (större, beste) are
# listed words or lemma-list forms of another word, which this leaves alone.
_DEGREES = {"sv": (("aste", True), ("ast", True), ("are", False)),
            "no": (("este", True), ("ere", False), ("est", True)),
            "da": (("este", True), ("ere", False), ("est", True)),
            "nl": (("ste", True), ("ere", False), ("st", True), ("er", False))}
_MIN_DEGREE_ZIPF = 3.0  # an English -er/-est form in common use (deeper 4.2), else more/most (rapider is none)
# Only the first senses: a later one is seldom what the word means (mye: much, very; right third, not rightly).
_ADVERB_SENSES = 2
_MIN_ADVERB_ZIPF = 3.0  # an English -ly form must be in common use (fixedly, sustainedly are not)
# English word classes (eng-nor tags) of a noun and of a verb sense.
_TAGS = {NOUN: {"n"}, VERB: {"v"}, ADJECTIVE: {"adj"}}


def read(word: str, entry: WordGloss, lexicon: Lexicon, classes: WordClasses, before: str = "",
         after: str = "") -> WordGloss:
    """A word's entry with the sense its form and neighbours point to first (see `_cue`): an inflected adjective or a
    plural noun the dictionary lists as another word (Dutch oude: old man; verschillen: differ) is read through the
    form it inflects (oud: old; verschil: difference) where that is of the class the cue wants; a word before a
    comparative (`after`, the text just after it) is an adverb. A function word keeps its list's order."""
    if entry.via == "function":
        return entry
    following = _NEXT.match(after[:40])
    following = following.group(1).casefold() if following is not None else None
    if following in _COMPARATIVES.get(lexicon.lang, ()):
        return _as_adverb(entry)
    if (graded := _as_degree(word.casefold(), entry, lexicon, classes)) is not None:
        return graded
    wanted, base = _cue(word, lexicon, before, following)
    found = lexicon.listed(base) if base else None
    # The word was found as another word (gevallen as a form of vallen), or its own entry's first sense is of another
    # class: for an adjective's form also where eng-nor does not class it (oude: oldman, a noun made of it), and for a
    # common word's most frequent reading (in veel gevallen: cases, not fallen), except the adjective's form the list
    # gives itself (onvoorziene: unforeseen, not onvoorzien's suddenly); a plural listed as written with such a sense
    # is likelier that plural (kosten: cost).
    tags = set().union(*map(classes.tags, entry.gloss.split(", ")))
    other = (tags or (wanted == ADJECTIVE) != (entry.via == "common")) and not tags & _TAGS.get(wanted, set()) \
        or entry.via == "lemma" and entry.form != base
    # An adjective's lemma is known from the lemma list; a plural's singular is guessed, so it must be a noun.
    if found is not None and other and (wanted == ADJECTIVE or any(_of_class(s, classes, wanted)
                                                                   for s in (found.gloss, *found.senses))):
        entry = found
    return prefer(entry, wanted, classes)


def _as_degree(word: str, entry: WordGloss, lexicon: Lexicon, classes: WordClasses) -> WordGloss | None:
    """A comparative or superlative found by its adjective, glossed in the English degree (djupare: deeper, not deep;
    enklaste: easiest; viktigaste: most important), or None: only where the word is its lemma's regular degree form
    and the lemma's first sense is an adjective in English."""
    if entry.via != "lemma" or any(" " in t for t in entry.gloss.split(", ")):
        return None
    for ending, superlative in _DEGREES.get(lexicon.lang, ()):
        if word.endswith(ending) and _degree_of(word[:len(word) - len(ending)], entry.form):
            translations = entry.gloss.split(", ")
            tags = [classes.tags(t) for t in translations]
            # eng-nor classes few English words (broad: none): no translation of another class, one adjective.
            if tags[0] - {"adj"} or not any("adj" in t for t in tags):
                return None
            shown = ", ".join(dict.fromkeys(_english_degree(t, superlative) for t in translations))
            return WordGloss(entry.form, shown, entry.source, entry.via, entry.senses)
    return None


def _degree_of(base: str, lemma: str) -> bool:
    """Whether a degree form's stem is the adjective's: as written (djup-are), less a final -e (still-ere: stille),
    with an unstressed -e- dropped (enkl-are: enkel), a Dutch long vowel written once (lag-er: laag) or a consonant
    doubled (dikk-er: dik)."""
    return len(base) >= 2 and lemma in {base, base + "e", base[:-1] + "e" + base[-1], base[:-1] + base[-2:],
                                        base[:-1]}


def _english_degree(adjective: str, superlative: bool) -> str:
    """The English comparative or superlative of an adjective: -er/-est where English writes it (easier, bigger,
    later), else more/most."""
    stem = adjective[:-1] + "i" if adjective.endswith("y") and len(adjective) > 2 else adjective
    suffix = "est" if superlative else "er"
    candidates = [stem[:-1] + suffix if stem.endswith("e") else stem + suffix, stem + stem[-1] + suffix]
    return commonest(candidates, _MIN_DEGREE_ZIPF) or f"{'most' if superlative else 'more'} {adjective}"


def _cue(word: str, lexicon: Lexicon, before: str, following: str | None = None) -> tuple[str | None, str | None]:
    """VERB, NOUN, ADJECTIVE or None for a word of `lexicon`'s language, from its neighbours (`before`, the text
    just before it; `following`, the next word of its clause, casefolded) and else its form; and the listed form the
    word inflects where the cue rests on it."""
    key = word.casefold()
    infinitive, endings = _VERB_FORMS.get(lexicon.lang, ("", ()))
    previous = _PREVIOUS.search(before[-40:])
    if previous is not None:
        neighbour = previous.group(1).casefold()
        if neighbour in _DETERMINERS.get(lexicon.lang, ()) and (lemma := _inflected_adjective(key, lexicon)):
            return ADJECTIVE, lemma
        if neighbour in _PLURAL_BEFORE.get(lexicon.lang, ()) and (singular := _plural_of(key, lexicon)):
            return NOUN, singular
        # An article's noun may come a word later: a word between is its adjective (en rät linje: a straight line).
        if neighbour in _NOUN_BEFORE.get(lexicon.lang, ()) and not _content_word(following, lexicon):
            return NOUN, None
        if neighbour in _VERB_BEFORE.get(lexicon.lang, ()) and (
                neighbour not in _INFINITIVE_BEFORE.get(lexicon.lang, ()) or key.endswith(infinitive)):
            return VERB, None
    lemma = lexicon.lemmas.get(key)
    # A present participle (rung-ande, folg-ende) is read as an adjective, though it ends like a past (-de).
    if endings and lemma and lemma != key and lemma.endswith(infinitive) and key.endswith(endings) \
            and not key.endswith(_PRESENT_PARTICIPLES):
        return VERB, None
    # Where no infinitive ends like an adjective's form (Dutch -en, -e), the form alone says adjective.
    if infinitive not in _ADJECTIVE_ENDINGS.get(lexicon.lang, (infinitive,)) \
            and (lemma := _inflected_adjective(key, lexicon)):
        return ADJECTIVE, lemma
    return None, None


def _content_word(word: str | None, lexicon: Lexicon) -> bool:
    """Whether a (casefolded) word is there and is no function word."""
    return word is not None and not is_stopword(word, lexicon.lang) and word not in lexicon.function_words


def _inflected_adjective(word: str, lexicon: Lexicon) -> str | None:
    """The listed lemma a word is with an adjective's ending (oude: oud; store: stor), or None."""
    lemma = lexicon.lemmas.get(word)
    if lemma is not None and lexicon.listed(lemma) is not None \
            and any(word == lemma + ending for ending in _ADJECTIVE_ENDINGS.get(lexicon.lang, ())):
        return lemma
    return None


def _as_adverb(entry: WordGloss) -> WordGloss:
    """The entry with its first sense that English makes an adverb of with -ly first, in that form (stadig:
    permanent, constant -> permanently, constantly; not fixed, fixedly being rare); else as it is."""
    senses = (entry.gloss, *entry.senses)
    for n, sense in enumerate(senses[:_ADVERB_SENSES]):
        adverbs = [_adverb(t) for t in sense.split(", ")]
        if any(adverbs):
            shown = ", ".join(a for a in adverbs if a)
            return WordGloss(entry.form, shown, entry.source, entry.via, senses[:n] + senses[n + 1:])
    return entry


def _adverb(adjective: str) -> str | None:
    """The English -ly adverb of a one-word translation, if English uses it (steady -> steadily)."""
    if not adjective.isalpha() or not adjective.islower():
        return None
    if adjective.endswith("le"):  # simple -> simply
        adverb = adjective[:-1] + "y"
    else:  # steady -> steadily, basic -> basically, constant -> constantly
        stem = adjective[:-1] + "i" if adjective.endswith("y") else adjective
        adverb = stem + ("ally" if stem.endswith("ic") else "ly")
    return adverb if zipf(adverb) >= _MIN_ADVERB_ZIPF else None


def _plural_of(word: str, lexicon: Lexicon) -> str | None:
    """The listed form a word is the plural of (gevallen: geval, vragen: vraag), or None: its lemma, or the word
    less a plural ending, a Dutch consonant doubled after a short vowel written once (geval-l-en)."""
    for ending in _PLURAL_ENDINGS.get(lexicon.lang, ()):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = word[:-len(ending)]
            for singular in (base[:-1] if base[-1] == base[-2] else base, base, lexicon.lemmas.get(word, "")):
                if singular and singular != word and lexicon.listed(singular) is not None:
                    return singular
    return None


def prefer(entry: WordGloss, wanted: str | None, classes: WordClasses) -> WordGloss:
    """The entry with its first sense of the wanted class first, where its best sense is of another class."""
    if wanted is None or entry.via not in ("word", "lemma", "stem", "inflection", "common") or not entry.senses:
        return entry
    senses = (entry.gloss, *entry.senses)
    # A sense written capitalised is a name or a title (klanten: Studies), of no class a cue wants.
    kinds = [set() if sense[:1].isupper() else set().union(*map(classes.tags, sense.split(", "))) for sense in senses]
    if not kinds[0] or kinds[0] & _TAGS[wanted] or wanted == VERB and _verb(entry.gloss):
        return entry
    best = next((n for n, tags in enumerate(kinds) if tags & _TAGS[wanted]), None)
    if best is None:
        return entry
    return WordGloss(entry.form, senses[best], entry.source, entry.via, senses[:best] + senses[best + 1:])


def _of_class(sense: str, classes: WordClasses, wanted: str | None) -> bool:
    return wanted is not None and any(classes.tags(t) & _TAGS[wanted] for t in sense.split(", "))


def _verb(sense: str) -> bool:
    """Whether English uses a translation of a sense as a verb, as eng-nor may not say (it tags hurry and urge as
    nouns only): its regular past form is common, or it is one. Only to keep a sense first: many nouns have such a
    form (wooded), so it never moves a sense up."""
    return any(past_form(t) or _past(t) for t in sense.split(", "))


def _past(translation: str) -> bool:
    """Whether a translation is a regular English past form (corrected, prepared, applied), as a participle's gloss
    is (see `Lexicon._as_participle`): a verb's form, though eng-nor classes its stem otherwise (correct: adj)."""
    stems = (translation[:-1], translation[:-2], translation[:-3] + "y")
    return translation.endswith("ed") and any(past_form(stem) == translation for stem in stems)
