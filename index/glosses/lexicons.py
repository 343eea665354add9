"""Which dictionaries each passage language's lexicon is built from, and the lexicons of a dictionary folder, loaded
once per process and cached on disk."""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
import os
import tempfile
import threading
import time
from pathlib import Path

from ..files import exclusive_lock
from .freedict import Dictionary, DictionaryError
from .lexicon import ENGLISH, Lexicon
from .english import PhraseSet
from .senses import build_english, build_english_phrases, build_lexicon
from .wordlists import common_word_senses, computing_register, function_word_senses

log = logging.getLogger(__name__)

_FORMAT = 27
BUILD_WAIT_S = 600.0  # the longest build (the German lexicon) takes about a minute on a busy 2-core machine
# Per passage language, the dictionaries to read, most trusted first; those not installed are skipped.
# Norwegian has no FreeDict nor-eng, so eng-nor is read backwards; Danish spelling is close enough to Bokmål to
# fill its gaps. Swedish, whose swe-eng has only 5,000 words, is read through swe-nor into eng-nor (företag ->
# bedrift -> company) and borrows Norwegian and Danish cognates ("forstå" for förstå, "løsning" for lösning):
# the three languages share most of their vocabulary, spelt a little differently; Norwegian and Danish read
# swe-nor backwards through the Swedish lexicon, and that lexicon's words as cognates ("lexicon:sv", named after
# the dictionary it needs). German reads swe-deu and nld-deu backwards through the Swedish and Dutch lexicons, whose
# agreement puts deu-eng's everyday sense first (Kunde: customer, not lore; Fenster: window, not box).
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "sv": (("swe-eng", "forward"), ("swe-nor", "bridge:eng-nor"), ("swe-deu", "bridge:deu-eng"), ("eng-swe", "reverse"),
           ("eng-nor", "reverse>cognates"), ("dan-eng", "forward>cognates")),
    "nl": (("nld-eng", "forward"), ("eng-nld", "reverse"), ("nld-deu", "bridge:deu-eng")),
    "da": (("dan-eng", "forward"), ("eng-nor", "reverse>cognates"), ("swe-nor", "through:sv>cognates"),
           ("swe-nor", "lexicon:sv>cognates")),
    "de": (("deu-eng", "forward"), ("swe-deu", "through:sv"), ("nld-deu", "through:nl")),
    "no": (("eng-nor", "reverse"), ("swe-nor", "through:sv"), ("dan-eng", "forward>cognates"),
           ("swe-nor", "lexicon:sv>cognates")),
}
# Sister languages whose lexicons gloss a word its own dictionaries lack, spelt their way (see spelling.py): Danish has
# only the small dan-eng of its own.
KIN = {"da": ("no", "sv")}
# Where the English vocabulary comes from: a word missing from a passage language's dictionary but
# listed on the English side of these ("business", "digital", "segment") is English already.
ENGLISH_SOURCES = (("eng-nor", "headwords"), ("swe-eng", "glosses"), ("nld-eng", "glosses"),
                   ("dan-eng", "glosses"), ("deu-eng", "glosses"))


def read_through(lang: str) -> set[str]:
    """The passage languages whose lexicons the lexicon of `lang` is built from (Norwegian's: Swedish)."""
    hows = (direction.partition(">")[0] for _, direction in SOURCES.get(lang, ()))
    return {how.split(":", 1)[1] for how in hows if how.startswith(("through:", "lexicon:"))}


class Lexicons:
    """The lexicons of one dictionary folder, loaded lazily per language and cached on disk.

    A language whose dictionaries are all missing has no lexicon: glossing falls back to concepts alone.
    """

    def __init__(self, dict_dir: Path, cache_dir: Path | None) -> None:
        self.dict_dir = Path(dict_dir)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._loaded: dict[str, Lexicon | None] = {}
        self._english: dict[str, int] | None = None
        self._english_phrases: PhraseSet | None = None
        self._english_stems: dict[str, str] = {}  # filled by the first lexicon that needs it
        self._lock = threading.RLock()  # a lexicon built through another language's loads that one first

    def available(self) -> dict[str, list[str]]:
        """Per passage language, the dictionaries present on disk."""
        return {lang: names for lang in SOURCES if (names := list(dict.fromkeys(d.name for d, _ in self.dictionaries(lang))))}

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
            english = self.english_words()
            lexicon = _cached(self._cache_path(lang, self._dependencies(dictionaries) + self._english_dictionaries()),
                              f"the {lang} gloss lexicon from {', '.join(d.name for d, _ in dictionaries)}",
                              lambda: build_lexicon(lang, dictionaries, english, self.get), Lexicon.to_data,
                              Lexicon.from_data, english, self._english_stems)
            lexicon.kin = tuple(kin for kin in map(self.get, KIN.get(lang, ())) if kin is not None)
            lexicon.use_word_lists(function_word_senses(lang), common_word_senses(lang), computing_register(lang))
            lexicon.english_phrases = self.english_phrases()
            return lexicon
        except DictionaryError as exc:
            log.warning("%s: concept glosses only for %s", exc, lang)
            return None

    def _dependencies(self, dictionaries: list[tuple[Dictionary, str]]) -> list[tuple[Dictionary, str]]:
        """The dictionaries a lexicon is built from: its own, the bridges they lead through, and the lexicons of
        the languages it is read through (a cache is stale when any of them changes)."""
        found = list(dictionaries)
        for _, direction in dictionaries:
            how = direction.partition(">")[0]
            if how.startswith("bridge:") and (bridge := Dictionary(how.split(":", 1)[1], self.dict_dir)).exists():
                found.append((bridge, "bridged"))
            elif how.startswith(("through:", "lexicon:")):
                found.extend(self._dependencies(self.dictionaries(how.split(":", 1)[1])))
        return found

    def _english_dictionaries(self) -> list[tuple[Dictionary, str]]:
        present = [(Dictionary(name, self.dict_dir), side) for name, side in ENGLISH_SOURCES]
        return [(d, side) for d, side in present if d.exists()]

    def english_words(self) -> dict[str, int]:
        """The English vocabulary every lexicon reads (see `build_english`), built first and once."""
        if self._english is None:
            present = self._english_dictionaries()
            self._english = _cached(self._cache_path(ENGLISH, present),
                                    f"the English vocabulary from {', '.join(d.name for d, _ in present)}",
                                    lambda: build_english(present), dict, dict) if present else {}
        return self._english

    def english_phrases(self) -> PhraseSet:
        """The English two-word compounds the dictionaries write (see `build_english_phrases`), built once."""
        if self._english_phrases is None:
            present = self._english_dictionaries()
            self._english_phrases = _cached(self._cache_path("english-phrases", present),
                                            f"English compounds from {', '.join(d.name for d, _ in present)}",
                                            lambda: build_english_phrases(present), PhraseSet.to_bytes,
                                            PhraseSet.from_bytes) if present else PhraseSet.of(())
        return self._english_phrases

    def cached(self, name: str, dictionaries: list[tuple[Dictionary, str]], build):
        """A table of plain data (dicts, lists, tuples, strings, numbers) built from some dictionaries, cached on
        disk beside the lexicons."""
        return _cached(self._cache_path(name, dictionaries), f"{name} from {', '.join(d.name for d, _ in dictionaries)}",
                       build, lambda v: v, lambda v: v)

    def _cache_path(self, name: str, dictionaries: list[tuple[Dictionary, str]]) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([_FORMAT, name, [[d.name, how, d.signature()] for d, how in dictionaries]])
        return self.cache_dir / f"glosses-{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.marshal"


def _cached(path: Path | None, what: str, build, dump, load, *extra):
    """`load(cached data, *extra)` from `path` when it is there and readable, else build `what`, cache and return it.

    The cache is marshal, not JSON: it keeps tuples and strings shared within a table as they were (see
    `Lexicon.to_data`), loads twice as fast (German: 0.6 s against 1.3 s), and builds nothing but data (no code
    runs, unlike pickle). Processes that miss the same cache at once (a first `make run`: web workers, the job
    runner) build it once: the others wait for it, up to `BUILD_WAIT_S`."""
    if path is None:
        return load(_built(what, build, dump, "not cached"), *extra)
    if (found := _read(path, load, extra)) is not _MISSING:
        return found
    waiting = contextlib.ExitStack()
    try:
        waiting.enter_context(exclusive_lock(path.with_name(path.name + ".lock"), BUILD_WAIT_S, lambda: TimeoutError(
            f"its build lock was not to be had (waited up to {BUILD_WAIT_S:.0f} s)")))
    except (TimeoutError, OSError) as exc:  # a read-only cache folder, a build that outlasts the wait: build here
        log.warning("building %s without waiting for another process's build: %s", what, exc)
    with waiting:
        if (found := _read(path, load, extra, quiet=True)) is not _MISSING:  # another process built it meanwhile
            return found
        data = _built(what, build, dump, f"cached in {path.parent}")
        _write_cache(path, marshal.dumps(data))
    return load(data, *extra)


_MISSING = object()


def _read(path: Path, load, extra: tuple, quiet: bool = False):
    """What the cache at `path` holds, loaded; `_MISSING` when it is not there or unreadable (rebuilt then, which
    the first look says unless `quiet`)."""
    try:
        return load(marshal.loads(path.read_bytes()), *extra)
    except FileNotFoundError:
        return _MISSING
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        if not quiet:
            log.warning("rebuilding the unreadable gloss cache %s: %s", path, exc)
        return _MISSING


def _built(what: str, build, dump, where: str):
    """`dump(build())`, saying so: seconds to a minute per language, once per machine (the cache folder is shared)."""
    log.info("building %s (once; %s)...", what, where)
    started = time.monotonic()
    value = build()
    log.info("built %s in %.1f s", what, time.monotonic() - started)
    return dump(value)


def _write_cache(path: Path, data: bytes) -> None:
    # Written beside and renamed, so a reader never sees half a file; a read-only cache folder only costs time.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as exc:
        log.warning("cannot cache glosses in %s: %s", path.parent, exc)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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

