"""Language detection for documents, chunks and short queries (seeded langdetect plus priors)."""
from __future__ import annotations

import re
from typing import Iterable, Mapping

from langdetect import DetectorFactory, detect_langs, detector_factory
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0  # langdetect samples n-grams at random; a fixed seed makes it deterministic

UNKNOWN = "und"
# Norwegian comes back as `no` from langdetect; Bokmål and Nynorsk codes fold into it so filters agree.
ALIASES = {"nb": "no", "nn": "no"}
# Languages whose queries we expect; on short texts langdetect's guesses are confined to these.
QUERY_LANGUAGES = ("en", "de", "fr", "da", "no", "sv", "nl", "es", "it", "pt")
_WORD = re.compile(r"\w+", re.UNICODE)


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
    # Three sampling trials instead of seven: a passage has enough text to converge, and ingest
    # runs this once per chunk.
    probs = _probabilities(text, trials=3)
    best = max(probs, key=probs.get) if probs else whole
    return best if probs.get(best, 0.0) >= min_prob else whole


def detect_query(
    text: str,
    vocabularies: Mapping[str, frozenset[str]] | None = None,
    candidates: Iterable[str] = QUERY_LANGUAGES,
) -> tuple[str, float]:
    """Detect a short query's language; returns (code, confidence in 0..1).

    langdetect alone is unreliable on a few words, so its verdict is confined to plausible
    languages (query languages and the corpus's own), and words of four letters or more that
    occur in exactly one corpus language's documents add evidence for it: that
    rescues compounds langdetect has never seen ("kundintimitet") without letting an English
    phrase quoted in a Dutch article ("customer lock-on") turn English queries Dutch.
    """
    allowed = {normalize_lang(c) for c in candidates} | set(vocabularies or ())
    # langdetect's belief restricted to plausible languages, not renormalised: when it takes a
    # compound for Albanian or Tagalog, little mass remains and the vocabulary evidence decides.
    scores = {k: p for k, p in _probabilities(text).items() if k in allowed}
    words = [w.lower() for w in _WORD.findall(text) if len(w) >= 4 and not w.isdigit()]
    if vocabularies and words:
        for word in words:
            owners = [lang for lang, vocab in vocabularies.items() if word in vocab]
            if len(owners) == 1:
                # Worth less than a confident langdetect verdict, more than an unsure one.
                scores[owners[0]] = scores.get(owners[0], 0.0) + 0.75 / len(words)
    if not scores or max(scores.values()) <= 0:
        return UNKNOWN, 0.0
    best = max(scores, key=scores.get)
    return best, round(min(1.0, scores[best] / max(1.0, sum(scores.values()))), 3)
