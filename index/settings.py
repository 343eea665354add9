"""Settings read from the environment, shared by every CLI and the web app."""
from __future__ import annotations

import os
from pathlib import Path

from . import versions
from .embedders import DEFAULT_EMBEDDER
from .errors import InvalidSetting
from .glosses import DEFAULT_DICT_DIR
from .writer import IndexSettings


def index_dir() -> Path:
    """`$KB_INDEX_DIR`, else `data/index`."""
    return Path(os.environ.get("KB_INDEX_DIR") or "data/index")


def embedder_name() -> str:
    """`$KB_EMBEDDER`, else the bundled e5-small."""
    return os.environ.get("KB_EMBEDDER") or DEFAULT_EMBEDDER


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
    )


def dict_dir() -> Path:
    """`$KB_DICT_DIR`, else Debian's dictd folder, where `dict-freedict-*` install their dictionaries."""
    return Path(os.environ.get("KB_DICT_DIR") or DEFAULT_DICT_DIR)


def cache_dir(index_dir: Path) -> Path:
    """`$KB_CACHE_DIR`, else `<index dir>/cache`: derived data (label vectors, gloss lexicons) kept between runs."""
    return Path(os.environ.get("KB_CACHE_DIR") or Path(index_dir) / "cache")
