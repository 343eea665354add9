"""Versions written before segments (one `kb.sqlite` per version): read once into a segmented version.

The old version stays published underneath (and is collected like any old version), so an interrupted
import leaves the index as it was; the next writer or reader imports it again.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import versions
from ..records import Chunk, Document
from . import tables


def is_legacy(manifest: dict) -> bool:
    """A version of the single-file layout (its rows in `kb.sqlite`, no segments)."""
    return "segments" not in manifest


def legacy_rows(version: versions.Version) -> Iterator[tuple[Document, list[Chunk], np.ndarray]]:
    """Every document of a legacy version with its chunks and their vectors, schema brought up to date."""
    with tempfile.TemporaryDirectory(prefix=".build-", dir=version.path.parent) as scratch:
        # The version's files are immutable (checksummed): older schemas are migrated on a copy.
        path = Path(scratch) / versions.DB_FILE
        shutil.copyfile(version.path / versions.DB_FILE, path)
        conn = tables.connect(path)
        try:
            tables.migrate(conn)
            dim = int(version.manifest["dim"])
            for doc in tables.documents(conn):
                chunks = tables.chunks_of(conn, doc.doc_id)
                yield doc, chunks, tables.vectors_by_id(conn, [c.chunk_id for c in chunks], dim)
        finally:
            conn.close()
