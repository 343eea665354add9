"""A compact word -> English gloss lookup for one passage language: the routes by which a word as written finds
its dictionary entry.

A word the project's lists gloss (function words and common word forms, see wordlists.py) takes their senses
first. Otherwise a word is matched, first hit wins: as written; through its lemma ("heter" -> heta, not the
adjective het), also a lemma only English lists ("geselecteerd" -> selecteren: select); as a Norwegian/Danish/Swedish
cognate; through the language's Snowball stemmer ("kunderna" -> kund); with an inflection ending stripped ("nieuwe"
-> nieuw); with a genitive -s ("programmets"); with a negating prefix ("ustabil": unstable); as an English cognate
that differs in its ending ("strategiska" -> strategic, "correcties" -> correction); as a compound of two known
parts ("kundnöjdhet" = kund + nöjd(het)), whose parts take their computing sense beside a term that marks software
text ("rodpartitionen": root partition); as a word that is English already. A dictionary form the common-word list
gives, however reached, takes the list's senses first. A past form of a verb is glossed with the English past form
("förberedd" -> prepared), a plural noun with the English plural ("hästarna" -> horses; "riskgrupper" -> risk
groups). The entries' senses are ranked when the lexicon is built (senses.py).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Callable, TypeVar

from ..concepts.termhood import zipf as zipf_in  # how common a word is in its own language
from ..concepts.wordforms import VOWELS
from ..lexical import stemmer
from .english import PhraseSet, commonest, zipf
from .spelling import (UNLISTED_LOAN_SPELLINGS, bokmaal_spellings, english_spellings, loan_spellings, nordic_key,
                       swedish_spelling)
from .stopwords import is_stopword
from .wordlists import Register

T = TypeVar("T")
ENGLISH = "english"  # the `source` of a word glossed as itself
FUNCTION_WORDS = "function-words"  # the `source` of a word its language's list of function words glosses
COMMON_WORDS = "common-words"  # the `source` of a word its language's list of common words glosses
# Inflection endings to strip when neither the word nor its Snowball stem is listed (Snowball leaves
# short words alone: "nieuwe", "gaat"), and the dictionary-form endings to try on what is left.
_ENDINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sv": (("arnas", "ornas", "ernas", "arna", "orna", "erna", "ande", "ende", "aste", "are", "ast", "ade",
            "ad", "at", "ar", "or", "er", "en", "et", "na", "as", "es", "a", "e", "s", "t", "r"), ("a",)),
    "no": (("ene", "ane", "ende", "ere", "est", "et", "er", "en", "te", "de", "ta", "e", "a", "s", "t", "r"), ("e",)),
    "da": (("ene", "ende", "ere", "est", "et", "er", "en", "te", "de", "e", "s", "t", "r"), ("e",)),
    "nl": (("ende", "en", "te", "de", "ten", "den", "st", "e", "s", "t"), ("en", "n")),
    "de": (("ern", "en", "em", "er", "es", "st", "te", "e", "n", "s", "t"), ("en", "n")),
}
# Linking letters between the parts of a compound (kundlojalitet-s-program, klant-en-kaart).
_LINKS = ("", "s", "e", "en", "er", "n")
# Shorter parts split words at prefixes and syllables (för+etag, bed+rift) rather than at their parts.
MIN_PART = 4
# A part this short must be listed as written (brand-mur, rod-partition); it is tried only where no split into
# longer parts nor an English loan is found, as it splits a loan at a syllable (kur-atert) more often than not.
_SHORT_PART = 3
_MIN_COMPOUND = 8
_SUFFIX_MARKS = ("-", "\u2010")  # how a dictionary writes a suffix's translation (baar: ‐able)
_MIN_PARTICLE_COMPOUND = 6  # op+start (see `Lexicon._particle_compound`)
# An English word this common is a modifier as written, without a linking letter (root-brugeren: root user).
_MIN_ENGLISH_MODIFIER_ZIPF = 3.5
_MIN_ENGLISH_PART = 6
_KIN_PART = 6  # a shorter part spelt a sister language's way is as often a homograph (skab: cupboard)
_MEMO_LIMIT = 200_000
_MAX_LISTED_SENSES = 8  # as many as a dictionary word shows
_MIN_REGISTER_LOAN = 5  # a shorter word spelt as a computing term is as often a native one (Swedish bar: carried)
MAX_WORD = 48
_COGNATE_ENDINGS = (("iska", "ic"), ("iske", "ic"), ("isk", "ic"), ("isch", "ic"), ("ieren", "y"), ("iera", "y"),
                    ("isera", "ise"), ("isere", "ise"), ("era", "e"), ("ere", "e"), ("era", ""), ("ere", ""),
                    ("erad", "ed"), ("ert", "ed"), ("ika", "ic"), ("ie", "y"), ("i", "y"), ("er", "s"), ("eren", "e"),
                    ("eren", ""), ("a", ""), ("e", ""))
# Verbs and nouns borrowed from Latin and French carry these endings in the Nordic languages and Dutch
# (fokus-era, kommunic-erade, decentralis-ering, introduc-eren), and adjectives and nouns their inflection
# (extrem-t, exakt): what is left, a Nordic k read as c, is the English word's Snowball stem.
_LOAN_ENDINGS = ("eringarna", "eringar", "eringen", "eringer", "ering", "erades", "erade", "erad", "erat", "erar",
                 "era", "erende", "eren", "erer", "erte", "ert", "ere", "ende", "ande", "isk", "iska", "el", "er", "ar", "or",
                 "en", "t", "a", "e", "s", "")
_MIN_LOAN_ROOT = 5
# An inflected loan is read as English only when respelt (k, ks, kv) and this long: an ending cut off a word spelt as
# English writes it leaves a shorter English word as often as not (broncode: bronco; markeren: marker).
_MIN_RESPELT = 7
# A loan respelt at five letters, or an inflected one's stem at five or six, must be a common English word: short
# stems spell rare ones by chance.
_MIN_SHORT_RESPELT, _MIN_SHORT_RESPELT_ZIPF = 5, 3.5
# What may follow -ering (partitionering-en, -ar, -arna; Norwegian -er) and how common its English -ing must be.
_GERUND_INFLECTIONS = ("", "en", "er", "ar", "arna", "erne", "ene")
_MIN_GERUND_ZIPF = 2.0
# A loan or cognate read under another ending is a word English text uses at all: the dictionaries' English side
# holds typos (slogg, which made fejlsøgning+slogge of fejlsøgnings+logge).
_MIN_COGNATE_ZIPF = 1.0
# Two parts English writes as one word where that word is in use: overwrite (2.4), namespaces, filename, endnotes.
_MIN_CLOSED_ZIPF = 2.0
# A compound part read as the English word it was borrowed from is one English uses this much (command, partition).
_MIN_LOAN_PART_ZIPF = 3.0
# Past forms of verbs (participles and past tenses) per language: the infinitive's ending, the past forms' endings.
_PAST = {"sv": ("a", ("ad", "at", "ade", "ades", "ats", "dd", "tt", "de", "te", "d", "t")),  # not -ande: matchande
         "no": ("e", ("et", "te", "de", "dd", "tt", "t")), "da": ("e", ("et", "te", "de", "t")),
         "nl": ("en", ("de", "te", "den", "ten"))}
# Present participles per language: (ending, what the infinitive has instead, how the infinitive ends): sv
# match-ande (matcha), gå-ende; no and da følge-nde, gå-ende; nl volgen-d(e), gaan-de (not ei-de: ei, egg).
_PRESENT_PARTICIPLE = {"sv": (("ande", "a", ("a",)), ("ende", "", VOWELS)),
                       "no": (("nde", "", ("e",)), ("ende", "", VOWELS)),
                       "da": (("nde", "", ("e",)), ("ende", "", VOWELS)),
                       "nl": (("de", "", ("n",)), ("d", "", ("n",)))}
# Present-tense endings on a verb's stem (skriv-er, sträv-ar, spring-er); Dutch -t is also the stem of nouns.
_PRESENT = {"sv": ("ar", "er"), "no": ("er",), "da": ("er",)}
_NL_PARTICIPLE = re.compile(r"^[a-z]{0,5}ge\w+[dt]$")  # (op)ge-waardeer-d; a bare -t is also the present (noemt)
# A Dutch participle: a separable prefix, ge-, the verb's stem, -d or -t (in-ge-stel-d, ge-configureer-d).
_NL_GE = re.compile(r"^(aan|af|bij|door|in|mee|na|om|op|over|terug|toe|uit|voor|weg|samen)?ge([^\W\d_]{3,})[dt]$")
_NL_LONG = re.compile(r"(aa|ee|oo|uu)([^aeiou])$")  # written double in a closed syllable only: waardeer, waarderen
# Endings of agent nouns made from a verb's stem, their plural and definite forms (-er alone is also the present
# tense in Norwegian and Danish: bruker, uses).
_AGENT = {"nl": ("aar", "aars", "aren", "er", "ers"), "sv": ("are", "aren", "arna", "arnas", "ares"),
          "no": ("ere", "eren", "erne", "erens"), "da": ("ere", "eren", "erne", "erens")}
# Endings of nouns of the action a verb names (uppack-ning, navngiv-ning, betal-ing; Dutch instell-ing), their
# definite and plural forms longest first: the verb's stem before them.
_ACTION = {"sv": ("ningarna", "ningar", "ningen", "ning"),
           "no": ("ningene", "ninger", "ningen", "ning", "ingene", "inger", "ingen", "ing"),
           "da": ("ningerne", "ninger", "ningen", "ning", "ingerne", "inger", "ingen", "ing"),
           "nl": ("ingen", "ing")}
_MIN_ACTION_STEM = 3
# A verbal noun's -ering (analys-e-ring, konfigur-e-ring) cut after its e: the ending, not ring (a circle) as a head.
_RING = frozenset({"ring", "ringen", "ringar", "ringarna", "ringer", "ringene", "ringerne"})
# Agent endings a compound's head may also have: Norwegian and Danish -er, the present tense only of a word alone.
_HEAD_AGENT = {"no": ("er",), "da": ("er",)}
# Plural endings on a noun's dictionary form (kupong-er, pakke-r, flick-or, instelling-en), longest first: a
# compound's head, a noun, takes them; a word alone only the definite plurals, as -er and -en are also verbs' endings.
_PLURAL = {"sv": ("arna", "orna", "erna", "ar", "or", "er", "na"), "no": ("ene", "er", "ne", "r"),
           "da": ("erne", "ene", "er", "ne", "r"), "nl": ("en", "s")}
# Definite plural endings and their genitives (författar-nas: the authors').
_DEFINITE_PLURAL = {"sv": ("arnas", "ornas", "ernas", "nas", "arna", "orna", "erna", "na"), "no": ("enes", "ene"),
                    "da": ("ernes", "enes", "rnes", "erne", "ene", "rne")}
# The definite plural of a noun in -er, which takes no plural ending of its own (lærer-ne, plassholder-ne).
_ER_PLURAL = {"no": ("ne",), "da": ("ne",)}
# The definite article's endings on a singular noun (kund-en, hus-et, side-n).
_DEFINITE = {"sv": ("en", "et", "n"), "no": ("en", "et", "n"), "da": ("en", "et", "n")}
# Plural endings only a noun in -e takes (äpple-na, lärar-na; Danish udgave-rne), found as a word of the language:
# after a verb, -na is a participle's (erbjud-na; utskrive-na, read by a Norwegian verb).
_E_PLURAL = {"da": ("rnes", "rne")}
# Plural endings a noun adds to its dictionary form as written (mulighed-er, gebruiker-s; the definite -ne of a noun
# in -e or -er: kunde-ne, lærer-ne), where the lemma list names that form: no verb's form is its infinitive plus one.
_LEMMA_PLURAL = {"sv": ("ar", "or", "er"), "no": ("er", "ne"), "da": ("er", "ne"), "nl": ("en", "s")}
# Noun endings that always take a linking -s before a compound's head (parkering-s-plats, veiligheid-s-instelling).
_S_LINKED = {"sv": ("ning", "ing", "het", "tion", "else", "dom", "skap"),
             "no": ("ning", "ing", "het", "sjon", "else", "dom", "skap"),
             "da": ("ning", "ing", "hed", "tion", "else", "dom", "skab"), "nl": ("ing", "heid", "schap")}
# Languages whose nouns in unstressed -el, -er, -en drop the -e- before a plural ending (regel: regl-er).
_CONTRACTING = ("sv", "no", "da")
# Languages whose words meet without a third like consonant (kontroll+linje: kontrollinje).
_ELIDING = ("sv", "no")
# Languages whose -s is never a passive's, only a genitive's, plural's or linking letter (berekening-s).
_S_NOT_PASSIVE = ("nl",)
# Dutch nouns that take -s for their plural: unstressed -el, -em, -en, -er, the agent's -aar, -je, a final vowel.
_S_PLURAL_NOUNS = ("el", "em", "en", "er", "aar", "je", "a", "o", "u", "i", "y", "é")
_AFTER_E = ("na", "nas", *_E_PLURAL["da"])
_MIN_PLURAL_ZIPF = 2.5  # an English plural in common use (coupons), not a made-up one
# ... nor a noun English rarely counts (money: moneys, 3.0 less common; information, software, advice)
_MAX_PLURAL_DROP = 1.5
# An agent noun must be a common word: a rarer one (packer) is likelier a misreading of a plural (pakke-rne)...
_MIN_AGENT_ZIPF = 3.5
# ... unless its ending is no plural's or tense's (installer-aren, vedlikehold-eren: installer, maintainer).
_SURE_AGENT = {"nl": ("aar", "aars", "aren"), "sv": ("are", "aren", "arna", "arnas", "ares"),
               "no": ("eren", "erens"), "da": ("eren", "erens")}
_MIN_SURE_AGENT_ZIPF = 2.3  # an attested English word (maintainer 2.4), not a coinage (knower 2.1)
_PLURAL_AGENT = {"nl": ("aars", "ers"), "sv": ("arna", "arnas"), "no": ("ere", "erne"), "da": ("ere", "erne")}
_NEGATION = {"sv": "o", "no": "u", "da": "u", "nl": "on"}  # the prefix that negates an adjective (ostabil)
# English negates with un-, or a Latin word with in- (im-, il-, ir- before a labial, l, r): invalid, irregular.
_ENGLISH_NEGATIONS = ("un", "in", "im", "il", "ir")
_MIN_NEGATED_ZIPF = 2.0  # an attested English word (unencrypted 2.3, uninstalled 2.4), not a coinage (unknow 1.8)
# A long loan English and the passage language use about as often (internet, laptops) is read as English; a shorter
# word only where English uses it more, as a homograph is likelier there (Norwegian fall: case; Danish placer: place).
_ENGLISH_MARGIN = 0.5
# English particles a Nordic or Dutch compound puts first and English nouns of phrasal verbs last (startup, setup).
_PARTICLES = frozenset({"up", "out", "down", "off", "back"})
# Prefixes the product's languages and English share (pre-, co-), longest first, and how long a known word after one
# must be: a shorter rest is as often a name's end (connor, preston).
_LEARNED_PREFIXES = dict.fromkeys(("pseudo", "multi", "inter", "super", "anti", "post", "semi", "pre", "sub", "non",
                                   "co"))  # each written as it is in English (see `_prefixed`)
# The product's languages' own prefixes of doing again (om-definiera, åter-skapa, gen-aktivere, gjen-starte,
# her-ontdekt: redefine, recreate, reactivate, restart, rediscovered), English re-.
_NATIVE_PREFIXES = {"sv": {"om": "re", "åter": "re"}, "no": {"om": "re", "gjen": "re"},
                    "da": {"om": "re", "gen": "re"}, "nl": {"her": "re"}}
# The modifier of a participial compound that means before, as English pre- (för+installerad: preinstalled).
_BEFORE = {"sv": ("för",), "no": ("forhånd",), "da": ("forud",), "nl": ("voor",)}
_MIN_PREFIXED_REST = 6
_MIN_PREFIXED_ZIPF = 1.5  # English writes the word as one (coauthor 2.6)...
_MIN_COINED_REST = 8  # ... else the prefix stands hyphenated before a long word only (not pre-readiness: preparaten)
_MIN_PAST_ZIPF = 3.0  # an English past form must be in common use (pieced, worded are not what is meant)
# A compound of computing terms general text uses this rarely or less (about once in ten million words) is one of
# software text (see `_in_register`).
_MAX_REGISTER_ZIPF = 2.0
# How a compound's part may have been found for its later senses to render it (see `Lexicon._attested`).
_RESENSED = ("word", "lemma", "inflection", "common", "cognate")


@dataclass(frozen=True)
class WordGloss:
    """How a word was glossed: the dictionary form(s) it matched, the best sense, the others, and the dictionary."""

    form: str
    gloss: str
    source: str
    # "word" | "lemma" | "stem" | "inflection" | "cognate" | "negation" | "compound" | "english" | "function" | "common"
    via: str
    senses: tuple[str, ...] = ()  # the dictionary's other senses, best first
    # A compound's parts as glossed, modifier first, where English has no one word for it: its gloss is them
    # written as an English compound noun (market segment), not one token a reader or a program could split.
    parts: tuple[str, ...] = ()


@dataclass
class Lexicon:
    """Glosses of one passage language's words into English."""

    lang: str
    sources: list[str]
    words: dict[str, tuple]  # dictionary form -> ((senses, best first), index into sources)
    stems: dict[str, str]  # stem -> the dictionary form chosen for it
    english: dict[str, int] = field(default_factory=dict)  # English words (see `build_english`)
    cognates: dict[str, tuple] = field(default_factory=dict)  # spelling key (see `nordic_key`) -> (senses, source)
    lemmas: dict[str, str] = field(default_factory=dict)  # inflected form -> its lemma (see lemmas.py)
    kin: tuple["Lexicon", ...] = field(default=(), repr=False)  # sister languages' lexicons (see `KIN`), set on load
    # Function word, and common word form, -> its English senses (see wordlists.py), set on load.
    function_words: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    common_words: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # Computing terms and their senses in software text (see wordlists.py), set on load: the senses a compound's
    # parts take where one of them marks it a computing term (rod+partition: root partition; not disorder partition).
    register: Register = field(default_factory=Register, repr=False)
    # English Snowball stem -> its most common word, for loanwords: one table per English vocabulary, shared by
    # the lexicons that read it (see `Lexicons`) and filled on first use.
    english_stems: dict[str, str] = field(default_factory=dict, repr=False)
    # English two-word compounds the dictionaries write (see `build_english_phrases`), shared, set on load.
    english_phrases: PhraseSet = field(default_factory=lambda: PhraseSet.of(()), repr=False)
    # Looked-up words, one memo per `software` of `lookup` (a compound may read otherwise in general text).
    _memos: dict[bool, dict[str, WordGloss | None]] = field(default_factory=dict, repr=False)
    _remembered: dict[tuple, object] = field(default_factory=dict, repr=False)
    _phrases: dict[str, list[tuple[tuple[str, ...], str]]] | None = field(default=None, repr=False)

    def lookup(self, word: str, split: bool = True, software: bool = True) -> WordGloss | None:
        """The English gloss of a word as written in a passage, or None; without `split`, a word no other route
        knows is not tried as a compound (the costly part, up to tens of milliseconds a word: see the glosser's
        budget), and what is found then is not remembered. Without `software` (a passage that names no computing
        term), a compound of two computing terms takes their computing senses only where one marks it so (see
        `_in_register`)."""
        key = word.casefold()
        memo = self._memos.setdefault(software, {})
        if key in memo:
            return memo[key]
        if len(key) > MAX_WORD:  # no word is this long; splitting it would cost time quadratic in its length
            return self._direct(key)
        if (listed := self._word_list_entry(key)) is not None:
            return listed
        found = (self._direct(key) or self._common_inflected(key) or self._english_word(key)
                 or self._kin_spelling(key) or self._dutch_participle(key) or self._cognate(self.lemmas.get(key, key))
                 or self._english_lemma(key) or self._negated(key) or self._linked(key) or self._stemmed(key)
                 or self._inflected(key) or self._genitive(key) or self._english(key, loans=False))
        if found is None and not split:
            return None
        # Two parts before three: a three-part split of a word two parts explain cuts one of them at a syllable
        # (oppsett+instruks+joner, setup instruction ions, where instruksjoner is a cognate's plural). A prefix of
        # doing again that English writes with the word's sense comes before a split that reads it as a noun
        # (gen+aktivere: reactivate, not gene enable).
        found = (found or self._action(key) or self._prefixed(key, _NATIVE_PREFIXES.get(self.lang, {}))
                 or self._compound(key, 1, software=software) or self._english(key)
                 or self._compound(key, 1, loose=True, software=software)
                 or self._compound(key, 2, software=software) or self._compound(key, 2, loose=True, software=software)
                 or self._prefixed(key, _LEARNED_PREFIXES))
        found = self._as_negation(key, self._as_agent(key, self._as_present(key, self._as_participle(key, found))))
        found = self._as_plural(key, found, _DEFINITE_PLURAL)
        found = self._as_plural(key, found, _LEMMA_PLURAL, exact=True) if found and found.via == "lemma" else found
        if len(memo) >= _MEMO_LIMIT:  # the look-up endpoint takes any text; keep the memo bounded
            memo.clear()
        memo[key] = found
        return found

    def remembered(self, key: tuple, compute: Callable[[], T]) -> T:
        """What `compute` gives for `key`, computed once for this lexicon (what a glosser derives from its words alone,
        such as the English name a concept term is glossed with), in a memo as bounded as the words'."""
        if key not in self._remembered:
            if len(self._remembered) >= _MEMO_LIMIT:
                self._remembered.clear()
            self._remembered[key] = compute()
        return self._remembered[key]  # type: ignore[return-value]

    def _entry(self, form: str, via: str, table: dict[str, list] | None = None) -> WordGloss:
        """A dictionary form's entry; a form the list of common words gives takes the list's senses first, whatever
        route reached it (böckerna through bok: book, not beech; bok+handel: book shop)."""
        senses, source = (self.words if table is None else table)[form]
        if table is None and form in self.common_words:
            senses = list(dict.fromkeys((*self.common_words[form], *senses)))[:_MAX_LISTED_SENSES]
        return WordGloss(form, senses[0], self.sources[source], via, tuple(senses[1:]))

    def phrase(self, words: list[str]) -> tuple[int, WordGloss] | None:
        """The longest listed phrase of two words or more that `words` (casefolded, in text order) begin with, as
        (its number of words, its entry): Danish heller ikke (neither), Swedish bete sig (behave); a verb phrase with
        its verb inflected too, as dictionaries list it in the infinitive (tar hand om: ta hand om, care for)."""
        if not words:
            return None
        for first in dict.fromkeys((words[0], self.lemmas.get(words[0], words[0]))):
            for parts, form in self._phrase_index().get(first, ()):
                if (first, *words[1:len(parts)]) == parts:
                    return len(parts), self._entry(form, "word")
        return None

    def begins_phrase(self, word: str) -> bool:
        """Whether a listed phrase begins with this casefolded word or its lemma (a cheap test before `phrase`)."""
        index = self._phrase_index()
        return word in index or self.lemmas.get(word, word) in index

    def _phrase_index(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        if self._phrases is None:
            found: dict[str, list[tuple[tuple[str, ...], str]]] = {}
            for form in self.words:
                if " " in form:
                    parts = tuple(form.replace("\u0133", "ij").split())  # nld-eng writes the ij ligature
                    found.setdefault(parts[0], []).append((parts, form))
            for phrases in found.values():
                phrases.sort(key=lambda phrase: -len(phrase[0]))
            self._phrases = found  # whole, in one step, as english_stems
        return self._phrases

    def use_word_lists(self, function_words: dict[str, tuple[str, ...]], common_words: dict[str, tuple[str, ...]],
                       register: Register | None = None) -> None:
        """Take the project's lists (see wordlists.py); a common form no dictionary lists becomes a word of the
        lexicon, so that every route reaches it (Danish opsætning: setup, in opsætnings+skærmen, setup screen)."""
        self.function_words, self.common_words = function_words, common_words
        self.register = register or Register()
        # Only a form the lemma list gives no other lemma: an inflected one (Danish driver: runs) would lend its
        # sense to the words routes find through it (driver-en, the driver).
        missing = [form for form in common_words if form not in self.words and self.lemmas.get(form, form) == form]
        if not missing:
            return
        self.sources.append(COMMON_WORDS)
        for form in missing:
            self.words[form] = (common_words[form], len(self.sources) - 1)

    def _word_list_entry(self, word: str) -> WordGloss | None:
        """A word as the project's lists gloss it (see wordlists.py): a function word (Danish nogen: some, any; not
        nøgen, naked) or a common word form (Swedish kom: came; not comma), the senses a dictionary lists for it
        after the list's own."""
        for table, source, via in ((self.function_words, FUNCTION_WORDS, "function"),
                                   (self.common_words, COMMON_WORDS, "common")):
            if senses := table.get(word):
                listed = self._direct(word)
                more = (listed.gloss, *listed.senses) if listed is not None else ()
                ordered = list(dict.fromkeys((*senses, *more)))[:_MAX_LISTED_SENSES]
                return WordGloss(word, ordered[0], source, via, tuple(ordered[1:]))
        return None

    def in_software(self, word: str, found: WordGloss | None) -> WordGloss | None:
        """A word as software text reads it: a form the computing register lists takes its senses there first
        (Swedish kör: runs, not drives; avsnitt: section, not episode), what `found` gave after them."""
        senses = self.register.senses.get(word.casefold())
        if not senses and len(word) >= _MIN_REGISTER_LOAN and word.casefold() in self.register.english \
                and self.commoner_in_english(word.casefold()):
            # Spelt as a computing term English uses more, a word is that loan there (Danish folder: folder, not
            # leaflet; not Swedish handling, a document).
            senses = (word.casefold(),)
        if not senses or senses[0].endswith("-") or found is not None and found.via == "function":
            return found
        more = (found.gloss, *found.senses) if found is not None else ()
        ordered = list(dict.fromkeys((*senses, *more)))[:_MAX_LISTED_SENSES]
        # The project's lists, as a computing word outside the commonest is glossed (see wordlists.py).
        return WordGloss(word.casefold(), ordered[0], COMMON_WORDS, "common", tuple(ordered[1:]))

    def listed(self, form: str) -> WordGloss | None:
        """The entry of a form as the dictionaries list it, or None."""
        return self._entry(form, "word") if form in self.words else None

    def _direct(self, word: str) -> WordGloss | None:
        """The word as a dictionary lists it, or its lemma listed, also where the word is that lemma's present tense
        (see `_is_present`); a past form of a listed verb more common than the lemma given is that verb's (Danish
        vokset: vokse, grow; not voks, wax)."""
        lemma = self.lemmas.get(word)
        if word in self.words and not (lemma in self.words and self._is_present(word, lemma)):
            return self._as_kin(self._entry(word, "word"))
        if lemma not in self.words:
            return None
        verb = self._past_of(word)
        return self._as_kin(self._entry(verb if verb and zipf_in(verb, self.lang) > zipf_in(lemma, self.lang)
                                        else lemma, "lemma"))

    def _is_present(self, word: str, lemma: str) -> bool:
        """Whether a listed word is also the present tense of the verb the lemma list gives it (Norwegian skriver:
        writes, not printer; Swedish springer: runs, not knight; a verb ending in another vowel adds -r: bo-r, lives,
        not boron; få-r, gets, not sheep): the verb is the commoner reading of that form."""
        infinitive, _ = _PAST.get(self.lang, ("", ()))
        if self.lang not in _PRESENT:
            return False
        if not lemma.endswith(infinitive):
            return lemma.endswith(VOWELS) and word == lemma + "r"
        stem = lemma[:len(lemma) - len(infinitive)]
        return word in {stem + ending for ending in _PRESENT[self.lang]}

    def _as_kin(self, found: WordGloss) -> WordGloss:
        """A form only a sister language's dictionary lists (Danish heller, from eng-nor) as that language's own
        lexicon glosses it, which weighs every route it has to the form (Bokmål heller: rather, also via swe-nor)."""
        for kin in self.kin:
            if found.source != self.sources[0] and found.source in kin.sources and found.form in kin.words:
                return kin._entry(found.form, found.via)
        return found

    def _past_of(self, word: str) -> str | None:
        """The listed verb a word is a regular past form of (vokset -> vokse), or None."""
        infinitive, endings = _PAST.get(self.lang, ("", ()))
        for ending in endings:
            verb = word[:len(word) - len(ending)] + infinitive
            # A bare -t or -d also ends adjectives (klart, neuter of klar): not evidence of a verb.
            if len(ending) > 1 and word.endswith(ending) and len(verb) > MIN_PART and verb in self.words \
                    and verb != word:
                return verb
        return None

    def _english_word(self, word: str) -> WordGloss | None:
        """An English word its own dictionaries lack, written in a passage as English (users, contain, some): one
        English dictionaries list that is commoner in English than in the passage language, or about as common for a
        long loan (`_ENGLISH_MARGIN`); before the looser routes, which read it as a homograph's inflection or stem
        (some: som, who; run: rune; internet: intern)."""
        margin = _ENGLISH_MARGIN if len(word) >= _MIN_RESPELT else 0.0
        if len(word) > 2 and word in self.english and self.commoner_in_english(word, margin):
            return WordGloss(word, word, ENGLISH, "english")
        return None

    def commoner_in_english(self, word: str, margin: float = 0.0) -> bool:
        """Whether English uses a (casefolded) word more than this lexicon's language does, or within `margin`."""
        return zipf(word) > zipf_in(word, self.lang) - margin

    def _kin_spelling(self, word: str) -> WordGloss | None:
        """A word its own dictionaries lack, as a sister language lists it in its regular spelling there (Danish
        skabe -> Bokmål skape: create; overvej -> overveie: consider); before the looser routes, which would
        match a homograph (skab: cupboard)."""
        if not self.kin or self.commoner_in_english(word):  # an English word (can, case, log) is left as one
            return None
        for spelt in bokmaal_spellings(word):
            for kin in self.kin:
                # Swedish writes the infinitive's -e as -a (skape, skapa).
                found = kin._direct(swedish_spelling(spelt[:-1] + "a" if spelt.endswith("e") else spelt)
                                    if kin.lang == "sv" else spelt)
                if found is not None:
                    return found
        return None

    def _dutch_participle(self, word: str) -> WordGloss | None:
        """A Dutch participle the lemma list lacks, through its infinitive, listed or an English loan, glossed with
        the English past form (ingesteld: instellen; geconfigureerd: configureren, configured)."""
        match = _NL_GE.match(word.replace("ï", "i")) if self.lang == "nl" else None
        if match is None:
            return None
        infinitive = (match.group(1) or "") + _NL_LONG.sub(lambda m: m.group(1)[0] + m.group(2), match.group(2)) + "en"
        found = self._direct(infinitive) or self._english(infinitive, loans=False)
        if found is None:
            return None
        past = [past_form(t) or t for t in found.gloss.split(", ")]
        return WordGloss(found.form, ", ".join(past), found.source, "lemma", found.senses)

    def _stemmed(self, word: str) -> WordGloss | None:
        snowball = stemmer(self.lang)
        form = self.stems.get(snowball.stemWord(word) if snowball else word)
        return self._entry(form, "stem") if form else None

    def _english_head(self, word: str) -> WordGloss | None:
        """A compound's head as an English word: one spelt as English spells it is a loan only where English uses it
        more than the compound's language does (nedbruds+rapport is a report, not rapport)."""
        found = self._english(word)
        return None if found is not None and found.form == word and not self.commoner_in_english(word) else found

    def _common(self, word: str) -> WordGloss | None:
        """A form the language's list of common words glosses, its senses first (see `_word_list_entry`)."""
        if word not in self.common_words:
            return None
        entry = self._word_list_entry(word)
        return entry if entry is not None and entry.via == "common" else None

    def _common_inflected(self, word: str) -> WordGloss | None:
        """A noun the list of common words gives, with a plural or definite ending (plassholder-ne: placeholders;
        kontrollinje-n: the control line), glossed in the English number."""
        for ending, plural, after_er in _noun_endings(self.lang):  # the longest base first: udgave-rne, not udgav-erne
            if not word.endswith(ending):
                continue
            cut = word[:len(word) - len(ending)]
            # A noun's last -e may give way to a plural ending (platshållar-na: platshållare), or its unstressed -e-
            # (tidsstempl-ene: tidsstempel); a base the lemma list gives another lemma is a verb's or an adjective's
            # form, not a noun.
            base = next((b for b in ((cut, cut + "e", cut[:-1] + "e" + cut[-1:]) if plural else (cut,))
                         if b in self.common_words and self.lemmas.get(b, b) == b), "")
            if len(base) < MIN_PART or after_er and not base.endswith("er"):
                continue
            entry = self._common(base)
            if entry is None or " " in entry.gloss and plural:
                continue
            shown = [_plural(t) for t in entry.gloss.split(", ")] if plural else []
            return WordGloss(entry.form, ", ".join(p for p in shown if p) or entry.gloss, entry.source, "inflection",
                             entry.senses)
        return None

    def _known(self, word: str) -> WordGloss | None:
        return self._direct(word) or self._stemmed(word)

    def _piece(self, word: str, loose: bool) -> WordGloss | None:
        """A part of a compound as its own dictionaries know it; in a loose compound, else as a sister language
        spells it or a cognate as written (Danish brand-mure: brand only through Norwegian and Swedish, fire). Only
        where no compound of the word's own parts is found: a sister language's words split compounds at the wrong
        letter (minne-s-läge, memory + mode, as minnes-släge, sledgehammer)."""
        # A form the word's own dictionaries lack but a sister language lists (bruger-en: bruker, user) before a
        # guessed stem (brug, use).
        kin_first = len(word) >= _KIN_PART
        found = (self._direct(word) or kin_first and self._kin_spelling(word) or self._stemmed(word)
                 or self._action(word))
        if found is not None or not loose:
            return found
        # A longer part's sister spelling was tried above: not again for every cut of a loose compound.
        return (None if kin_first else self._kin_spelling(word)) or self._cognate(word, least=_KIN_PART)

    def _listed_before(self, word: str, endings: tuple[str, ...], fits: Callable[[str], bool]) -> WordGloss | None:
        """The entry of what is left of the word before one of `endings`, where that is listed as written and `fits`."""
        return next((self._direct(base) for e in endings
                     if word.endswith(e) and (base := word[:-len(e)]) in self.words and fits(base)), None)

    def _definite_noun(self, word: str) -> WordGloss | None:
        """A noun listed as written with the definite article's ending (side-n, the page), if the word is one."""
        return self._listed_before(word, _DEFINITE.get(self.lang, ()), lambda base: len(base) >= MIN_PART)

    def _inflected(self, word: str) -> WordGloss | None:
        # A noun in -e listed as written, first (udgave-rne: editions; not udgav-erne: published; fil-erne).
        if found := self._listed_before(word, _E_PLURAL.get(self.lang, ()), lambda base: base.endswith("e")):
            return found
        suffixes, endings = _ENDINGS.get(self.lang, ((), ()))
        for suffix in ("", *suffixes):
            base = word[:len(word) - len(suffix)]
            if not word.endswith(suffix) or len(base) < 2:
                continue
            # Dutch writes a long vowel double in a closed syllable only: vraagt -> vragen.
            undouble = self.lang == "nl" and base[-2:-1] * 2 == base[-3:-1]
            bases = [base, base[:-2] + base[-1]] if undouble else [base]
            for candidate in (b + ending for b in bases for ending in ("", *endings)):
                found = self._known(candidate) if candidate != word else None
                # Stemming a guessed form can cut it to a short unrelated word (innlegg -> inn); not that.
                if found is not None and len(found.form) >= len(candidate) - 2:
                    return WordGloss(found.form, found.gloss, found.source, "inflection")
        return None

    def _cognate(self, word: str, least: int = MIN_PART) -> WordGloss | None:
        """A sister language's word spelt alike, or with the word's inflection stripped (layout-et) where what is left
        has at least `least` letters."""
        if not self.cognates or len(word) < MIN_PART:
            return None
        suffixes, _ = _ENDINGS.get(self.lang, ((), ()))
        for suffix in ("", *suffixes):
            base = word[:len(word) - len(suffix)]
            if word.endswith(suffix) and len(base) >= (least if suffix else MIN_PART) \
                    and (key := nordic_key(base)) in self.cognates:
                return self._entry(key, "cognate", self.cognates)
        return None

    def _english(self, word: str, loans: bool = True) -> WordGloss | None:
        """The word as an English word, or a learned word that differs from its English cognate in its ending only
        (strategi, specifika, fokusera, correctie); with `loans`, also one whose Snowball stem is an English one's."""
        if len(word) > 2 and word in self.english:
            return WordGloss(word, word, ENGLISH, "english")
        if len(word) == _MIN_SHORT_RESPELT and (respelt := self._respelt(word, _MIN_SHORT_RESPELT_ZIPF)):
            return respelt  # makro: macro
        if len(word) >= 6:
            # Written the Nordic or Dutch way, a long loan may be the English word itself (konfiguration, eksplicit).
            if (respelt := self._respelt(word)) is not None:
                return respelt
            for ending, english in _COGNATE_ENDINGS:
                if word.endswith(ending) and (candidate := word[:len(word) - len(ending)] + english) in self.english \
                        and zipf(candidate) >= _MIN_COGNATE_ZIPF:
                    return WordGloss(candidate, candidate, ENGLISH, "english")
            return self._loanword(word, loans) or self._inflected_loan(word)
        return None

    def _inflected_loan(self, word: str) -> WordGloss | None:
        """A long loan spelt the Nordic or Dutch way, with the language's inflection (konfigurationen, komplekse,
        makro-erne): only a respelt word (k, ks, kv, diaeresis) English has, of `_MIN_RESPELT` letters, or a shorter
        one English uses commonly, lest an ending cut a word into a shorter English one (broncode: bronco)."""
        suffixes, _ = _ENDINGS.get(self.lang, ((), ()))
        for suffix in (*_DEFINITE_PLURAL.get(self.lang, ()), *suffixes):
            stem = word[:len(word) - len(suffix)]
            if not word.endswith(suffix) or len(stem) < _MIN_SHORT_RESPELT:
                continue
            # A shorter stem must spell a common English word (makro-erne: macros).
            least = _MIN_COGNATE_ZIPF if len(stem) >= _MIN_RESPELT else _MIN_SHORT_RESPELT_ZIPF
            if (respelt := self._respelt(stem, least)) is not None:
                return respelt
        return None

    def _respelt(self, word: str, least: float = 0.0) -> WordGloss | None:
        """The English word a loan is when spelt the English way (k, ks, kv, diaeresis), if English has it with a
        zipf of at least `least`."""
        base = next((b for b in loan_spellings(word)[1:] if b in self.english and zipf(b) >= least), None)
        return WordGloss(base, base, ENGLISH, "english") if base else None

    def _english_lemma(self, word: str) -> WordGloss | None:
        """A form whose lemma no dictionary lists but English does, as a loan (geselecteerd -> selecteren: select)."""
        lemma = self.lemmas.get(word)
        found = self._english(lemma, loans=False) if lemma is not None and lemma not in self.words else None
        return WordGloss(found.form, found.gloss, found.source, "lemma") if found else None

    def _linked(self, word: str) -> WordGloss | None:
        """A listed word with a genitive, plural or linking -s (berekening-s: calculation, not berekenen's stem), in a
        language where -s marks no passive."""
        base = word[:-1]
        if self.lang not in _S_NOT_PASSIVE or len(word) <= MIN_PART or not word.endswith("s") or base not in self.words:
            return None
        found = self._direct(base)
        # A noun whose plural is its -s form (onderhandelaar-s: negotiators), not a linking one (berekening-s-stack).
        return self._as_plural(word, found, _LEMMA_PLURAL, exact=True) if base.endswith(_S_PLURAL_NOUNS) else found

    def _genitive(self, word: str) -> WordGloss | None:
        """A genitive or plural -s on a form the dictionaries know otherwise (programmets, netværks, correcties)."""
        if len(word) <= MIN_PART or not word.endswith("s"):
            return None
        base = word[:-1]
        return self._direct(base) or self._english_lemma(base) or self._stemmed(base) or self._inflected(base)

    def _negated(self, word: str) -> WordGloss | None:
        """A word with the negating prefix (u-stabil, o-stabil, on-geldig) glossed with English un- or in- (im-, il-,
        ir-) where English has that word (unstable, invalid; not unpossible)."""
        prefix = _NEGATION.get(self.lang, "")
        # A word English lists whole is no negation (Dutch online: on-line, not inline).
        if not prefix or not word.startswith(prefix) or len(word) - len(prefix) < MIN_PART or word in self.english:
            return None
        found = self._unprefixed(word[len(prefix):])
        negated = [n for t in found.gloss.split(", ") if (n := negation(t))] if found else []
        return WordGloss(f"{prefix}+{found.form}", negated[0], found.source, "negation") if negated else None

    def _unprefixed(self, rest: str) -> WordGloss | None:
        """What a word means without its negating prefix, its participles as English past forms (u-brugt: used), or
        None; not a compound, whose parts a prefix does not negate."""
        found = self.lookup(rest) if len(rest) >= MIN_PART else None
        return found if found is not None and found.via != "compound" else None

    def _as_negation(self, word: str, found: WordGloss | None) -> WordGloss | None:
        """A listed word with the negating prefix reads first as the sense that negates what the word without it means,
        where it has one (ugyldig: invalid, not void; uavhengig: independent, not unrelated)."""
        prefix = _NEGATION.get(self.lang, "")
        if found is None or not found.senses or found.via not in ("word", "lemma") or not prefix \
                or not word.startswith(prefix):
            return found
        base = self._unprefixed(word[len(prefix):])
        wanted = {n for sense in (base.gloss, *base.senses) for t in sense.split(", ") if (n := negation(t))} \
            if base else set()
        senses = (found.gloss, *found.senses)
        best = next((i for i, sense in enumerate(senses) if wanted & {t.casefold() for t in sense.split(", ")}), 0)
        return replace(found, gloss=senses[best], senses=senses[:best] + senses[best + 1:]) if best else found

    def _as_participle(self, word: str, found: WordGloss | None) -> WordGloss | None:
        """A past form of a verb glossed with the English past form, where English makes it regularly and uses it
        (förberedd -> prepared, geselecteerd -> selected; grown stays grow)."""
        infinitive, endings = _PAST.get(self.lang, ("", ()))
        lemma = self.lemmas.get(word, "")
        if found is None or found.via not in ("lemma", "cognate") or not endings \
                or not (lemma.endswith(infinitive) or found.form.endswith(infinitive)) \
                or not (word.endswith(endings) or self.lang == "nl" and _NL_PARTICIPLE.match(word)) \
                or word.endswith(("ande", "ende")):
            return found
        past = [past_form(t) for t in found.gloss.split(", ")]
        if not any(past):
            return found
        return WordGloss(found.form, ", ".join(p or t for p, t in zip(past, found.gloss.split(", "))), found.source,
                         found.via, found.senses)

    def _as_present(self, word: str, found: WordGloss | None) -> WordGloss | None:
        """A present participle found by its verb glossed with the English -ing form (volgende: following, not
        follow; matchande: matching; fungerende: functioning), where English uses it; one the dictionaries list
        as a word keeps its own gloss (betydande: important)."""
        endings = _PRESENT_PARTICIPLE.get(self.lang, ())
        if found is None or found.via == "word" or not any(
                word.endswith(ending) and word[:len(word) - len(ending)] + infinitive == found.form
                and found.form.endswith(verb_ends) for ending, infinitive, verb_ends in endings):
            return found
        shown = [_progressive(t) for t in found.gloss.split(", ")]
        if not any(shown):
            return found
        return WordGloss(found.form, ", ".join(dict.fromkeys(g for g in shown if g)), found.source, found.via,
                         found.senses)

    def _as_agent(self, word: str, found: WordGloss | None, head: bool = False) -> WordGloss | None:
        """A noun of the one who does what a verb says, glossed with the English agent noun where English uses it
        (ontwikkel-aars: developers; bruk-ere: users; utveckl-are: developer), not with the verb it was found by. A
        compound's `head` is a noun, so its -er is the agent's, never the present tense (skjerm+les-er: screen
        reader; pakke+håndter-er: package manager)."""
        infinitive, _ = _PAST.get(self.lang, ("", ()))
        endings = (*_AGENT.get(self.lang, ()), *(_HEAD_AGENT.get(self.lang, ()) if head else ()))
        # Not a form the lemma list gives the verb (or a noun spelt like it: pakke-rne, the packages), unless a head.
        if found is None or found.via not in (("stem", "inflection", "lemma") if head else ("stem", "inflection")) \
                or not found.form.endswith(infinitive) \
                or not any(word.endswith(e) and word[:len(word) - len(e)] + infinitive == found.form for e in endings):
            return found
        # A head's first sense English has an agent noun for (behandl-er: handle, handler; treat has none).
        sure = word.endswith(_SURE_AGENT.get(self.lang, ()))
        plural = word.endswith(_PLURAL_AGENT.get(self.lang, ()))
        for sense in (found.gloss, *found.senses) if head else (found.gloss,):
            if agents := [a for t in sense.split(", ") if (a := _agent(t, sure))]:
                agents = [_plural(a) or a for a in agents] if plural else agents
                return WordGloss(found.form, ", ".join(agents), found.source, found.via)
        return found

    def _as_plural(self, word: str, found: WordGloss | None, endings: dict[str, tuple[str, ...]],
                   exact: bool = False) -> WordGloss | None:
        """A noun's plural (kupong-er: coupons; begränsning-arna: limits) glossed with the English plural, where the
        word is its dictionary form with one of the language's plural `endings` (the form's last vowel may give way,
        unless `exact`)."""
        if found is None or found.via not in ("word", "lemma", "stem", "inflection", "cognate") or word == found.form:
            return found
        stems = (found.form, *_contracted(found.form, self.lang), *(() if exact else (found.form[:-1],)))
        if not any(len(word) > len(e) and word.endswith(e) and word[:-len(e)] in stems
                   and (e not in _AFTER_E or found.form.endswith("e") and found.via in ("word", "lemma", "stem"))
                   for e in endings.get(self.lang, ())):
            return found
        plurals = [p for t in found.gloss.split(", ") if (p := _plural(t))]
        return replace(found, gloss=", ".join(plurals)) if plurals else found

    def _prefixed(self, word: str, prefixes: dict[str, str | None]) -> WordGloss | None:
        """A word no other route knows, made of a prefix every language borrowed from Latin or Greek (a key of
        `prefixes` mapped to None), or its own prefix of doing again (mapped to English re-), and a known word
        (co+auteur: coauthor; pre+configuratie: pre-configuration; om+definiera: redefine), glossed with the English
        prefix."""
        native = {prefix: english for prefix, english in prefixes.items() if english is not None}
        for prefix in prefixes:
            rest = word[len(prefix):]
            if not word.startswith(prefix) or len(rest) < _MIN_PREFIXED_REST:
                continue
            found = self.lookup(rest, split=False)
            if found is None:
                continue
            # Own prefixes join a word's first sense only: later ones drift (her+groeperen: resection).
            senses = (found.gloss,) if prefix in native else (found.gloss, *found.senses)
            words = [t for sense in senses for t in sense.split(", ") if t.isalpha() and t.islower()]
            # The first translation English writes with the prefix (coauthor; co-production's coproduction, not
            # cogeneration), else a long rest's first, a learned prefix hyphenated.
            english = native.get(prefix, prefix)
            # re- before a short word has often drifted from doing again (re+place: replace, for om+placera).
            joined = next((english + t for t in words if zipf(english + t) >= _MIN_PREFIXED_ZIPF
                           and (prefix not in native or len(t) >= _MIN_PREFIXED_REST)), None)
            if joined is None and words and len(rest) >= _MIN_COINED_REST and prefix not in native:
                joined = f"{prefix}-{words[0]}"
            if joined is not None:
                return WordGloss(found.form, joined, found.source, "compound")
        return None

    def _action(self, word: str) -> WordGloss | None:
        """A noun of the action a listed verb names, glossed with the English -ing form where English uses it
        (uppackning: unpacking; navngivning: naming), not split at its ending into a homograph (unpack + ing)."""
        if word.endswith("ering") and self._english(word, loans=False) is not None:
            return None  # a loan verb's noun: English has its own (installering: installation, see `_gerund`)
        infinitive, _ = _PAST.get(self.lang, ("", ()))
        for ending in _ACTION.get(self.lang, ()):
            stem = word[:len(word) - len(ending)]
            if not word.endswith(ending) or len(stem) < _MIN_ACTION_STEM:
                continue
            # Danish and Norwegian write a short vowel's consonant once before -ning (luk-ning: lukke, not luke):
            # of the verbs it may be, the commoner.
            found = []
            for verb in dict.fromkeys((stem + infinitive, stem + stem[-1] + infinitive)):
                entry = self._direct(verb) if len(verb) >= MIN_PART else None
                actions = [a for t in entry.gloss.split(", ") if (a := _action_noun(t))] if entry else []
                if actions:
                    found.append((zipf_in(verb, self.lang), entry, actions))
            if found:
                _, entry, actions = max(found, key=lambda f: f[0])
                return WordGloss(entry.form, ", ".join(actions), entry.source, "inflection")
        return None

    def _loanword(self, word: str, loans: bool = True) -> WordGloss | None:
        for base in loan_spellings(word):
            for ending, english in UNLISTED_LOAN_SPELLINGS:
                for inflected in ("", "en", "er", "et", "erna", "ar", "a", "e", "s", "t"):
                    tail = ending + inflected
                    root = base[:len(base) - len(tail)]
                    if not base.endswith(tail) or len(root) < 3:
                        continue
                    # English may double the root's last consonant (succes-vol: successful).
                    for candidate in dict.fromkeys((root + english, root + root[-1] + english)):
                        if candidate in self.english and zipf(candidate) >= _MIN_COGNATE_ZIPF:
                            return WordGloss(candidate, candidate, ENGLISH, "english")
            if (gerund := self._gerund(base)) is not None:
                return WordGloss(gerund, gerund, ENGLISH, "english")
        if not loans:
            return None
        stems = self._english_stems()
        for ending in _LOAN_ENDINGS:
            root = word[:len(word) - len(ending)]
            if not word.endswith(ending) or len(root) < _MIN_LOAN_ROOT:
                continue
            for candidate in dict.fromkeys((root, root.replace("k", "c"), root + "l" if ending == "el" else root)):
                english = stems.get(candidate) or (stems.get(candidate[:-2] + "le") if ending == "el" else None)
                if english and zipf(english) >= _MIN_COGNATE_ZIPF:
                    return WordGloss(english, english, ENGLISH, "english")
        return None

    def _gerund(self, word: str) -> str | None:
        """The English -ing form of a loan verb's noun in -ering where English has no -ation for it (partitionering,
        partisjonering: partitioning; formatering: formatting), or None."""
        for inflected in _GERUND_INFLECTIONS:
            tail = "ering" + inflected
            root = word[:len(word) - len(tail)].replace("sjon", "tion")
            if not word.endswith(tail) or len(root) < MIN_PART or root not in self.english:
                continue
            for gerund in (root + "ing", root + root[-1] + "ing"):
                if zipf(gerund) >= _MIN_GERUND_ZIPF:
                    return gerund
        return None

    def _english_stems(self) -> dict[str, str]:
        if not self.english_stems and self.english:
            snowball, found = stemmer("en"), {}
            for w, n in sorted(self.english.items(), key=lambda x: -x[1]):
                if len(w) >= _MIN_LOAN_ROOT:
                    found.setdefault(snowball.stemWord(w), w)
            self.english_stems.update(found)  # whole, in one step: a thread reading it never sees part of it
        return self.english_stems

    def _compound(self, word: str, depth: int, loose: bool = False, software: bool = True) -> WordGloss | None:
        """A compound of two known parts, or None; `loose`, the last resort, also takes short parts and parts that
        only sister languages know (see `_piece`)."""
        if depth == 0 or len(word) < _MIN_PARTICLE_COMPOUND:
            return None
        if len(word) < _MIN_COMPOUND:
            return self._particle_compound(word, loose)
        least = _SHORT_PART if loose else MIN_PART
        # Longest known head first: the head carries the meaning, the modifier narrows it.
        for cut in range(least, len(word) - least + 1):
            # A noun's ending (uppack-ning) is no head, whatever word it spells (ing: meadow); a function word that is
            # also a noun's definite form is that noun (tilbuds+siden: offer side, not since).
            piece = word[cut:]
            # A noun of these endings joins its head with a linking -s, which is no head's first letter
            # (henvisnings+målet: the target; not henvisning+smålet, chuckled).
            if piece[0] == "s" and word[:cut].endswith(_S_LINKED.get(self.lang, ())) and len(piece) > least:
                continue
            # A head may itself join a particle to a word as English does (kerne+op-start: kernel startup). An
            # inflected head the language's list of common forms glosses is read so (udvalgs+listen: list, not
            # cunning; spiegelserver+instellingen: settings, not institutions), as is a plural of a noun it lists
            # that no dictionary does (partitions+opsætninger: setups, not partitionsop+sætninger).
            ending = piece in _ACTION.get(self.lang, ()) or piece in _RING and word[cut - 1] == "e"
            head = None if ending else (
                ((is_stopword(piece, self.lang) or piece in self.function_words) and self._definite_noun(piece))
                or self._common(piece) or self._piece(piece, loose) or self._common_inflected(piece)
                or self._english_head(piece) or self._particle_compound(piece, loose))
            # A stem cut to a syllable (ingene -> ing) is no part; a short word listed as written may be (mur, wall);
            # a suffix the dictionary lists (baar: -able) is no head.
            if head is None or len(head.form) < (least if head.via in ("word", "lemma") else MIN_PART) \
                    or head.gloss.startswith(_SUFFIX_MARKS):
                continue
            # A verb's past form as head makes the compound an adjective (användar+definierad: user-defined).
            past = self._past_head(word[cut:], head)
            participle = past is not None
            if past is not None:
                head = past
            else:
                agent = self._as_agent(word[cut:], head, head=True)
                head = self._as_plural(word[cut:], head, _PLURAL) if agent is head else agent
            # Where the part is listed both ways, the dropped consonant is likelier (stopp+punkt, not stop: pitcher).
            modifier = self._elided(word, cut) or self._modifier(word[:cut], depth, loose, software)
            # Function words run together are a word of their own (eftersom: because; nedenfor: below), never the
            # sum of their senses (after who, below to).
            if modifier is not None and not (is_stopword(modifier.form, self.lang)
                                             and is_stopword(head.form, self.lang)):
                if participle:
                    return self._participial(word, cut, modifier, head, software)
                parts = self._in_register(word, cut, modifier, head, software)
                closed = _closed(parts)
                return WordGloss(f"{modifier.form}+{head.form}", closed or " ".join(parts), head.source, "compound",
                                 parts=() if closed else parts)
        return self._particle_compound(word, loose)

    def _past_head(self, piece: str, head: WordGloss) -> WordGloss | None:
        """A compound's head glossed as the English past form where it is a verb's (definiera-d: defined), else None:
        its first sense must take the past form (styre-t, the steering, is no participle)."""
        past = self._as_participle(piece, head)
        if _first(past.gloss) != _first(head.gloss):
            return past
        _, endings = _PAST.get(self.lang, ("", ()))
        written_past = piece.endswith(tuple(e for e in endings if len(e) > 1)) \
            or self.lang == "nl" and _NL_PARTICIPLE.match(piece) is not None
        first = _first(head.gloss)
        # Listed as a past form already (gedefinieerd: defined): an English past of a verb English uses.
        if written_past and head.via != "compound" and first.endswith("ed") \
                and any(past_form(first[:-n]) == first and zipf(first[:-n]) >= _MIN_PAST_ZIPF for n in (1, 2)):
            return head
        return None

    def _participial(self, word: str, cut: int, modifier: WordGloss, past: WordGloss, software: bool) -> WordGloss:
        """A compound whose head is a verb's past form, as English writes such an adjective: hyphenated (användar+
        definierad: user-defined; dator+stödd: computer-supported), a modifier meaning before as pre- (för+installerad:
        preinstalled; voor+gedefinieerd: predefined)."""
        participle = _first(past.gloss)
        if modifier.form in _BEFORE.get(self.lang, ()):
            joined = "pre" + participle
            gloss = joined if zipf(joined) >= _MIN_PREFIXED_ZIPF else f"pre-{participle}"
        elif len(parts := self._in_register(word, cut, modifier, past, software)) == 1:
            gloss = parts[0]  # a listed prefix joined the head already (förhand+s: pre-installed)
        else:
            gloss = f"{' '.join(parts[:-1])}-{participle}"
        return WordGloss(f"{modifier.form}+{past.form}", gloss, past.source, "compound")

    def _in_register(self, word: str, cut: int, modifier: WordGloss, head: WordGloss,
                     software: bool = True) -> tuple[str, ...]:
        """A compound's parts as glossed; where either part marks it a computing term (see wordlists.py), or, in
        `software` text or alone, its head is listed and general text has no use for the compound, each part the
        register lists takes its computing sense (rod+partition: root partition; höger+sidorna: right pages), and not
        otherwise (kerne+værdier: core values; kärn+element in a business article)."""
        pieces = ((word[:cut], modifier), (word[cut:], head))
        forms = [self._register_forms(piece, found) for piece, found in pieces]
        senses = [next((self.register.senses[form][0] for form in spellings if form in self.register.senses), None)
                  for spellings in forms]
        marked = any(form in self.register.markers for spellings in forms for form in spellings)
        listed = senses[1] is not None
        if not marked and not (software and listed and zipf_in(word, self.lang) < _MAX_REGISTER_ZIPF):
            return self._attested((*_singular_modifier(_parts(modifier, self.lang)), *_parts(head, self.lang)),
                                  modifier, head)
        parts: list[str] = []
        for position, ((_, found), sense) in enumerate(zip(pieces, senses)):
            prefix_last = sense is not None and sense.endswith("-") and position == 1  # no prefix is a head
            own = (_as_part(sense),) if sense and not prefix_last else _parts(found, self.lang)
            parts.extend(_singular_modifier(own) if position == 0 else own)
        # A prefix (under: sub-; forhånd: pre-) joins the part after it (sub-architecture).
        if len(parts) > 1 and parts[0].endswith("-"):
            parts[:2] = [parts[0] + parts[1]]
        return tuple(parts)

    def _attested(self, parts: tuple[str, ...], modifier: WordGloss, head: WordGloss) -> tuple[str, ...]:
        """A two-part compound's parts as an English compound the dictionaries write, where the parts' first senses
        make none and later ones do (kassa+register: cash register, not money box register): the earliest senses
        that do, the head in the number it had."""
        # Only parts the dictionaries list as written or inflected: a guessed stem's other senses are guesses on a
        # guess (naam+geving: not call state), and a particle before a word (inne+sluta) makes no compound noun.
        if len(parts) != 2 or not self.english_phrases or modifier.via not in _RESENSED or head.via not in _RESENSED \
                or is_stopword(modifier.form, self.lang) or modifier.form in self.function_words:
            return parts
        singular = _singular(parts[1])
        if f"{parts[0]} {singular or parts[1]}".casefold() in self.english_phrases:
            return parts
        modifiers, heads = _translations(modifier), _translations(head)
        found = min(((i + j, i, m, h) for i, m in enumerate(modifiers) for j, h in enumerate(heads)
                     if f"{m} {h}" in self.english_phrases), default=None)
        if found is None:
            return parts
        _, _, m, h = found
        return m, (_plural(h) or h) if singular else h

    @staticmethod
    def _register_forms(piece: str, found: WordGloss) -> tuple[str, ...]:
        """How a compound's part may be listed: as written there, without a linking letter, or as the word it spells
        (netværk-sservere: servere); not as a lemma or stem it was matched to, which may be another word (Norwegian
        servering-s, serving: not servere, servers)."""
        spelt = (found.form,) if found.via in ("word", "cognate") else ()
        return (piece, *(piece[:-len(link)] for link in _LINKS[1:] if piece.endswith(link)), *spelt)

    def _elided(self, word: str, cut: int) -> WordGloss | None:
        """A modifier listed with the third like consonant Swedish and Norwegian drop where parts meet (kontrol-linje:
        kontroll, control; not kontra)."""
        letter = word[cut]
        whole = word[:cut] + letter
        return self._entry(whole, "word") if self.lang in _ELIDING and word[cut - 1] == letter \
            and letter not in VOWELS and whole in self.words else None

    def _particle_compound(self, word: str, loose: bool) -> WordGloss | None:
        """A compound of a short particle and a known word where English writes them as one word, the particle last
        (Danish and Dutch op+start: startup, ud+put: output); shorter than any other part, a particle is taken only so,
        lest it split a word at a syllable."""
        for cut in range(2, MIN_PART):
            particle = self._entry(word[:cut], "word") if word[:cut] in self.words else None
            english = _first(particle.gloss) if particle else ""
            if english not in _PARTICLES or len(word) - cut < MIN_PART:
                continue
            head = self._piece(word[cut:], loose)
            closed = _closed((english, _part(head, self.lang))) if head is not None else None
            if closed:
                return WordGloss(f"{particle.form}+{head.form}", closed, head.source, "compound")
        return None

    def _modifier(self, part: str, depth: int, loose: bool, software: bool = True) -> WordGloss | None:
        # A part listed as written (referens-server) is itself, not a shorter word before a linking letter (referen-s).
        if part in self.words:
            return self._entry(part, "word")
        # A modifier is a noun: a verb's -er form is the one who does it (bruger+tilpassede: user, not use).
        if (lemma := self.lemmas.get(part)) in self.words and len(lemma) >= MIN_PART:
            verb = self._entry(lemma, "lemma")
            if (agent := self._as_agent(part, verb, head=True)) is not verb:
                return agent
        # Swedish joins a noun in -a with -u or -o (programvaru-rörelsen, kvinno-): the noun is the modifier.
        if self.lang == "sv" and part.endswith(("u", "o")) and part[:-1] + "a" in self.words:
            return self._entry(part[:-1] + "a", "word")
        # A linking letter before the bare part: installation-s-trin, not the plural installations.
        for link in (*_LINKS[1:], ""):
            if link and not part.endswith(link):
                continue
            stem = part[:len(part) - len(link)]
            if len(stem) < MIN_PART:
                continue
            # A modifier may be an English loan before a linking s (installation-s-trin: installation + step), or
            # an English word in common use without one (root-brugeren, mailing-lijst); not a rare one, which
            # cuts a learned word's ending (digitaliser-ingen) into a word (ring).
            english = link == "s" or zipf(stem) >= _MIN_ENGLISH_MODIFIER_ZIPF
            # Spelt as English writes it, before a guessed stem of a homograph (mailing-lijst, not mailen: email);
            # a short one is as often a native word's start (hers-en-spoeling).
            found = (english and len(stem) >= _MIN_ENGLISH_PART and not self._direct(stem) and self._english_word(stem)
                     or self._piece(stem, loose) or english and self._english(stem, loans=False)
                     or self._compound(stem, depth - 1, loose, software))
            if found is not None and len(found.form) >= MIN_PART:
                return found
        return None

    def to_data(self) -> dict:
        """The lexicon as cached on disk (without the shared English vocabulary): one string per spelling, tuples.

        JSON read back gave every occurrence of a word its own string and every entry two lists, a third more of
        the memory every server worker holds (German alone: 224 MB against 149)."""
        pool: dict[str, str] = {}
        one = pool.setdefault  # one(s, s): the first string seen that equals s

        def entries(table: dict[str, list]) -> dict[str, tuple[tuple[str, ...], int]]:
            return {one(form, form): (tuple(one(s, s) for s in senses), source) for form, (senses, source) in table.items()}

        def forms(table: dict[str, str]) -> dict[str, str]:
            return {one(key, key): one(value, value) for key, value in table.items()}

        return {"lang": self.lang, "sources": list(self.sources), "words": entries(self.words),
                "stems": forms(self.stems), "cognates": entries(self.cognates), "lemmas": forms(self.lemmas)}

    @classmethod
    def from_data(cls, data: dict, english: dict[str, int] | None = None,
                  english_stems: dict[str, str] | None = None) -> "Lexicon":
        """Read what `to_data` wrote; `english` and `english_stems` are shared with the other lexicons."""
        return cls(data["lang"], data["sources"], data["words"], data["stems"], english or {}, data["cognates"],
                   data["lemmas"], {} if english_stems is None else english_stems)


def past_form(translation: str) -> str | None:
    """The regular English past form of a one-word translation, if English uses it (prepare -> prepared)."""
    if not translation.isalpha() or not translation.islower():
        return None
    stem = translation[:-1] + "i" if translation.endswith("y") and translation[-2:-1] not in "aeiou" else translation
    past = stem + ("d" if stem.endswith("e") else "ed")
    return past if zipf(past) >= _MIN_PAST_ZIPF else None


def negation(translation: str) -> str | None:
    """The English negation of a one-word translation where English uses it (valid: invalid; used: unused), or None."""
    if not translation.isalpha() or not translation.islower():
        return None
    found = max(((zipf(prefix + translation), prefix + translation) for prefix in _ENGLISH_NEGATIONS))
    return found[1] if found[0] >= _MIN_NEGATED_ZIPF else None


def _closed(parts: tuple[str, ...]) -> str | None:
    """The one English word two parts make where English writes them as one (arbejds+station: workstation), a
    particle last where English puts it there (opp+start: startup; inn+logging: login), else None: the parts are then
    written apart, as English writes its compound nouns (kund+lojalitet: customer loyalty)."""
    if len(parts) != 2:
        return None
    words = [w for w in ("".join(parts), parts[1] + parts[0] if parts[0] in _PARTICLES else "")
             if w.isalpha() and zipf(w) >= _MIN_CLOSED_ZIPF]
    return max(words, key=zipf, default=None)  # the commoner: startup, not upstart


def _parts(found: WordGloss, lang: str) -> tuple[str, ...]:
    """A compound part's glosses: a compound modifier's own parts (nollmodem+kabel: zero, modem, cable), else one."""
    return found.parts or (_part(found, lang),)


def _translations(found: WordGloss, first: int = 6) -> list[str]:
    """A compound part's first one-word translations over all its senses, best first, singular and casefolded."""
    out: list[str] = []
    for sense in (found.gloss, *found.senses):
        for t in sense.split(", "):
            t = _as_part(t.casefold())
            t = _singular(t) or t
            if t.isalpha() and t not in out:
                out.append(t)
    return out[:first]


def _contracted(noun: str, lang: str) -> tuple[str, ...]:
    """A Nordic noun in unstressed -el, -er or -en as its plural ending follows it: the -e- dropped, a doubled
    consonant before it single (eksempel: eksempl-er; hjelpemiddel: hjelpemidl-er; nyckel: nyckl-ar)."""
    if lang not in _CONTRACTING or len(noun) < MIN_PART or not noun.endswith(("el", "er", "en")) \
            or noun[-3] in VOWELS:
        return ()
    stem = noun[:-3] if noun[-3] == noun[-4] else noun[:-2]
    return (stem + noun[-1],)


def _plural(noun: str) -> str | None:
    """The English plural of a translation's last word, if English uses it (coupon -> coupons; boot loader -> boot
    loaders; policy -> policies; not money -> moneys)."""
    head, _, last = noun.rpartition(" ")
    if not last.isalpha() or not last.islower() or last.endswith("s") or is_stopword(last, "en"):  # wrap up
        return None
    plural = (last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou"
              else last + "es" if last.endswith(("x", "ch", "sh")) else last + "s")
    common = zipf(plural) >= max(_MIN_PLURAL_ZIPF, zipf(last) - _MAX_PLURAL_DROP)
    return f"{head} {plural}".lstrip() if common else None


@functools.cache
def _noun_endings(lang: str) -> tuple[tuple[str, bool, bool], ...]:
    """A language's plural and definite endings of nouns, shortest first: (ending, plural, only after -er)."""
    endings = [(e, plural, table is _ER_PLURAL) for plural, table in ((True, _DEFINITE_PLURAL), (True, _PLURAL),
                                                                       (True, _ER_PLURAL), (False, _DEFINITE))
               for e in table.get(lang, ())]
    return tuple(sorted(endings, key=lambda x: len(x[0])))


def _singular(noun: str) -> str | None:
    """The English singular of a translation whose last word is a plural English uses (users -> user; policies ->
    policy; glasses -> glass; crises -> crisis; not news, status or series), or None: the commonest form the
    plural's ending may come from, as common as the plural or nearly, and no function word (theses: not these)."""
    head, _, last = noun.rpartition(" ")
    if not last.isalpha() or not last.islower() or last.endswith(("ss", "us", "is", "ews", "ics")):
        return None
    candidates = [last[:-len(ending)] + base for ending, base in (("ies", "y"), ("ses", "sis"), ("es", ""), ("s", ""))
                  if last.endswith(ending)]  # crises: crisis
    least = max(_MIN_PLURAL_ZIPF, zipf(last) - _MAX_PLURAL_DROP)
    best = max((c for c in candidates if len(c) > 2 and zipf(c) >= least and not is_stopword(c, "en")), key=zipf,
               default=None)
    return f"{head} {best}".lstrip() if best else None


def _singular_modifier(parts: tuple[str, ...]) -> tuple[str, ...]:
    """A compound modifier's glosses with its last in the singular, as English compounds write it (gebruikers+
    programma, kleuren+instelling: user program, colour setting)."""
    return (*parts[:-1], _singular(parts[-1]) or parts[-1]) if parts else parts


def _agent(verb: str, sure: bool = False) -> str | None:
    """The English agent noun of a one-word verb, if English uses it (develop -> developer, supply -> supplier); where
    the word's ending is `sure` to be an agent's, a rarer one too, spelt as English spells it most (cutter, not
    cuter; planner)."""
    if not verb.isalpha() or not verb.islower():
        return None
    stem = verb[:-1] if verb.endswith("e") else verb
    candidates = (stem + "er", stem[:-1] + "ier" if verb.endswith("y") else "",
                  stem + "or" if verb.endswith("ate") else "")
    if sure:  # only then a doubled consonant: a compound's plural head read as an agent gave bitter (stykk-er)
        return commonest([c for c in (*candidates, verb + verb[-1] + "er") if c], _MIN_SURE_AGENT_ZIPF)
    return next((c for c in candidates if c and zipf(c) >= _MIN_AGENT_ZIPF), None)


def _action_noun(verb: str) -> str | None:
    """The English -ing form of a one-word verb, if English uses it (unpack -> unpacking, name -> naming)."""
    if not verb.isalpha() or not verb.islower():
        return None
    # The commonest spelling English uses: mak-ing, be-ing (not bing), run-n-ing, see-ing.
    candidates = {verb[:-1] + "ing" if verb.endswith("e") and not verb.endswith("ee") else verb + "ing",
                  verb + "ing", verb + verb[-1] + "ing"}
    return commonest(sorted(candidates), _MIN_GERUND_ZIPF)


def _progressive(translation: str) -> str | None:
    """A verb's translation in its -ing form, a phrase's first word so (be different: being different), or None."""
    first, _, rest = translation.partition(" ")
    ing = _action_noun(first)
    return None if ing is None else f"{ing} {rest}".rstrip()


def _first(gloss: str) -> str:
    return gloss.split(", ", 1)[0]


def _as_part(sense: str) -> str:
    """A listed sense as a compound's part: without an article (partitionen: the partition)."""
    return sense.removeprefix("the ")


def _part(found: WordGloss, lang: str) -> str:
    """How a compound's part is glossed: by the English word it was borrowed from where one of its senses is that
    word (commando-regel-optie: command + line + option, not choice), since compounds coin technical terms from
    loans; else, and for a function word (over, for), by its first translation."""
    if found.via == "compound":
        return found.gloss
    if is_stopword(found.form, lang):
        return _first(found.gloss)
    loans = english_spellings(found.form)
    # A definite form's sense (beskeden: the message) names a part without its article. The loan is an English word
    # in use, or commoner in English than in the part's language: valuta is currency, not the rare valuta.
    return next((t for sense in (found.gloss, *found.senses) for t in sense.split(", ") if t.casefold() in loans
                 and (zipf(t) >= _MIN_LOAN_PART_ZIPF or zipf(t) > zipf_in(found.form, lang))),
                _as_part(_first(found.gloss)))


