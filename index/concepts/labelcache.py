"""The concept catalogue's label vectors, kept between writes in this process and in a cache folder (both stores).

The cache folder may be one per machine, shared by every index on it: a file is named by everything its vectors
depend on (the embedder and every text it embedded), so indexes with other catalogues never overwrite each other's.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..embedders import Embedder
from .catalogue import Catalogue
from .lookup import ConceptIndex, embedded_texts, load_or_build_concept_index

# (cache file or None, embedder, catalogue digest) -> label vectors: a job runner writes again and again with one
# catalogue; a few entries cover a trainer's edits without holding every catalogue ever seen.
_CONCEPT_INDEXES: dict[tuple[str | None, str, str], ConceptIndex] = {}
MEMO_SIZE = 4


def concept_cache_file(cache_dir: Path, catalogue: Catalogue, embedder_name: str) -> Path:
    """Where the label vectors of `catalogue` by `embedder_name` are cached in `cache_dir`."""
    key = json.dumps([embedder_name, sorted(embedded_texts(catalogue))], ensure_ascii=False)
    return Path(cache_dir) / f"concepts-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"


def concept_index(catalogue: Catalogue, embedder: Embedder, cache_dir: Path | None,
                  reuse: Path | None = None) -> ConceptIndex:
    """Label vectors of `catalogue`: from this process, else the cache folder (if any), else embedded (the texts
    that `reuse`, a saved index of another catalogue, shares are not embedded again)."""
    path = concept_cache_file(cache_dir, catalogue, embedder.name) if cache_dir is not None else None
    key = (str(path) if path else None, embedder.name, catalogue.digest)
    if key not in _CONCEPT_INDEXES:
        # A trainer's edit changes a few texts of a catalogue this process (or the cache folder's newest file)
        # embedded already: only those are embedded (re-embedding all took 18 s per edit on PostgreSQL).
        known = {text: vector for index in _CONCEPT_INDEXES.values() if index.embedder_name == embedder.name
                 for text, vector in index.vectors().items()}
        if len(_CONCEPT_INDEXES) >= MEMO_SIZE:
            _CONCEPT_INDEXES.clear()
        _CONCEPT_INDEXES[key] = load_or_build_concept_index(catalogue, embedder, path,
                                                            reuse or _newest(cache_dir, path), known)
    return _CONCEPT_INDEXES[key]


def _newest(cache_dir: Path | None, but: Path | None) -> Path | None:
    """The cache folder's most recently written label vectors other than `but`, if any."""
    try:
        files = [f for f in Path(cache_dir).glob("concepts-*.npz") if f != but] if cache_dir is not None else []
        return max(files, key=lambda f: f.stat().st_mtime, default=None)
    except OSError:  # a file removed while looking: nothing to reuse
        return None
