"""What a PostgreSQL store hands its writers and snapshots: the database and the folders they read."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...pgconn import Database


@dataclass
class Handle:
    """The store's URL and connection pool, its cache and dictionary folders, and its HNSW search breadth.

    `cache_dir` keeps derived data between runs (label vectors, dictionary lexicons; None: nothing kept);
    `ef_search` is the HNSW candidates examined per query, at least (more when more results are asked for).
    """

    url: str
    db: Database
    cache_dir: Path | None
    dict_dir: Path
    ef_search: int
