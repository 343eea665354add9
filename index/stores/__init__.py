"""Where an index lives: the embedded store (segments in a folder) or PostgreSQL (`KB_DATABASE_URL`)."""
from __future__ import annotations

from pathlib import Path

from ..errors import MissingPackage
from .base import DocHead, GroundedPassage, IndexSettings, Passage, Published, Snapshot, Store, Writer


def open_store(index_dir: Path, database_url: str | None = None) -> Store:
    """The PostgreSQL store when `database_url` is given, else the embedded store in `index_dir`."""
    if database_url:
        try:
            from .postgres import PostgresStore
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"KB_DATABASE_URL needs the PostgreSQL packages ({exc}): "
                                 "pip install -r requirements-scale.txt") from None

        return PostgresStore(database_url)
    from .embedded import EmbeddedStore

    return EmbeddedStore(Path(index_dir))


__all__ = ["DocHead", "GroundedPassage", "IndexSettings", "Passage", "Published", "Snapshot", "Store", "Writer",
           "open_store"]
