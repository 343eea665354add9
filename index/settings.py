"""Settings read from the environment, shared by every CLI and the web app."""
from __future__ import annotations

import os
from pathlib import Path

from . import versions
from .embedders import DEFAULT_EMBEDDER
from .errors import IndexNotFound, InvalidSetting
from .glosses import DEFAULT_DICT_DIR
from .segments.layout import outside
from .stores.base import IndexSettings


def index_dir() -> Path:
    """`$KB_INDEX_DIR`, else `data/index`."""
    return Path(os.environ.get("KB_INDEX_DIR") or "data/index")


def embedder_name() -> str:
    """`$KB_EMBEDDER`, else the bundled e5-small."""
    return os.environ.get("KB_EMBEDDER") or DEFAULT_EMBEDDER


DEFAULT_INGEST_ENGINE = "local"


def ingest_engine() -> str:
    """`$KB_INGEST_ENGINE` (`local` or `ray`), else `local`: where ingest parses, chunks and embeds."""
    return os.environ.get("KB_INGEST_ENGINE") or DEFAULT_INGEST_ENGINE


def keep_versions() -> int:
    """`$KB_KEEP_VERSIONS` (at least 1), else 3."""
    raw = os.environ.get("KB_KEEP_VERSIONS") or str(versions.DEFAULT_KEEP)
    if not raw.strip().isdigit() or int(raw) < 1:
        raise InvalidSetting(f"KB_KEEP_VERSIONS={raw!r}: need a whole number of versions, at least 1")
    return int(raw)


def index_settings(embedder: str | None = None, factory: str | None = None, backend: str | None = None) -> IndexSettings:
    """Build settings: explicit arguments first, then `$KB_*` variables, then defaults.

    An explicit `factory` applies at the next publish; `$KB_FAISS_FACTORY` only to new or rebuilt indexes.
    """
    return IndexSettings(
        embedder=embedder or embedder_name(),
        backend=backend or os.environ.get("KB_VECTOR_BACKEND") or "faiss",
        factory=factory or None,
        default_factory=os.environ.get("KB_FAISS_FACTORY") or "Flat",
        search_params=os.environ.get("KB_FAISS_SEARCH") or None,
        keep=keep_versions(),
        suggest=os.environ.get("KB_SUGGEST", "1").strip().lower() not in ("0", "false", "no", "off"),
    )


def dict_dir() -> Path:
    """`$KB_DICT_DIR`, else Debian's dictd folder, where `dict-freedict-*` install their dictionaries."""
    return Path(os.environ.get("KB_DICT_DIR") or DEFAULT_DICT_DIR)


def cache_dir() -> Path:
    """`$KB_CACHE_DIR`, else one folder per machine (`$XDG_CACHE_HOME/kb`, else `~/.cache/kb`): derived data
    (gloss lexicons, concept-label vectors) shared by every index, each file keyed by what it was built from."""
    explicit = os.environ.get("KB_CACHE_DIR")
    return Path(explicit) if explicit else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kb"


# Calibrated on the project's eval sets (README, "How ranking works"): every expected answer of
# the seed sets scores above 0.09, every relevant document of the Debian Reference set above 0.27
# and within half of its query's best score.
DEFAULT_MIN_SCORE = 0.06
DEFAULT_MIN_SCORE_RATIO = 0.35


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def min_score() -> float:
    """`$KB_MIN_SCORE`: results scoring below it are not shown (hybrid and dense modes)."""
    return _number("KB_MIN_SCORE", DEFAULT_MIN_SCORE)


def min_score_ratio() -> float:
    """`$KB_MIN_SCORE_RATIO`: results scoring below this share of the query's best are not shown."""
    return _number("KB_MIN_SCORE_RATIO", DEFAULT_MIN_SCORE_RATIO)


def database_url() -> str | None:
    """`$KB_DATABASE_URL` (postgresql://...): serve and write the index in PostgreSQL instead of `KB_INDEX_DIR`."""
    raw = os.environ.get("KB_DATABASE_URL") or None
    if raw and not raw.startswith(("postgresql://", "postgres://")):
        raise InvalidSetting(f"KB_DATABASE_URL={raw!r}: need a postgresql:// URL")
    return raw


def settings_of(index_dir: Path) -> IndexSettings:
    """Settings to write the index (in `$KB_DATABASE_URL`'s database, else in `index_dir`): its own embedder and
    backend, the rest (or all, for a new index) from `$KB_*`."""
    try:
        if database_url():
            from .stores import open_store  # stores read these settings

            manifest = open_store(index_dir, database_url()).snapshot().manifest
        else:
            manifest = versions.open_current(index_dir, shallow=outside)[0].manifest  # not every segment's checksum
    except IndexNotFound:
        return index_settings()
    return index_settings(embedder=manifest["embedder"], backend=manifest["backend"])
