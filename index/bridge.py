"""The lexical bridge: a query's content words translated into the other passage languages, weighted by evidence.

Each query word has one unit of weight per target language, spread over its renderings there, from three routes:
* dictionaries (FreeDict through `index.glosses`): the word's English glosses that have a rendering in the
  target language share the unit; each gloss's share goes to its target-language words (X-to-English dictionaries
  read backwards, eng-nor forwards; between two other languages through English; an English word none of the
  target's own dictionaries renders, through the words its gloss lexicon glosses with it: those it reads through
  a sister or a third language, and its lists of common words). Among a gloss's words, those
  the corpus holds in the target language share it equally (at most `MAX_READINGS`, first senses first); a gloss
  with none of its words in the corpus keeps them all, so the query still counts the word when it scores;
* the concept catalogue: a label or alias in the query brings the concept's labels and aliases in the target
  language, sharing one unit;
* words the corpus shares across languages (names, loan words): a long word as written, where the target
  language's passages hold it, at full weight unless the dictionaries render it into terms the target's passages
  hold (then it is a word of its own language, and the shared spelling a false friend as often as a loan). A long
  word no route renders and the target's passages lack stays in the plan, matching nothing, so that the few words
  a query shares with a language score as the part of the query they are.
Weights of one term add up over routes (agreement reinforces) and are capped at 1, a term's weight in its own
language. The per-machine table of target words per English word is cached with the lexicons; the lexicon's
additions are read off the loaded lexicon once per process.
"""
from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from .concepts.catalogue import Catalogue
from .concepts.text import TermSpotter
from .glosses.freedict import entries, reverse, senses, translations
from .glosses.lexicon import MAX_WORD
from .glosses.lexicons import Lexicons
from .glosses.stopwords import is_stopword
from .lexical import analyze, words

SHARED_MIN_CHARS = 4
# Weight of a spelling shared with the target language that the query language's dictionary knows as its own
# word: a false friend as often as a loan ("gift", "also", "rank" in German against English).
NATIVE_SHARED_WEIGHT = 0.3
# At most this many target words per English gloss; each then gets at least 1/MAX_READINGS of its share.
MAX_READINGS = 6
# Renderings looked at per gloss, first senses first (English "set", "run" have a hundred in German).
MAX_CANDIDATES = 24
_FORMAT = 1
_MEMO_LIMIT = 100_000
# How long one query may spend splitting words no dictionary lists into compounds (a query of long made-up words
# cost 0.7 s); past it, such words count as written only, and are tried again by a later query.
_SPLIT_BUDGET_S = 0.1

Terms = dict[str, float]
# term -> {passage language: passages holding it}: what the corpus holds (`Snapshot.term_languages`).
TermLanguages = Callable[[Sequence[str]], dict[str, dict[str, int]]]


@dataclass(frozen=True)
class _Group:
    """Alternative renderings (each a tuple of analysed terms) of one query word that share one weight in one
    target language; `shared` marks the word as written."""

    lang: str
    word: str
    weight: float
    alternatives: tuple[tuple[str, ...], ...]
    shared: bool = False


def _english_forms(word: str) -> list[str]:
    """An English word and the singulars it may be the plural of (dictionaries list base forms)."""
    forms = [word]
    for plural, singular in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(plural) and len(word) - len(plural) >= 3:
            forms.append(word[:len(word) - len(plural)] + singular)
    return forms


@functools.lru_cache(maxsize=_MEMO_LIMIT)
def _terms(text: str, lang: str) -> tuple[str, ...]:
    """Index terms of a rendering's content words (a label's "de", "of", "and" are no evidence)."""
    return tuple(dict.fromkeys(analyze(" ".join(w for w in words(text) if not is_stopword(w, lang)), lang)))


def _english_word(text: str) -> str | None:
    text = text.casefold().removeprefix("to ").strip()
    return text if text.isalpha() else None


def inverse_pairs(lexicons: Lexicons, lang: str) -> Iterator[tuple[str, str, int]]:
    """(English word, word of `lang`, sense number) from every sense of the language's own dictionaries."""
    for dictionary, direction in lexicons.dictionaries(lang):
        if direction == "reverse":  # English to X: the English headword is the gloss of each of its X words
            for word, english, *_ in reverse(dictionary):
                if (key := _english_word(english)) is not None:
                    yield key, word, 0
            continue
        if direction != "forward":  # a related language's spelling, or a route through a third language
            continue
        for headword, entry in entries(dictionary):
            word = headword.casefold()
            if not word.isalpha():
                continue
            for position, sense in enumerate(senses(entry)):
                for english in translations(sense):
                    if (key := _english_word(english)) is not None:
                        yield key, word, position


def lexicon_pairs(lexicons: Lexicons, lang: str) -> Iterator[tuple[str, str, int]]:
    """(English word, word of `lang`, sense number) from every sense of the language's gloss lexicon: its own
    dictionaries, those it reads through a sister or a third language (swe-nor and eng-nor: Swedish felsökning,
    troubleshooting), and the project's lists of common words."""
    lexicon = lexicons.get(lang)
    if lexicon is None:
        return
    listed = ((form, senses) for form, (senses, _) in lexicon.words.items())
    for form, senses in itertools.chain(listed, lexicon.common_words.items()):
        if form.isalpha():
            for position, sense in enumerate(senses):
                for english in sense.split(", "):
                    if (key := _english_word(english)) is not None:
                        yield key, form, position


def build_inverse(pairs: Iterable[tuple[str, str, int]]) -> dict[str, list[str]]:
    """English word -> words rendering it, those whose first senses it glosses first."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for english, word, position in pairs:
        found[english][word] = min(position, found[english].get(word, position))
    return {english: sorted(ranked, key=lambda w: (ranked[w], len(w), w)) for english, ranked in found.items()}


class Inverses:
    """Per target language, English word -> its words there (`build_inverse`), loaded once per process: the
    language's own dictionaries' (cached on disk beside the lexicons, keyed by the dictionaries read), and for an
    English word they lack, its lexicon's (built from the loaded lexicon in a second or less).

    Only where the dictionaries have nothing: their renderings were tuned on, and adding the lexicon's to them (or
    reading the lexicon alone) reorders what they render well (docs/ranking.md)."""

    def __init__(self, lexicons: Lexicons) -> None:
        self.lexicons = lexicons
        self._tables: dict[str, dict[str, list[str]]] = {}
        self._lock = threading.Lock()

    def get(self, lang: str) -> dict[str, list[str]]:
        """The table of a passage language ({} without a dictionary of its own)."""
        if lang not in self._tables:
            with self._lock:
                if lang not in self._tables:
                    inputs = self.lexicons.dictionaries(lang)
                    own = self.lexicons.cached(
                        f"inverse-{lang}-{_FORMAT}", inputs, lambda: build_inverse(inverse_pairs(self.lexicons, lang))
                    ) if inputs else {}
                    added = build_inverse(pair for pair in lexicon_pairs(self.lexicons, lang) if pair[0] not in own)
                    self._tables[lang] = {**own, **added} if own else {}
        return self._tables[lang]


_INVERSES: dict[tuple, Inverses] = {}
_INVERSES_LOCK = threading.Lock()


def inverses(lexicons: Lexicons) -> Inverses:
    """The process's inverse tables for the dictionary and cache folders of `lexicons`."""
    with _INVERSES_LOCK:
        key = (lexicons.dict_dir, lexicons.cache_dir)
        if key not in _INVERSES:
            _INVERSES[key] = Inverses(lexicons)
        return _INVERSES[key]


@dataclass
class Bridge:
    """Translations of query words into passage languages from the lexicons, a catalogue and the corpus's terms."""

    lexicons: Lexicons
    catalogue: Catalogue | None
    term_languages: TermLanguages
    _inverses: Inverses = field(init=False, repr=False)
    # Per (word, its language, target languages): its groups, which depend on the dictionaries only.
    _memo: dict[tuple, list[_Group]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._inverses = inverses(self.lexicons)

    def translate(self, query: str, source: str, targets: Iterable[str]) -> dict[str, Terms]:
        """Per target language, analysed terms with weights in (0, 1]: what `query` (in `source`) says there."""
        targets = [t for t in targets if t != source]
        # Every word may be shared as written (a product code such as "x200e" too); only letters go to the dictionaries.
        self.lexicons.get(source)  # loaded (once per process) before the budget starts
        deadline = time.monotonic() + _SPLIT_BUDGET_S
        groups = [g for word in dict.fromkeys(w for w in words(query) if not is_stopword(w, source))
                  for g in self._word(word, source, targets, time.monotonic() < deadline)]
        groups += self._concepts(query, source, targets)
        held = self.term_languages(sorted({t for g in groups for alt in g.alternatives for t in alt}))
        found: dict[str, Terms] = {t: {} for t in targets}
        rendered = set()  # (word, language) that a dictionary rendering held by the corpus covers
        routed = {(g.word, g.lang) for g in groups if not g.shared}  # words a dictionary or concept renders there
        for group in sorted(groups, key=lambda g: g.shared):
            present = [alt for alt in group.alternatives if any(held.get(t, {}).get(group.lang) for t in alt)]
            weight = group.weight
            if group.shared:
                # A word nothing renders and the target's passages lack still counts, matching nothing: BM25's scale
                # is the plan's own, and a plan of the one word the languages share ("debian") would call every
                # passage saying it a perfect match. A word a dictionary renders counts through its renderings.
                if not present and (group.word, group.lang) in routed:
                    continue
                # A word the dictionaries render into terms the corpus holds is a word of its own language, and its
                # spelling in another a false friend as often as a loan; one they do not render is a name or a loan.
                weight = NATIVE_SHARED_WEIGHT if (group.word, group.lang) in rendered else 1.0
            elif present:
                rendered.add((group.word, group.lang))
            # Readings the corpus holds take the share; a word with none still counts (unmatched) when it scores.
            chosen = (present or list(group.alternatives))[:MAX_READINGS]
            into = found[group.lang]
            for alternative in chosen:
                for term in alternative:
                    into[term] = min(1.0, into.get(term, 0.0) + weight / len(chosen))
        return {lang: terms for lang, terms in found.items() if terms}

    def _word(self, word: str, source: str, targets: list[str], split: bool = True) -> list[_Group]:
        key = (word, source, tuple(targets))
        if key in self._memo:
            return self._memo[key]
        groups = self._groups(word, source, targets, split)
        # What a word is without trying it as a compound is not what it is; and no word is longer than the lexicons'
        # longest (a query of made-up 900-letter words would fill the memo with kilobytes per entry).
        if split and len(word) <= MAX_WORD:
            if len(self._memo) >= _MEMO_LIMIT:  # queries bring any words: keep the memo bounded
                self._memo.clear()
            self._memo[key] = groups
        return groups

    def _groups(self, word: str, source: str, targets: list[str], split: bool = True) -> list[_Group]:
        groups = []
        english = self._english(word, source, split) if word.isalpha() else []
        for target in targets:
            # Glosses without a rendering in the target's dictionary take no share: the word's unit goes to the rest.
            renderings = [alts for gloss in english if (alts := self._renderings(gloss, target))]
            groups += [_Group(target, word, 1.0 / len(renderings), alts) for alts in renderings]
            if len(word) >= SHARED_MIN_CHARS:
                groups.append(_Group(target, word, 1.0, (tuple(dict.fromkeys(analyze(word, target))),), shared=True))
        return groups

    def _renderings(self, english: str, target: str) -> tuple[tuple[str, ...], ...]:
        readings = [english] if target == "en" else self._readings(english, target)[:MAX_CANDIDATES]
        return tuple(terms for reading in readings if (terms := _terms(reading, target)))

    def _english(self, word: str, source: str, split: bool = True) -> list[str]:
        """English glosses of a word (the word itself in English), without function words and phrases."""
        if source == "en":
            return [word]
        lexicon = self.lexicons.get(source)
        entry = lexicon.lookup(word, split) if lexicon is not None else None
        if entry is None:
            return []
        glosses = entry.parts or entry.gloss.split(", ")  # a compound's parts, each a word
        return [g for g in dict.fromkeys(glosses) if g.isalpha() and not is_stopword(g, "en")]

    def _readings(self, english: str, target: str) -> list[str]:
        inverse = self._inverses.get(target)
        return next((inverse[form] for form in _english_forms(english.casefold()) if form in inverse), [])

    def _concepts(self, query: str, source: str, targets: list[str]) -> list[_Group]:
        groups: list[_Group] = []
        if self.catalogue is None:
            return groups
        for occurrence in TermSpotter.for_catalogue(self.catalogue).find(query):
            if all(lang not in (source, "en") for _, lang in occurrence.matches):
                continue  # a label of another language that happens to be spelt like a query word
            for concept_id in occurrence.concept_ids:
                concept = self.catalogue.get(concept_id)
                for target in targets:
                    texts = [t for t in (concept.labels.get(target), *concept.aliases.get(target, ())) if t]
                    alternatives = tuple(terms for text in texts if (terms := _terms(text, target)))
                    if alternatives:
                        groups.append(_Group(target, occurrence.folded, 1.0 / len(occurrence.concept_ids), alternatives))
        return groups

    def load(self, langs: Iterable[str]) -> None:
        """Read the tables of these passage languages (and every query language's lexicon) now, not on a first query."""
        for lang in self.lexicons.available():
            lexicon = self.lexicons.get(lang)
            if lexicon is not None:
                lexicon.lookup("x" * SHARED_MIN_CHARS * 2)  # an unknown word: builds the lexicon's loanword table too
        for lang in langs:
            self._inverses.get(lang)

