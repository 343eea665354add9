"""Soak through the real stack: dozens of uploads and deletes through the API and the job runner, inline
merges and `python -m index merge` meanwhile, then every document searched by its own word in every mode,
every document read, every deleted one gone, and `python -m index verify` reading back every passage.

`make soak` runs the same with thousands of writes (eval/soak.py); this test keeps 80, enough for inline merges
(tiers of ten) and two `index merge` runs, and is slow (minutes) because every write is a real job through the stack.
"""
from __future__ import annotations

import pytest

from eval.soak import TOKEN, soak

from conftest import serving  # tests/webapp/conftest.py

pytestmark = pytest.mark.slow


def test_many_writes_then_every_document_and_passage_reads_back(index_copy, tmp_path):
    env = {"KB_ADMIN_TOKEN": TOKEN}
    with serving(index_copy, tmp_path / "run", env) as server:
        figures = soak(server.base, index_copy, env, writes=80, threads=8, delete_share=0.25, run=7)
    print(figures.summary())
    assert figures.errors == [] and figures.failed_jobs == []
    assert figures.live >= 45 and figures.deleted >= 8
    assert figures.found == {"hybrid": figures.live, "dense": figures.live, "lexical": figures.live}, figures.missed
    assert figures.read == figures.live and figures.gone == figures.deleted
    assert figures.verify_ok, figures.verify
    assert f"{figures.live + 5} documents" in figures.verify  # the seeds and every live upload, read back
