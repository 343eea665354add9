"""One battery run against every vector backend: build, search, save, load."""
from __future__ import annotations

import numpy as np
import pytest

from index.vectors import BACKENDS, build_index, load_index


def unit_vectors(n: int, dim: int, seed: int = 1) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact_search_save_and_load(backend, tmp_path):
    vectors = unit_vectors(300, 16)
    ids = np.arange(300, dtype=np.int64) * 7 + 3
    index = build_index(backend, ids, vectors)
    assert index.ntotal == 300
    scores, found = index.search(vectors[:5], 4)
    assert list(found[:, 0]) == list(ids[:5])
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)
    expected = np.argsort(-(vectors[10] @ vectors.T))[:4]
    assert list(index.search(vectors[10], 4)[1][0]) == list(ids[expected])
    path = tmp_path / f"index.{backend}"
    index.save(path)
    again = load_index(backend, path)
    assert np.array_equal(again.search(vectors[:5], 4)[1], found)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_index_answers_nothing(backend):
    index = build_index(backend, np.zeros(0, np.int64), np.zeros((0, 8), np.float32))
    assert index.ntotal == 0
    assert (index.search(unit_vectors(1, 8), 3)[1] == -1).all()


def test_faiss_factory_string_builds_an_approximate_index():
    vectors = unit_vectors(2000, 32)
    index = build_index("faiss", np.arange(2000), vectors, "IVF16,Flat")
    index.set_search_params("nprobe=16")  # all lists: exact
    assert list(index.search(vectors[:3], 1)[1][:, 0]) == [0, 1, 2]


def test_numpy_backend_refuses_approximate_settings():
    with pytest.raises(ValueError):
        build_index("numpy", np.arange(3), unit_vectors(3, 4), "IVF16,Flat")


def test_an_exact_segment_ignores_the_approximate_search_knobs_of_its_index():
    # KB_FAISS_SEARCH=nprobe=... applies to every segment of an IVF index, the small ones written Flat too.
    vectors = unit_vectors(50, 16)
    index = build_index("faiss", np.arange(50), vectors, "Flat")
    index.set_search_params("nprobe=32")
    assert list(index.search(vectors[:3], 1)[1][:, 0]) == [0, 1, 2]
