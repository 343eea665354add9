"""Gloss a passage for a reader: concept terms in the reader's language, idioms and content words from FreeDict."""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from ..concepts.catalogue import Catalogue, Concept
from ..concepts.text import TermSpotter, fold
from ..errors import InvalidQuery
from ..lexical import stemmer
from .cues import read
from .lexicon import COMMON_WORDS, ENGLISH, FUNCTION_WORDS, Lexicon, WordGloss
from .lexicons import Lexicons
from .stopwords import is_stopword
from .wordclass import word_classes

# Reader languages: every concept has labels in these; dictionary glosses are English for all of them.
READER_LANGUAGES = ("en", "de", "fr")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_LETTERS = 2
_BRITISH = re.compile(r"is(e|ed|es|ing|ation|ations)$")
_MIN_ROOT = 4  # a shorter English stem is the start of too many unrelated ones (car: care, card, cargo)
_MAX_PHRASE = 5  # words: the dictionaries' longer entries are sentences, not phrases a passage repeats
# How long one request may spend splitting words no dictionary lists into compounds: a text of long made-up words
# costs up to tens of milliseconds a word (19 s for a page of them); past it, such words keep no gloss.
SPLIT_BUDGET_S = 1.0
# The share of a corpus's passages in a language that name a computing term from which its words are read as
# software text reads them, passages that name none and words looked up alone included (see `software_languages`).
SOFTWARE_SHARE = 0.2
# Characters a pasted term carries without showing them: soft hyphen, zero-width and direction marks, byte-order mark.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
# Words of English quoted in a passage (a book's title, a command's description) run this long at least; fewer may
# be a passage-language phrase whose words English shares.
_MIN_ENGLISH_RUN = 3
_CLAUSE_BREAK = re.compile(r"[.!?:;\n]")
_SENTENCE_END = ".!?:;\"'«»“”‘’(-–—•*#\n"


@dataclass(frozen=True)
class Gloss:
    """A glossed span of a passage: text[start:end] == term."""

    start: int
    end: int
    term: str
    gloss: str
    # "concept:<id>", "freedict:<dictionary>", "function-words" or "common-words" (the language's lists of them, see
    # wordlists.py) or "english" (the word is English already)
    source: str
    lang: str  # language of the gloss text
    senses: tuple[str, ...] = ()  # the dictionary's other senses, best first
    parts: tuple[str, ...] = ()  # a compound's parts as glossed, modifier first (the gloss writes them apart)

    def to_dict(self) -> dict:
        """The JSON shape of the API."""
        return {"start": self.start, "end": self.end, "term": self.term, "gloss": self.gloss, "source": self.source,
                "lang": self.lang, "senses": list(self.senses), "parts": list(self.parts)}


def check_reader(reader: str, name: str = "glosses") -> str:
    """A supported reader language code; `InvalidQuery` (naming the parameter `name`) otherwise."""
    code = (reader or "").strip().lower()
    if code not in READER_LANGUAGES:
        raise InvalidQuery(f"{name} must be one of {', '.join(READER_LANGUAGES)}")
    return code


def content_words(text: str, lang: str) -> list[re.Match]:
    """Alphabetic tokens of two or more letters that are not function words of the passage language."""
    return [m for m in _WORD.finditer(text)
            if len(m.group()) >= _MIN_LETTERS and not is_stopword(m.group().casefold(), lang)]


def names_computing_terms(words: list[re.Match], lexicon: Lexicon) -> bool:
    """Whether a passage is software text: one of its content `words` marks computing terms (see wordlists.py:
    partition, server)."""
    markers = lexicon.register.markers
    return any(match.group().casefold() in markers for match in words)


def software_languages(passages: Iterable[tuple[str, str]], lexicons: Lexicons) -> frozenset[str]:
    """The languages whose (lang, text) `passages` read as software text: at least `SOFTWARE_SHARE` of them name a
    computing term (a help page or manual names one in a third to a half of its passages, a business article in
    under a tenth)."""
    named: dict[str, list[int]] = {}
    for lang, text in passages:
        lexicon = lexicons.get(lang) if lang != "en" else None
        if lexicon is not None:
            counts = named.setdefault(lang, [0, 0])
            counts[0] += names_computing_terms(content_words(text, lang), lexicon)
            counts[1] += 1
    return frozenset(lang for lang, (software, total) in named.items() if software >= SOFTWARE_SHARE * total)


def split_deadline() -> float:
    """The moment (`time.monotonic`) after which a request's glossing stops splitting unknown words."""
    return time.monotonic() + SPLIT_BUDGET_S


def gloss_text(text: str, lang: str, reader: str, catalogue: Catalogue, lexicons: Lexicons,
               deadline: float | None = None, software: bool = False) -> list[Gloss]:
    """Glosses of a passage in `lang` for a reader of `reader`, in text order, never overlapping.

    Concept labels and aliases come first (longest match), glossed with the concept's label in the reader's
    language; then idioms the dictionary lists (see `_idiom`); every other content word gets its dictionary gloss
    into English where one is found. Software text (the passage names a computing term, see
    `names_computing_terms`, or `software`: its corpus reads so) takes the computing register's senses first, a
    compound's parts included. After `deadline` (see `split_deadline`), unknown words are no longer split into
    compounds.
    """
    glosses = []
    lexicon = lexicons.get(lang) if lang != "en" else None
    for occ in TermSpotter.for_catalogue(catalogue).find(text):
        concept_id = next(cid for cid in catalogue.concepts if cid in occ.concept_ids)
        concept = catalogue.get(concept_id)
        gloss_lang = reader if reader in concept.labels else "en"
        term = text[occ.start:occ.end]
        # The name depends on the term's words and the concept's English names only: the same on every page.
        english = _english_name(term, concept, lexicon) if lexicon is None else lexicon.remembered(
            ("concept name", term, concept.labels["en"], tuple(concept.aliases.get("en", ()))),
            lambda: _english_name(term, concept, lexicon))
        if english is not None:
            gloss = english if gloss_lang == "en" else concept.labels[gloss_lang]
            glosses.append(Gloss(occ.start, occ.end, term, gloss, f"concept:{concept_id}", gloss_lang))
    taken = [(g.start, g.end) for g in glosses]
    if lexicon is not None:
        english = _english_runs(text, lexicon)
        words = content_words(text, lang)
        software = software or names_computing_terms(words, lexicon)
        glosses.extend(_phrases(text, lang, lexicon, taken + english))
        taken = [(g.start, g.end) for g in glosses]
        for match in words:
            if any(start <= match.start() < end for start, end in taken) or _is_name(text, match, lang) \
                    and not (software and _interface_word(match.group(), lexicon)):
                continue
            if any(start <= match.start() < end for start, end in english):  # English as written, as lone ones are
                word = match.group().casefold()
                as_written = WordGloss(word, word, ENGLISH, "english")
                glosses.append(_dictionary_gloss(match.group(), match.start(), as_written))
                continue
            found = lexicon.lookup(match.group(), split=deadline is None or time.monotonic() < deadline,
                                   software=software)
            found = lexicon.in_software(match.group(), found) if software else found
            # A word the dictionary renders as itself, capital and all, is a name in English too (Peter after
            # "Av:", where a capital is due anyway and the name test cannot tell): left alone, as names are. Not a
            # German noun or a word opening a sentence, whose English is written in lower case (Bank: bank).
            if found is not None and not (match.group()[0].isupper() and found.gloss == match.group()):
                found = read(match.group(), found, lexicon, word_classes(lexicons), text[:match.start()],
                             text[match.end():match.end() + 40])
                glosses.append(_dictionary_gloss(match.group(), match.start(), found))
    return sorted(glosses, key=lambda g: g.start)


def _english_runs(text: str, lexicon: Lexicon) -> list[tuple[int, int]]:
    """Spans of English in a passage: `_MIN_ENGLISH_RUN` words or more in one clause, each an English word (the
    English dictionaries list it, or a function word) that English uses more than the passage language does (the
    list of packages, not Dutch in de tuin). Their words are glossed as English, as a lone English word is; read as
    the passage language's, they were homographs (and: duck, get: goat, list: stratagem)."""
    def english(word: str) -> bool:
        folded = word.casefold()
        return (folded in lexicon.english or is_stopword(folded, "en")) and lexicon.commoner_in_english(folded)

    runs: list[tuple[int, int]] = []
    run: list[re.Match] = []
    for match in [*_WORD.finditer(text), None]:
        is_english = match is not None and english(match.group())
        if is_english and run and not _CLAUSE_BREAK.search(text, run[-1].end(), match.start()):
            run.append(match)
            continue
        if len(run) >= _MIN_ENGLISH_RUN:
            runs.append((run[0].start(), run[-1].end()))
        run = [match] if is_english else []
    return runs


def _phrases(text: str, lang: str, lexicon: Lexicon, taken: list[tuple[int, int]]) -> list[Gloss]:
    """Phrases the dictionary lists, glossed whole where they hold a content word and no concept term overlaps them
    (Danish heller ikke: neither, not heller: rather; Swedish bete sig: behave)."""
    tokens = list(_WORD.finditer(text))
    found: list[Gloss] = []
    for i, match in enumerate(tokens):
        if found and match.start() < found[-1].end or not lexicon.begins_phrase(match.group().casefold()):
            continue
        # The words that follow with only spaces between: a phrase never crosses punctuation.
        run = [match]
        for following in tokens[i + 1:i + _MAX_PHRASE]:
            if text[run[-1].end():following.start()].strip():
                break
            run.append(following)
        words = [m.group().casefold() for m in run]
        phrase = lexicon.phrase(words) if len(run) > 1 else None
        if phrase is None or not _idiom(words[:phrase[0]], phrase[1], lang, lexicon):
            continue
        end = run[phrase[0] - 1].end()
        if not any(start < end and match.start() < stop for start, stop in taken):
            found.append(_dictionary_gloss(text[match.start():end], match.start(), phrase[1]))
    return found


def _idiom(words: list[str], entry: WordGloss, lang: str, lexicon: Lexicon) -> bool:
    """Whether a listed phrase means what its content words' first glosses do not (heller ikke: neither; heller:
    rather than; bete sig: behave; bete: tusk): only then is it glossed whole; a phrase its words' glosses render
    (till exempel: for example) reads as well word by word, each word keeping its own gloss."""
    content = [w for w in words if not is_stopword(w, lang)]
    # A function word's list glosses it alone, not in the phrases it makes (heller: either; heller ikke: neither).
    found = [f for f in map(lexicon.lookup, content) if f is not None and f.source != FUNCTION_WORDS]
    senses = {_root(w) for f in found for w in _WORD.findall(f.gloss) if not is_stopword(w, "en")}
    meaning = {_root(w) for sense in (entry.gloss, *entry.senses) for w in _WORD.findall(sense)
               if not is_stopword(w, "en")}
    return bool(content) and not senses & meaning


def _english_name(term: str, concept: Concept, lexicon: Lexicon | None) -> str | None:
    """The English name of a concept (its label or an alias) that glosses a term spotted in a passage, as far as the
    dictionary can tell; None where the term does not name the concept.

    An alias may be a related phrase, not a translation (Dutch "oude economie" for Market strategy), and a one-word
    alias a word with senses of its own (Danish "svar", answer, for Respond; "læring", learning, for Learning
    loop): the label must render the term, sharing a word with a phrase's senses (a compound's parts included), or
    made of a listed word's senses' words. Then the name whose words the senses render best is the gloss (de klant
    is keizer: the customer is emperor, not Customer strategy; kundfokus: customer focus, not Customer centricity),
    the label where none renders more. Words the dictionary does not know, and compounds, keep the label.
    """
    label = concept.labels["en"]
    if lexicon is None:
        return label
    words = [m.group() for m in _WORD.finditer(term)]
    found = [f for f in map(lexicon.lookup, words) if f is not None]
    if len(words) == 1 and not found:
        return label
    senses = {_root(w) for f in found for sense in (f.gloss, *f.senses)
              for w in sense.replace(",", " ").replace("+", " ").split() if not is_stopword(w, "en")}
    if not senses:
        return label
    compound = len(words) == 1 and found[0].via == "compound"  # the dictionary cannot judge its label: kept
    if compound and (named := _label_and_head(label, found[0])):
        return named
    best, best_share = None, -1.0
    for i, name in enumerate((label, *concept.aliases.get("en", ()))):
        wanted = [_root(w) for w in fold(name).split() if not is_stopword(w, "en")]
        if not wanted:  # a name of function words alone says nothing the senses could render
            if i == 0:
                return label
            continue
        matched = [any(a.startswith(b) or b.startswith(a) for b in senses if min(len(a), len(b)) >= _MIN_ROOT)
                   for a in wanted]
        share = sum(matched) / len(matched)
        renders = (compound and i == 0) or (all(matched) if len(words) == 1 and not compound else any(matched))
        if i == 0 and not renders:
            return None  # the label decides whether the term names the concept; an alias only words the gloss
        if renders and share > best_share:
            best, best_share = name, share
    return best


def _label_and_head(label: str, compound: WordGloss) -> str | None:
    """A compound of the concept's name and a head (kundintimitets+modell) named so (Customer intimacy model), where
    its parts render every word of the label first and the dictionary knows its head; None otherwise."""
    if compound.source == ENGLISH:  # a head read as a loan by its ending alone is a guess (modell: modal)
        return None
    wanted = [w.removesuffix("s") for w in fold(label).split()]
    words = " ".join(compound.parts).split()
    # The label's own words, singular or plural (Value disciplines: value discipline), not words of its stem
    # (personlig+gjøring: personal doing, no Personalization).
    if len(words) <= len(wanted) or [fold(w).removesuffix("s") for w in words[:len(wanted)]] != wanted:
        return None
    return " ".join((label, *words[len(wanted):]))


def _root(word: str) -> str:
    """An English word's Snowball stem, British -is- spelt -iz- (personalisation, personalization)."""
    return stemmer("en").stemWord(_BRITISH.sub(r"iz\1", word.casefold()))


def _is_name(text: str, match: re.Match, lang: str) -> bool:
    """A capitalised word inside a sentence is a name (Westerman, Debian), except in German, which capitalises nouns;
    a word in capitals is an abbreviation (BA, IT, CRM) wherever it stands, which no dictionary sense renders."""
    word = match.group()
    if len(word) >= 2 and word.isupper():
        return True
    if lang == "de" or not word[:1].isupper():
        return False
    before = text[:match.start()].rstrip()
    return bool(before) and before[-1] not in _SENTENCE_END


def _interface_word(word: str, lexicon: Lexicon) -> bool:
    """Whether a capitalised word of software text is a word the language's lists or dictionaries give as written
    in lower case: a menu or button label (Vælg Rediger ▸ Søg: edit, search), not a name, as manuals write them."""
    folded = word.casefold()
    return not word.isupper() and (folded in lexicon.register.senses or folded in lexicon.common_words
                                   or lexicon.listed(folded) is not None)


def typed_term(text: str) -> str:
    """A term as a reader typed or pasted it, read as the text it shows: invisible characters dropped, compatibility
    forms folded (NFKC: full-width Ｋｕｎｄ is Kund), a typographic apostrophe as ', white space collapsed."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_APOSTROPHES)
    return " ".join(text.split())


def lookup_word(word: str, lang: str, reader: str, catalogue: Catalogue, lexicons: Lexicons,
                deadline: float | None = None, software: bool = False) -> list[Gloss]:
    """Every gloss of one word or term typed by a reader (function words included), its offsets into the term as
    `typed_term` reads it: concept, then dictionary. A term of several words is glossed whole where the dictionary
    lists it (på grund av: because of); one it does not list is glossed as a passage is (its concept terms, then
    each other word). `software`: the corpus looked in reads as software text (see `software_languages`). After
    `deadline` (see `split_deadline`), a long term's unknown words are no longer split."""
    word = typed_term(word)
    if not word:
        raise InvalidQuery("term must be a non-empty word")
    glossed = gloss_text(word, lang, reader, catalogue, lexicons, deadline, software)
    found = [g for g in glossed if g.source.startswith("concept:")]
    lexicon = lexicons.get(lang) if lang != "en" else None
    if lexicon is None:
        return found
    if " " not in word:  # one word, hyphenated ones (e-post) included
        entry = lexicon.lookup(word)
        entry = lexicon.in_software(word, entry) if software else entry
        if entry is not None:
            return found + [_dictionary_gloss(word, 0, read(word, entry, lexicon, word_classes(lexicons)))]
    else:
        words = [m.group().casefold() for m in _WORD.finditer(word)]
        if (phrase := lexicon.phrase(words)) is not None and phrase[0] == len(words):
            return found + [_dictionary_gloss(word, 0, phrase[1])]
    return glossed  # concept terms, listed idioms and each other word, as in a passage


def _dictionary_gloss(term: str, start: int, entry: WordGloss) -> Gloss:
    source = entry.source if entry.source in (ENGLISH, FUNCTION_WORDS, COMMON_WORDS) else f"freedict:{entry.source}"
    return Gloss(start, start + len(term), term, entry.gloss, source, "en", entry.senses, entry.parts)
