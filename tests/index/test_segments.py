"""Segment invariants: ids strictly increasing and rows grouped by document, stated where segments are written,
checked by `verify`, and reads that stay right for a segment written before the invariant held."""
from __future__ import annotations

import json

import numpy as np
import pytest

from index.segments.segment import Segment, check_rows

from .test_stores import document, publish
from tests.configs import store_for


def test_check_rows_names_each_broken_invariant():
    assert check_rows(np.array([1, 2, 5]), np.array([0, 0, 1]), 2) == []
    assert "not strictly increasing" in check_rows(np.array([1, 5, 2]), np.array([0, 1, 1]), 2)[0]
    assert "grouped by document" in check_rows(np.array([1, 2, 3]), np.array([0, 1, 0]), 2)[0]
    assert "outside" in check_rows(np.array([1]), np.array([3]), 2)[0]


def test_a_writer_never_writes_a_segment_with_unsorted_ids(tmp_path):
    from index.segments.segment import NewRows, write_segment

    doc, chunks, vectors = document(1, "sv")
    chunks = [c.__class__(**{**vars(c), "chunk_id": 10 - i}) for i, c in enumerate(chunks)]
    with pytest.raises(ValueError, match="not strictly increasing"):
        write_segment(tmp_path, "s000001", NewRows([doc], chunks, vectors, []), np.zeros((1, 64), np.float32), {},
                      "faiss", "Flat", "digest")
    assert not (tmp_path / "segments" / "s000001").exists()


def test_a_segment_from_before_the_invariant_reads_right_and_verify_reports_it(tmp_path):
    store = store_for(tmp_path / "index")
    publish(store, *(document(n, "no", chunks=2, source=f"z{9 - n}.txt") for n in range(4)))
    snap = store.snapshot()
    segment = snap.parts[0][0]
    ids = [c.chunk_id for d in snap.documents() for c in snap.chunks_of(d.doc_id)]
    # Rewrite the segment's rows the way the old merge did (by document source): ids out of order.
    path = segment.path
    docs = list(reversed(segment.doc_ids))
    rows = [r for d in docs for r in range(int(segment.doc_start[segment.doc_row[d]]), int(segment.doc_end[segment.doc_row[d]]))]
    arrays = {name: np.load(path / f"{name}.npy") for name in ("ids", "lang", "content", "length", "vectors")}
    for name, array in arrays.items():
        np.save(path / f"{name}.npy", array[rows])
    np.save(path / "doc.npy", np.repeat(np.arange(len(docs), dtype=np.int32), 2))
    meta = json.loads((path / "meta.json").read_text())
    (path / "meta.json").write_text(json.dumps({**meta, "docs": docs}))
    old = Segment(tmp_path / "index", segment.name)
    assert not np.all(np.diff(np.asarray(old.ids)) > 0)
    for order in (ids, ids[::-1]):
        found, at = old.rows_of(np.asarray(order))
        assert found.all() and [int(old.ids[r]) for r in at] == order
    assert any("not strictly increasing" in p for p in old.check())


def test_versions_share_their_label_vectors_until_the_catalogue_changes(tmp_path):
    # A write of documents changes no label: its version links the base version's file instead of copying megabytes.
    from index.catalogue_writes import apply_concept_change
    from index.concepts.edit import ConceptChange
    from .test_stores import SETTINGS

    store = store_for(tmp_path / "index")
    publish(store, document(1, "sv"))
    publish(store, document(2, "no"))
    versions = sorted((tmp_path / "index" / "versions").glob("v*"))
    first, second = (v / "concepts.npz" for v in versions[-2:])
    assert first.stat().st_ino == second.stat().st_ino
    body = {"id": "five-forces", "labels": {"en": "Five forces"}, "definitions": {"en": "Porter's model."}}
    apply_concept_change(store, SETTINGS, ConceptChange("add", "five-forces", body))
    latest = sorted((tmp_path / "index" / "versions").glob("v*"))[-1] / "concepts.npz"
    assert latest.stat().st_ino != second.stat().st_ino
    snap = store.snapshot()
    assert "five-forces" in snap.concept_index(snap.catalogue()).concept_ids
    publish(store, document(3, "sv"))  # and shared again from there
    assert (sorted((tmp_path / "index" / "versions").glob("v*"))[-1] / "concepts.npz").stat().st_ino == latest.stat().st_ino
