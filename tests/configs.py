"""Configurations for tests: the test environment's settings (its private cache folder) with an index directory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from index.config import Config
from index.stores import Store, open_store


def config_for(index_dir: Path, **changes: Any) -> Config:
    """The environment's configuration, serving or writing `index_dir`."""
    return Config.from_env().replace(index_dir=Path(index_dir), **changes)


def store_for(index_dir: Path, **changes: Any) -> Store:
    """The store of `index_dir` (or of the database given as `database_url`)."""
    return open_store(config_for(index_dir, **changes))
