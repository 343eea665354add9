"""Where an index lives: the embedded store (segments in a folder) or PostgreSQL (`KB_DATABASE_URL`)."""
from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..embedders import DEFAULT_EMBEDDER
from ..errors import IndexNotFound, MissingPackage
from ..files import check_folder
from ..protocols import Snapshot, Store, Writer
from ..records import DocHead, GroundedPassage, IndexSettings, Passage, Published


def open_store(config: Config) -> Store:
    """The PostgreSQL store when `config.database_url` is set, else the embedded store in `config.index_dir`."""
    check_folder(Path(config.index_dir))  # uploads and the job queue live there with either store
    if config.database_url:
        try:  # psycopg and pgvector load only for a PostgreSQL index, and are an optional package set
            from .postgres import PostgresStore
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"KB_DATABASE_URL needs the PostgreSQL packages ({exc}): "
                                 "pip install -r requirements-scale.txt") from None

        return PostgresStore(config.database_url, cache_dir=config.cache_dir, dict_dir=config.dict_dir,
                             ef_search=config.pg_ef_search, statement_timeout=config.pg_statement_timeout_s)
    from .embedded import EmbeddedStore  # FAISS loads only for an embedded index

    return EmbeddedStore(config.index_dir, cache_dir=config.cache_dir, dict_dir=config.dict_dir)


def index_settings(config: Config, embedder: str | None = None, factory: str | None = None,
                   backend: str | None = None) -> IndexSettings:
    """How to write an index: explicit arguments first (an index's own embedder and backend), then `config`.

    An explicit `factory` applies at the next publish; `config.faiss_factory` only to new or rebuilt indexes.
    """
    return IndexSettings(
        embedder=embedder or config.embedder or DEFAULT_EMBEDDER, backend=backend or config.vector_backend,
        factory=factory or None, default_factory=config.faiss_factory, search_params=config.faiss_search,
        keep=config.keep_versions, suggest=config.suggest,
    )


def write_settings(store: Store, config: Config) -> IndexSettings:
    """Settings to write `store`'s index: its own embedder and backend, the rest (all, for a new index) from `config`."""
    try:
        manifest = store.snapshot().manifest
    except IndexNotFound:
        return index_settings(config)
    return index_settings(config, embedder=manifest["embedder"], backend=manifest["backend"])


__all__ = ["DocHead", "GroundedPassage", "IndexSettings", "Passage", "Published", "Snapshot", "Store", "Writer",
           "index_settings", "open_store", "write_settings"]
