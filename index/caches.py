"""The per-machine derived data, built in one step (`python -m index cache`) rather than on first use.

Every installed dictionary's gloss lexicon, the bridge's tables and the word classes, English and each language's
own (minutes from ten FreeDict dictionaries), and the shipped catalogue's label vectors: what a first ingest, search
or test would otherwise build in the middle of its work. Each is cached in `Config.cache_dir`, keyed by what it is
built from; cached, it is read.
"""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from .bridge import inverses
from .concepts.catalogue import load_catalogue
from .concepts.labelcache import concept_index
from .config import Config
from .embedders import DEFAULT_EMBEDDER, get_embedder
from .files import write_atomically
from .glosses import lexicons
from .glosses.lexicons import read_through
from .glosses.wordclass import word_classes


# Written once a build is complete: what it was built from, the files then in the folder, its summary.
STAMP = "complete.json"
# The code that writes the cache: a change of it may change what is cached.
_CODE = ("caches.py", "bridge.py", "text.py", "lexical.py", "glosses/*.py", "concepts/*.py", "embedders/*.py")


def cached_already(config: Config) -> list[str] | None:
    """The summary of a complete build for this machine's dictionaries, the code and the shipped catalogue, whose
    files are all still there; None where anything may be missing (read in a second, where a build takes minutes)."""
    if config.cache_dir is None:  # nothing is kept between processes
        return None
    path = config.cache_dir / STAMP
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("key") != _built_from(config):
        return None
    if not all((config.cache_dir / name).is_file() for name in stamp.get("files", [None])):
        return None  # a file deleted since, or a stamp of another shape
    return [str(line) for line in stamp.get("lines", [])]


def _built_from(config: Config) -> str:
    """A digest of what a build depends on: the dictionaries' files, the code, the embedder, the catalogue."""
    found = lexicons(config.dict_dir, config.cache_dir)
    root = Path(__file__).parent
    parts = [[lang, [[d.name, d.signature()] for d, _ in found.dictionaries(lang)]] for lang in sorted(found.available())]
    code = [hashlib.sha256(path.read_bytes()).hexdigest() for pattern in _CODE for path in sorted(root.glob(pattern))]
    whole = json.dumps([parts, code, config.embedder or DEFAULT_EMBEDDER, load_catalogue().digest])
    return hashlib.sha256(whole.encode()).hexdigest()


def _stamp(config: Config, lines: list[str]) -> None:
    files = sorted(p.name for p in config.cache_dir.iterdir()
                   if p.is_file() and p.name != STAMP and not p.name.endswith(".lock"))
    write_atomically(config.cache_dir / STAMP, json.dumps({"key": _built_from(config), "files": files,
                                                           "lines": lines}).encode())


def build_caches(config: Config) -> list[str]:
    """Build what the cache folder lacks (or read what it holds); one line per kind of data, saying what it covers."""
    found = lexicons(config.dict_dir, config.cache_dir)
    langs = sorted(found.available())
    embedder = config.embedder or DEFAULT_EMBEDDER
    # The encoder runs in native code without the interpreter lock: it embeds beside the dictionaries' Python.
    with ThreadPoolExecutor(max_workers=1) as pool:
        labels = pool.submit(lambda: concept_index(load_catalogue(), get_embedder(embedder), config.cache_dir))
        found.english_words()  # every lexicon reads it: built once, before they are
        word_classes(found).load()
        for wave in _waves(langs):
            _build_languages(config.dict_dir, config.cache_dir, wave)
        vectors = labels.result()
    lines = [f"cache folder: {config.cache_dir}",
             f"gloss lexicons and bridge tables: {', '.join(langs) or 'none (no FreeDict dictionary installed)'}",
             f"concept label vectors: {len(vectors.terms)} wordings of the shipped catalogue ({embedder})"]
    if config.cache_dir is not None:
        _stamp(config, lines)
    return lines


def _waves(langs: list[str]) -> list[list[str]]:
    """The languages in rounds: a lexicon read through another language's comes in a round after that one's."""
    waves, done = [], set()
    while len(done) < len(langs):
        wave = [lang for lang in langs if lang not in done and read_through(lang) & set(langs) <= done]
        waves.append(wave or [lang for lang in langs if lang not in done])  # a cycle: build the rest together
        done.update(waves[-1])
    return waves


def _build_languages(dict_dir: Path, cache_dir: Path | None, langs: list[str]) -> None:
    """Build the languages' lexicons and inverse tables, one process per language up to the machine's cores:
    reading dictionaries is pure Python, one core per process."""
    workers = min(len(langs), os.cpu_count() or 1)
    if workers <= 1:
        for lang in langs:
            _build_language(dict_dir, cache_dir, lang)
        return
    # Spawned, not forked: this process runs the encoder's thread meanwhile.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_log_at,
                             initargs=(logging.getLogger().getEffectiveLevel(),)) as pool:
        list(pool.map(_build_language, [dict_dir] * len(langs), [cache_dir] * len(langs), langs))


def _log_at(level: int) -> None:
    """A spawned process logs its progress as this one does (a fresh interpreter logs nothing below warnings)."""
    logging.basicConfig(level=level, format="%(levelname)s %(message)s")


def _build_language(dict_dir: Path, cache_dir: Path | None, lang: str) -> None:
    """One language's lexicon (a query in it is glossed into English) and inverse table (a query is rendered into it)."""
    found = lexicons(dict_dir, cache_dir)
    found.get(lang)
    inverses(found).get(lang)
