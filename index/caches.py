"""The per-machine derived data, built in one step (`python -m index cache`) rather than on first use.

Every installed dictionary's gloss lexicon, the bridge's tables and the word classes, English and each language's
own (minutes from ten FreeDict dictionaries), and the shipped catalogue's label vectors: what a first ingest, search
or test would otherwise build in the middle of its work. Each is cached in `Config.cache_dir`, keyed by what it is
built from; cached, it is read.
"""
from __future__ import annotations

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
from .glosses import lexicons
from .glosses.lexicons import read_through
from .glosses.wordclass import word_classes


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
    return [f"cache folder: {config.cache_dir}",
            f"gloss lexicons and bridge tables: {', '.join(langs) or 'none (no FreeDict dictionary installed)'}",
            f"concept label vectors: {len(vectors.terms)} wordings of the shipped catalogue ({embedder})"]


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
