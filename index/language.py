"""Language detection: langdetect for documents and chunks, lingua plus the corpus for short queries."""
from __future__ import annotations

import functools
import math
import threading
from typing import Iterable, Mapping, NamedTuple

import langcodes
from langdetect import DetectorFactory, detect_langs, detector_factory
from langdetect.lang_detect_exception import LangDetectException
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from .lexical import words as word_tokens

DetectorFactory.seed = 0  # langdetect samples n-grams at random; a fixed seed makes it deterministic

UNKNOWN = "und"
# Norwegian comes back as `no` from langdetect; Bokmål and Nynorsk codes fold into it so filters agree.
ALIASES = {"nb": "no", "nn": "no"}
# Languages whose queries we expect; a query's language is one of these or the corpus's own.
QUERY_LANGUAGES = ("en", "de", "fr", "da", "no", "sv", "nl", "es", "it", "pt")

# The letters each query language writes beyond a to z, those of its usual loans and names included. A word with a
# letter none of them writes (Turkish ş, Polish ł, Czech ř, Romanian ț, Hungarian ő, Icelandic ð) is of a language
# the detector does not know, which it would read as the nearest one it knows (müşteri sadakati as Spanish).
ALPHABETS = {
    "en": "éèïç", "de": "äöüßéè", "fr": "àâæçéèêëîïôœùûüÿ", "da": "æøåéü", "no": "æøåéèóòôü", "sv": "åäöéü",
    "nl": "áéíóúàèëïöüĳâêô", "es": "áéíóúüñ", "it": "àèéìíîòóù", "pt": "áâãàçéêíóôõúü",
}

# Corpus evidence: each word of four letters or more that occurs in exactly one corpus language
# multiplies that language's probability by e^(CORPUS_WEIGHT / number of such-length words), but
# only for the detector's three best candidates: it arbitrates between close languages (Norwegian
# and Danish, Dutch and German) and cannot make an English query Swedish because the Swedish
# articles quote "value disciplines".
CORPUS_WEIGHT = 2.0
CORPUS_CANDIDATES = 3
# Platt scaling of the top probability into P(the guess is right), fitted by
# `python -m eval.calibrate_language` on short CLDR phrases (babel), not on the eval sets.
CALIBRATION = (0.967, 0.602)
# Below this calibrated confidence a guess is more likely wrong than right: the query counts as
# `und` (ranking treats it symmetrically, concept cards use the reader's language).
MIN_CONFIDENCE = 0.5


LANGUAGE_NAMES = {
    "en": "English", "no": "Norwegian", "nb": "Norwegian Bokmål", "nn": "Norwegian Nynorsk", "sv": "Swedish",
    "nl": "Dutch", "da": "Danish", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese",
}


def lang_name(code: str) -> str:
    """English name of a language code, or the code itself."""
    return LANGUAGE_NAMES.get(code, code)


# Registered codes that name no one language: undetermined, uncoded, several, no linguistic content.
_NOT_A_LANGUAGE = frozenset({UNKNOWN, "mis", "mul", "zxx"})


def is_language(code: str) -> bool:
    """Whether a normalised code names a language in the IANA registry (ISO 639: sv, fil, gsw; not zz or xx)."""
    return code not in _NOT_A_LANGUAGE and langcodes.tag_is_valid(code)


def normalize_lang(code: str | None) -> str:
    """Map a language code to the ISO 639-1 form used throughout the index."""
    if not code:
        return UNKNOWN
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return ALIASES.get(code, code)


def _probabilities(text: str, trials: int = 7) -> dict[str, float]:
    try:
        if trials == 7:  # langdetect's own default
            return {normalize_lang(p.lang): p.prob for p in detect_langs(text)}
        detector_factory.init_factory()
        detector = detector_factory._factory.create()
        detector.n_trial = trials
        detector.append(text)
        return {normalize_lang(p.lang): p.prob for p in detector.get_probabilities()}
    except LangDetectException:
        return {}


def detect(text: str) -> str:
    """Detect the language of a document or chunk; `und` when there is no signal."""
    probs = _probabilities(text)
    return max(probs, key=probs.get) if probs else UNKNOWN


def detect_part(text: str, whole: str, min_prob: float = 0.9) -> str:
    """Language of a part of a document (a chunk): its own only when langdetect is sure, else the whole's.

    Close languages (Norwegian and Danish, say) trade places on a few sentences; a passage of a
    Norwegian article is Norwegian unless the evidence is overwhelming (a quoted English paragraph).
    """
    votes: dict[str, float] = {}
    if whole in QUERY_LANGUAGES:
        # lingua (about 0.5 ms a passage, twenty times faster than langdetect) confirms the document's
        # language for almost every passage; only the others pay for langdetect.
        votes = {_lingua_code(v.language): v.value for v in query_detector().compute_language_confidence_values(text)}
        if votes and max(votes, key=votes.get) == whole:
            return whole
    # Three sampling trials instead of seven: a passage has enough text to converge.
    probs = _probabilities(text, trials=3)
    best = max(probs, key=probs.get) if probs else whole
    if best == whole or probs.get(best, 0.0) < min_prob:
        return whole
    if {best, whole} <= set(QUERY_LANGUAGES) and votes.get(whole, 0.0) >= votes.get(best, 0.0):
        # langdetect can be sure and wrong between close languages (a Norwegian passage read as
        # Danish); lingua, better on short text, must agree before a passage leaves its document's.
        return whole
    return best


class QueryLanguage(NamedTuple):
    """A short query's language: `lang` is `und` when unsure, `guess` the best candidate regardless."""

    lang: str
    confidence: float
    guess: str


def _lingua_code(language: Language) -> str:
    return normalize_lang(language.iso_code_639_1.name)


def query_detector() -> LanguageDetector:
    """lingua's detector over QUERY_LANGUAGES, every model in memory; built once per process.

    The high-accuracy mode (word uni- to five-grams) is right far more often than the low-accuracy
    one on two or three words (94% against 86% on eval/short-queries.jsonl) and still takes well
    under a millisecond per query; it holds about 330 MB, so there is one per process (built before
    gunicorn forks, its models are shared by the workers).
    """
    global _detector
    with _detector_lock:  # a caller waits for a build under way (see `load_query_detector`)
        if _detector is None:
            codes = [{"no": "NB"}.get(code, code.upper()) for code in QUERY_LANGUAGES]
            languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code)) for code in codes]
            _detector = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
        return _detector


def load_query_detector() -> None:
    """Start building the query detector in a thread: its seconds of model loading (lingua releases the
    GIL) overlap whatever the process does before its first query."""
    if _detector is None:
        threading.Thread(target=query_detector, name="query-detector", daemon=True).start()


_detector: LanguageDetector | None = None
_detector_lock = threading.Lock()


def detect_query(
    text: str,
    vocabularies: Mapping[str, frozenset[str]] | None = None,
    candidates: Iterable[str] = QUERY_LANGUAGES,
) -> QueryLanguage:
    """Detect a short query's language with a calibrated confidence; `und` when the guess is unsure.

    lingua scores QUERY_LANGUAGES (narrowed to `candidates`); words that occur in exactly one
    corpus language's passages then arbitrate between its three best candidates, which rescues
    compounds the detector has never seen ("kundereisen").
    """
    allowed = {normalize_lang(c) for c in candidates}
    probs = {code: value.value for value in query_detector().compute_language_confidence_values(text)
             if (code := _lingua_code(value.language)) in allowed}
    total = sum(probs.values())
    probs = {code: p / total for code, p in probs.items()} if total > 0 else {}
    if not probs:  # no letters at all ("123"), or no candidate lingua knows
        return QueryLanguage(UNKNOWN, 0.0, UNKNOWN)
    if _foreign_word(text, allowed, vocabularies or {}):
        return QueryLanguage(UNKNOWN, 0.0, max(probs, key=probs.get))
    if vocabularies:
        probs = _with_corpus_evidence(text, probs, vocabularies)
    guess = max(probs, key=probs.get)
    top = min(max(probs[guess], 1e-6), 1 - 1e-6)
    slope, intercept = CALIBRATION
    confidence = round(1 / (1 + math.exp(-(slope * math.log(top / (1 - top)) + intercept))), 3)
    return QueryLanguage(guess if confidence >= MIN_CONFIDENCE else UNKNOWN, confidence, guess)


@functools.lru_cache(maxsize=16)
def _letters(candidates: frozenset[str]) -> frozenset[str]:
    """Every letter some candidate language writes (a to z and its ALPHABETS entry)."""
    return frozenset("abcdefghijklmnopqrstuvwxyz").union(*(ALPHABETS.get(c, "") for c in candidates))


def _foreign_word(text: str, candidates: set[str], vocabularies: Mapping[str, frozenset[str]]) -> bool:
    """Whether the text has a word with a letter none of the candidate languages writes (see ALPHABETS), one no
    corpus language writes either."""
    known = _letters(frozenset(candidates))
    return any(any(ch.isalpha() and ch not in known for ch in word) and not any(word in v for v in vocabularies.values())
               for word in word_tokens(text))


def _with_corpus_evidence(text: str, probs: dict[str, float], vocabularies: Mapping[str, frozenset[str]]) -> dict[str, float]:
    # The corpus vocabularies hold the lexical index's tokens; the query is cut the same way.
    words = [w for w in word_tokens(text) if len(w) >= 4 and not w.isdigit()]
    contenders = sorted(probs, key=probs.get, reverse=True)[:CORPUS_CANDIDATES]
    boosted = dict(probs)
    for word in words:
        owners = [lang for lang, vocab in vocabularies.items() if word in vocab]
        if len(owners) == 1 and owners[0] in contenders:
            boosted[owners[0]] *= math.exp(CORPUS_WEIGHT / len(words))
    total = sum(boosted.values())
    return {lang: p / total for lang, p in boosted.items()}
