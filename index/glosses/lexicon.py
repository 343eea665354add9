"""A compact word -> English gloss lookup per passage language, built once from FreeDict and cached on disk.

A word is matched, first hit wins: as written; through the language's Snowball stemmer ("kunderna" -> kund);
with an inflection ending stripped ("nieuwe" -> nieuw); as a Norwegian/Danish cognate (Swedish only); as a
compound of two known parts ("kundnöjdhet" = kund + nöjd(het)); as a word that is English already, or an
English cognate that differs in its ending ("strategiska" -> strategic).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DEFAULT_DICT_DIR
from ..lexical import stemmer
from .freedict import Dictionary, DictionaryError, entries, forward, reverse

log = logging.getLogger(__name__)

_FORMAT = 5
# Per passage language, the dictionaries to read, most trusted first. Norwegian has no FreeDict
# nor-eng, so eng-nor is read backwards; Danish spelling is close enough to Bokmål to fill its gaps.
# Swedish, whose FreeDict has only 5,000 words, borrows Norwegian and Danish cognates ("forstå" for förstå,
# "løsning" for lösning): the three languages share most of their vocabulary, spelt a little differently.
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "sv": (("swe-eng", "forward"), ("eng-nor", "reverse>cognates"), ("dan-eng", "forward>cognates")),
    "nl": (("nld-eng", "forward"),),
    "da": (("dan-eng", "forward"),),
    "de": (("deu-eng", "forward"),),
    "no": (("eng-nor", "reverse"), ("dan-eng", "forward")),
}
# Where the English vocabulary comes from: a word missing from a passage language's dictionary but
# listed on the English side of these ("business", "digital", "segment") is English already.
ENGLISH_SOURCES = (("eng-nor", "headwords"), ("swe-eng", "glosses"), ("nld-eng", "glosses"),
                   ("dan-eng", "glosses"), ("deu-eng", "glosses"))
ENGLISH = "english"  # the `source` of a word glossed as itself
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
_MIN_PART = 4
_MIN_COMPOUND = 8
_MEMO_LIMIT = 200_000
_MAX_WORD = 48
_COGNATE_ENDINGS = (("iska", "ic"), ("iske", "ic"), ("isk", "ic"), ("isch", "ic"), ("ieren", "y"), ("iera", "y"),
                    ("isera", "ise"), ("isere", "ise"), ("era", "e"), ("ere", "e"), ("era", ""), ("ere", ""),
                    ("erad", "ed"), ("ert", "ed"), ("ika", "ic"), ("ie", "y"), ("i", "y"), ("er", "s"), ("a", ""),
                    ("e", ""))
# Verbs and nouns borrowed from Latin and French carry these endings in the Nordic languages and Dutch
# (fokus-era, kommunic-erade, decentralis-ering, introduc-eren), and adjectives and nouns their inflection
# (extrem-t, exakt): what is left, a Nordic k read as c, is the English word's Snowball stem.
_LOAN_ENDINGS = ("eringarna", "eringar", "eringen", "eringer", "ering", "erades", "erade", "erad", "erat", "erar",
                 "era", "erende", "eren", "erer", "erte", "ert", "ere", "ende", "ande", "isk", "iska", "el", "er", "ar", "or",
                 "en", "t", "a", "e", "s", "")
_MIN_LOAN_ROOT = 5
# How Swedish, Norwegian and Danish spell the endings of French and Latin loans that English keeps.
_LOAN_SPELLINGS = (("emang", "ement"), ("ement", "ement"), ("itet", "ity"), ("itét", "ity"), ("ans", "ance"),
                   ("ens", "ence"), ("ör", "or"), ("ur", "ure"), ("ism", "ism"))


@dataclass(frozen=True)
class WordGloss:
    """How a word was glossed: the dictionary form(s) it matched, the gloss and the dictionary it came from."""

    form: str
    gloss: str
    source: str
    via: str  # "word" | "stem" | "inflection" | "cognate" | "compound" | "english"


@dataclass
class Lexicon:
    """Glosses of one passage language's words into English."""

    lang: str
    sources: list[str]
    words: dict[str, list]  # dictionary form -> [gloss, index into sources]
    stems: dict[str, str]  # stem -> the dictionary form chosen for it
    english: dict[str, int] = field(default_factory=dict)  # English words (see `build_english`)
    cognates: dict[str, list] = field(default_factory=dict)  # spelling key (see `_nordic_key`) -> [gloss, source]
    # English Snowball stem -> its most common word, for loanwords: one table per English vocabulary, shared by
    # the lexicons that read it (see `Lexicons`) and filled on first use.
    english_stems: dict[str, str] = field(default_factory=dict, repr=False)
    _memo: dict[str, WordGloss | None] = field(default_factory=dict, repr=False)

    def lookup(self, word: str) -> WordGloss | None:
        """The English gloss of a word as written in a passage, or None."""
        key = word.casefold()
        if key in self._memo:
            return self._memo[key]
        if len(key) > _MAX_WORD:  # no word is this long; splitting it would cost time quadratic in its length
            return self._direct(key)
        found = (self._direct(key) or self._inflected(key) or self._cognate(key) or self._compound(key, depth=2)
                 or self._english(key))
        if len(self._memo) >= _MEMO_LIMIT:  # the look-up endpoint takes any text; keep the memo bounded
            self._memo.clear()
        self._memo[key] = found
        return found

    def _entry(self, form: str, via: str) -> WordGloss:
        gloss, source = self.words[form]
        return WordGloss(form, gloss, self.sources[source], via)

    def _direct(self, word: str) -> WordGloss | None:
        if word in self.words:
            return self._entry(word, "word")
        snowball = stemmer(self.lang)
        form = self.stems.get(snowball.stemWord(word) if snowball else word)
        return self._entry(form, "stem") if form else None

    def _inflected(self, word: str) -> WordGloss | None:
        suffixes, endings = _ENDINGS.get(self.lang, ((), ()))
        for suffix in ("", *suffixes):
            base = word[:len(word) - len(suffix)]
            if not word.endswith(suffix) or len(base) < 2:
                continue
            # Dutch writes a long vowel double in a closed syllable only: vraagt -> vragen.
            undouble = self.lang == "nl" and base[-2:-1] * 2 == base[-3:-1]
            bases = [base, base[:-2] + base[-1]] if undouble else [base]
            for candidate in (b + ending for b in bases for ending in ("", *endings)):
                found = self._direct(candidate) if candidate != word else None
                # Stemming a guessed form can cut it to a short unrelated word (innlegg -> inn); not that.
                if found is not None and len(found.form) >= len(candidate) - 2:
                    return WordGloss(found.form, found.gloss, found.source, "inflection")
        return None

    def _cognate(self, word: str) -> WordGloss | None:
        if not self.cognates:
            return None
        suffixes, _ = _ENDINGS.get(self.lang, ((), ()))
        for suffix in ("", *suffixes):
            base = word[:len(word) - len(suffix)]
            if word.endswith(suffix) and len(base) >= _MIN_PART and (key := _nordic_key(base)) in self.cognates:
                gloss, source = self.cognates[key]
                return WordGloss(key, gloss, self.sources[source], "cognate")
        return None

    def _english(self, word: str) -> WordGloss | None:
        if len(word) > 2 and word in self.english:
            return WordGloss(word, word, ENGLISH, "english")
        # Learned words differ from their English cognate in the ending only: strategi, specifika, fokusera.
        if len(word) >= 6:
            for ending, english in _COGNATE_ENDINGS:
                if word.endswith(ending) and (candidate := word[:len(word) - len(ending)] + english) in self.english:
                    return WordGloss(candidate, candidate, ENGLISH, "english")
            return self._loanword(word)
        return None

    def _loanword(self, word: str) -> WordGloss | None:
        for base in dict.fromkeys((word, word.replace("kv", "qu").replace("k", "c"))):
            for ending, english in _LOAN_SPELLINGS:
                for inflected in ("", "en", "er", "et", "erna", "ar", "a", "s", "t"):
                    tail = ending + inflected
                    candidate = base[:len(base) - len(tail)] + english
                    if base.endswith(tail) and len(base) - len(tail) >= 3 and candidate in self.english:
                        return WordGloss(candidate, candidate, ENGLISH, "english")
        stems = self._english_stems()
        for ending in _LOAN_ENDINGS:
            root = word[:len(word) - len(ending)]
            if not word.endswith(ending) or len(root) < _MIN_LOAN_ROOT:
                continue
            for candidate in dict.fromkeys((root, root.replace("k", "c"), root + "l" if ending == "el" else root)):
                english = stems.get(candidate) or (stems.get(candidate[:-2] + "le") if ending == "el" else None)
                if english:
                    return WordGloss(english, english, ENGLISH, "english")
        return None

    def _english_stems(self) -> dict[str, str]:
        if not self.english_stems and self.english:
            snowball, found = stemmer("en"), {}
            for w, n in sorted(self.english.items(), key=lambda x: -x[1]):
                if len(w) >= _MIN_LOAN_ROOT:
                    found.setdefault(snowball.stemWord(w), w)
            self.english_stems.update(found)  # whole, in one step: a thread reading it never sees part of it
        return self.english_stems

    def _compound(self, word: str, depth: int) -> WordGloss | None:
        if depth == 0 or len(word) < _MIN_COMPOUND:
            return None
        # Longest known head first: the head carries the meaning, the modifier narrows it.
        for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
            head = self._direct(word[cut:]) or self._english(word[cut:])
            if head is None or len(head.form) < _MIN_PART:  # a stem cut to a syllable (ingene -> ing) is no part
                continue
            modifier = self._modifier(word[:cut], depth)
            if modifier is not None:
                gloss = f"{_first(modifier.gloss)} + {_first(head.gloss)}"
                return WordGloss(f"{modifier.form}+{head.form}", gloss, head.source, "compound")
        return None

    def _modifier(self, part: str, depth: int) -> WordGloss | None:
        for link in _LINKS:
            if link and not part.endswith(link):
                continue
            stem = part[:len(part) - len(link)]
            if len(stem) < _MIN_PART:
                continue
            found = self._direct(stem) or self._compound(stem, depth - 1)
            if found is not None and len(found.form) >= _MIN_PART:
                return found
        return None

    def to_json(self) -> dict:
        """The lexicon as cached on disk (without the shared English vocabulary)."""
        return {"lang": self.lang, "sources": self.sources, "words": self.words, "stems": self.stems,
                "cognates": self.cognates}

    @classmethod
    def from_json(cls, data: dict, english: dict[str, int] | None = None,
                  english_stems: dict[str, str] | None = None) -> "Lexicon":
        """Read what `to_json` wrote; `english` and `english_stems` are shared with the other lexicons."""
        return cls(data["lang"], data["sources"], data["words"], data["stems"], english or {}, data["cognates"],
                   {} if english_stems is None else english_stems)


def _first(gloss: str) -> str:
    return gloss.split(", ", 1)[0]


def build_lexicon(lang: str, dictionaries: list[tuple[Dictionary, str]], english: dict[str, int] | None = None) -> Lexicon:
    """Read the dictionaries (most trusted first) into one lexicon for a passage language.

    A direction "reverse" reads an English-to-X dictionary backwards; "cognates" marks a related language's
    dictionary, whose words are matched by spelling key only.
    """
    words: dict[str, list] = {}
    cognates: dict[str, list] = {}
    for position, (dictionary, direction) in enumerate(dictionaries):
        direction, _, kind = direction.partition(">")
        pairs = _reversed_glosses(dictionary, english or {}) if direction == "reverse" else forward(dictionary)
        for form, gloss in pairs:
            form = form.casefold()
            if kind == "cognates":
                cognates.setdefault(_nordic_key(form), [gloss, position])
                form = _swedish_spelling(form)
            words.setdefault(form, [gloss, position])  # an earlier, more trusted dictionary keeps its word
    snowball = stemmer(lang)
    stems: dict[str, str] = {}
    for form in words:
        if " " in form or snowball is None:
            continue
        stem = snowball.stemWord(form)
        best = stems.get(stem)
        # One form per stem: the form that is the stem itself, else the most trusted, else the shortest.
        if best is None or _rank(form, stem, words) < _rank(best, stem, words):
            stems[stem] = form
    return Lexicon(lang, [d.name for d, _ in dictionaries], words, stems, english or {}, cognates)


def build_english(dictionaries: list[tuple[Dictionary, str]]) -> dict[str, int]:
    """Single English words with how often the dictionaries use them: headwords of English-to-X dictionaries and
    translations of X-to-English ones. The count stands in for how common a word is ("building" > "barley")."""
    found: Counter = Counter()
    for dictionary, side in dictionaries:
        if side == "headwords":
            found.update(w for w, _ in entries(dictionary))
        else:
            found.update(w.casefold() for _, gloss in forward(dictionary) for w in gloss.split(", "))
    return {w: n for w, n in found.items() if w.isalpha()}


def _swedish_spelling(word: str) -> str:
    """A Norwegian or Danish word as Swedish most likely writes it (fokusere -> fokusera, økning -> ökning)."""
    word = word.translate(_SWEDISH).replace("kk", "ck")
    for ending, swedish in (("sjon", "tion"), ("ere", "era")):
        if word.endswith(ending):
            return word[:-len(ending)] + swedish
    return word


def _nordic_key(word: str) -> str:
    """A spelling key shared by Swedish, Norwegian and Danish cognates (förstå/forstå, träning/trening)."""
    word = word.casefold().translate(_NORDIC).replace("ck", "k").replace("tion", "sjon")
    word = _DOUBLE.sub(r"\1", word)
    if word.startswith("upp"):
        word = "op" + word[3:]
    return word[:-1] + "e" if word.endswith("a") else word[:-1] + "g" if word.endswith("k") else word


_SWEDISH = str.maketrans({"ø": "ö", "æ": "ä"})
_NORDIC = str.maketrans({"ø": "o", "ö": "o", "æ": "e", "ä": "e"})
_DOUBLE = re.compile(r"(.)\1")


def _rank(form: str, stem: str, words: dict[str, list]) -> tuple:
    return (form != stem, words[form][1], len(form), form)


def _reversed_glosses(dictionary: Dictionary, english: dict[str, int]) -> list[tuple[str, str]]:
    """Target word -> up to three of its English headwords, the most common English words first.

    Commonness (how often the dictionaries use a word) decides: "bygg" is a building far more often than barley.
    """
    merged: dict[str, list[str]] = {}
    for word, headword in reverse(dictionary):
        found = merged.setdefault(word, [])
        if headword not in found:
            found.append(headword)

    def order(headword: str) -> tuple:
        return (-english.get(headword.casefold(), 0), len(headword))

    return [(word, ", ".join(sorted(found, key=order)[:3])) for word, found in merged.items()]


class Lexicons:
    """The lexicons of one dictionary folder, loaded lazily per language and cached on disk.

    A language whose dictionaries are all missing has no lexicon: glossing falls back to concepts alone.
    """

    def __init__(self, dict_dir: Path, cache_dir: Path | None) -> None:
        self.dict_dir = Path(dict_dir)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._loaded: dict[str, Lexicon | None] = {}
        self._english: dict[str, int] | None = None
        self._english_stems: dict[str, str] = {}  # filled by the first lexicon that needs it
        self._lock = threading.Lock()

    def available(self) -> dict[str, list[str]]:
        """Per passage language, the dictionaries present on disk."""
        return {lang: names for lang in SOURCES if (names := [d.name for d, _ in self.dictionaries(lang)])}

    def get(self, lang: str) -> Lexicon | None:
        """The lexicon of a passage language, or None without a dictionary for it."""
        if lang in self._loaded:
            return self._loaded[lang]
        with self._lock:
            if lang not in self._loaded:
                self._loaded[lang] = self._load(lang)
            return self._loaded[lang]

    def dictionaries(self, lang: str) -> list[tuple[Dictionary, str]]:
        """The dictionaries of a passage language present on disk, most trusted first, with how each is read."""
        present = [(Dictionary(name, self.dict_dir), direction) for name, direction in SOURCES.get(lang, ())]
        return [(d, direction) for d, direction in present if d.exists()]

    def _load(self, lang: str) -> Lexicon | None:
        dictionaries = self.dictionaries(lang)
        if not dictionaries:
            if lang in SOURCES:
                log.info("no FreeDict dictionary for %s in %s: concept glosses only", lang, self.dict_dir)
            return None
        try:
            english = self._english_words()
            return _cached(self._cache_path(lang, dictionaries + self._english_dictionaries()),
                           f"the {lang} gloss lexicon from {', '.join(d.name for d, _ in dictionaries)}",
                           lambda: build_lexicon(lang, dictionaries, english), Lexicon.to_json, Lexicon.from_json,
                           english, self._english_stems)
        except DictionaryError as exc:
            log.warning("%s: concept glosses only for %s", exc, lang)
            return None

    def _english_dictionaries(self) -> list[tuple[Dictionary, str]]:
        present = [(Dictionary(name, self.dict_dir), side) for name, side in ENGLISH_SOURCES]
        return [(d, side) for d, side in present if d.exists()]

    def _english_words(self) -> dict[str, int]:
        if self._english is None:
            present = self._english_dictionaries()
            self._english = _cached(self._cache_path(ENGLISH, present),
                                    f"the English vocabulary from {', '.join(d.name for d, _ in present)}",
                                    lambda: build_english(present), dict, dict) if present else {}
        return self._english

    def cached(self, name: str, dictionaries: list[tuple[Dictionary, str]], build):
        """A JSON-able table built from some dictionaries, cached on disk beside the lexicons."""
        return _cached(self._cache_path(name, dictionaries), f"{name} from {', '.join(d.name for d, _ in dictionaries)}",
                       build, lambda v: v, lambda v: v)

    def _cache_path(self, name: str, dictionaries: list[tuple[Dictionary, str]]) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([_FORMAT, name, [[d.name, how, d.signature()] for d, how in dictionaries]])
        return self.cache_dir / f"glosses-{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _cached(path: Path | None, what: str, build, dump, load, *extra):
    """`load(cached JSON, *extra)` from `path` when it is there and readable, else build `what`, cache and return it."""
    if path is not None:
        try:
            return load(json.loads(path.read_text(encoding="utf-8")), *extra)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("rebuilding the unreadable gloss cache %s: %s", path, exc)
    # Seconds to a minute per language, once per machine (the cache folder is shared): say so while it runs.
    where = f"cached in {path.parent}" if path is not None else "not cached"
    log.info("building %s (once; %s)...", what, where)
    started = time.monotonic()
    value = build()
    log.info("built %s in %.1f s", what, time.monotonic() - started)
    if path is not None:
        _write_cache(path, dump(value))
    return load(dump(value), *extra)


def _write_cache(path: Path, data) -> None:
    # Written beside and renamed, so a reader never sees half a file; a read-only cache folder only costs time.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as exc:
        log.warning("cannot cache glosses in %s: %s", path.parent, exc)
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        os.chmod(tmp, 0o644)  # a cache other processes (web workers, CLIs) read too
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot cache glosses in %s: %s", path.parent, exc)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_REGISTRY: dict[tuple[Path, Path | None], Lexicons] = {}
_REGISTRY_LOCK = threading.Lock()


def lexicons(dict_dir: Path, cache_dir: Path | None) -> Lexicons:
    """The process's lexicons for a dictionary folder and cache folder (loaded once per process)."""
    key = (Path(dict_dir), Path(cache_dir) if cache_dir else None)
    with _REGISTRY_LOCK:
        if key not in _REGISTRY:
            _REGISTRY[key] = Lexicons(*key)
        return _REGISTRY[key]

