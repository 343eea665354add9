"""FAISS backend: exact inner product by default, any FAISS factory string for large corpora."""
from __future__ import annotations

import logging
import re
from pathlib import Path

# Which CPU build FAISS loads ("Could not load library with AVX512 support", six lines a process) is no news to an
# operator reading a server's or job runner's log.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)

import faiss  # noqa: E402  (after its loader's logger is quietened)
import numpy as np

from ..errors import InvalidSetting

DEFAULT_FACTORY = "Flat"


def default_search_params(factory: str) -> str:
    """Search knobs that keep recall@10 above 0.95 on 100k clustered vectors (see `make bench`)."""
    if factory.startswith("IVF"):
        return "nprobe=128"
    if factory.startswith("HNSW"):
        return "efSearch=64"
    return ""


class FaissIndex:
    """A FAISS index wrapped in an id map so that search answers chunk ids directly."""

    name = "faiss"

    def __init__(self, index: "faiss.Index") -> None:
        self._index = index
        self._params: dict[str, float] = {}
        self._excluded: tuple[np.ndarray | None, object] = (None, None)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, factory: str = DEFAULT_FACTORY) -> "FaissIndex":
        """Build from chunk ids and vectors; trainable factories (IVF, PQ) train on the vectors themselves."""
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 0
        inner = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not inner.is_trained and len(vectors):
            inner.train(vectors)
        index = faiss.IndexIDMap2(inner)
        if len(vectors):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> "FaissIndex":
        """Read an index written by `save`."""
        return cls(faiss.read_index(str(path)))

    @property
    def ntotal(self) -> int:
        """Number of vectors held."""
        return int(self._index.ntotal)

    def set_search_params(self, params: str) -> None:
        """Approximate-search knobs as FAISS spells them, e.g. "nprobe=128" (IVF) or "efSearch=64" (HNSW)."""
        inner = faiss.downcast_index(self._index.index)
        # Exact search has no knobs: a small segment written Flat beside IVF ones ignores the index's nprobe.
        if params and not isinstance(inner, faiss.IndexFlat):
            faiss.ParameterSpace().set_index_parameters(inner, params)
            self._params = {k.strip(): float(v) for k, v in (p.split("=") for p in params.split(","))}

    def _search_parameters(self, exclude: np.ndarray) -> "faiss.SearchParameters":
        # A selector per deletion set, built once: the same array comes back for every search of a version.
        if self._excluded[0] is not exclude:
            self._excluded = (exclude, faiss.IDSelectorNot(faiss.IDSelectorBatch(np.ascontiguousarray(exclude, np.int64))))
        selector = self._excluded[1]
        inner = faiss.downcast_index(self._index.index)
        if isinstance(inner, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=selector, nprobe=int(self._params.get("nprobe", inner.nprobe)))
        if isinstance(inner, faiss.IndexHNSW):
            return faiss.SearchParametersHNSW(sel=selector, efSearch=int(self._params.get("efSearch", inner.hnsw.efSearch)))
        return faiss.SearchParameters(sel=selector)

    def search(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids by inner product, never those in `exclude`."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.ntotal == 0:
            n = len(queries)
            return np.zeros((n, k), np.float32), np.full((n, k), -1, np.int64)
        params = self._search_parameters(exclude) if exclude is not None and len(exclude) else None
        if len(queries) > 1:
            return self._index.search(queries, k, params=params)
        # For one query, OpenMP's thread start-up costs more than the scan itself (measured 4x on 2 cores).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._index.search(queries, k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)

    def save(self, path: Path) -> None:
        """Write to one file."""
        faiss.write_index(self._index, str(path))


def check_factory(factory: str, dim: int) -> None:
    """Raise InvalidSetting unless FAISS can build `factory` for vectors of `dim` dimensions."""
    try:
        faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise InvalidSetting(f"invalid FAISS factory {factory!r} for {dim}-dimensional vectors: {_faiss_message(exc)}") from None


def _faiss_message(exc: Exception) -> str:
    # FAISS errors carry a C++ signature and source position before the message itself.
    text = " ".join(str(exc).split())
    found = re.search(r" at \S+:\d+: (?:Error: '[^']*' failed: )?(.*)$", text)
    return found.group(1) if found else text

