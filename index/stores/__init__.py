"""Where an index lives: the embedded store (segments in a folder) or PostgreSQL (`KB_DATABASE_URL`)."""
from __future__ import annotations

from pathlib import Path

from ..glosses import DEFAULT_DICT_DIR
from ..protocols import Snapshot, Store, Writer
from ..records import DocHead, GroundedPassage, IndexSettings, Passage, Published
from .embedded import EmbeddedStore


def open_store(index_dir: Path, database_url: str | None = None, *, cache_dir: Path | None = None,
               dict_dir: Path = DEFAULT_DICT_DIR) -> Store:
    """The PostgreSQL store when `database_url` is given, else the embedded store in `index_dir` (its writers keep
    derived data in `cache_dir` and read dictionaries in `dict_dir`)."""
    if database_url:
        from .postgres import PostgresStore  # psycopg is loaded only where PostgreSQL is used

        return PostgresStore(database_url)
    return EmbeddedStore(Path(index_dir), cache_dir=cache_dir, dict_dir=dict_dir)


__all__ = ["DocHead", "GroundedPassage", "IndexSettings", "Passage", "Published", "Snapshot", "Store", "Writer",
           "open_store"]
