"""Ingest end to end: the seeds, incremental updates, pruning, bad input, and a killed ingest."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import versions
from index.service import KnowledgeBase
from ingest.__main__ import main as ingest_main
from ingest.pipeline import doc_id_for, ingest
from tests.configs import config_for, store_for

ROOT = Path(__file__).resolve().parents[2]


def current(index_dir: Path):
    """The published version as readers see it."""
    return store_for(index_dir).snapshot()


def all_chunks(snapshot) -> list:
    return [c for d in snapshot.documents() for c in snapshot.chunks_of(d.doc_id)]


def test_seeds_give_five_documents_in_three_languages(seed_index):
    snap = current(seed_index)
    docs = snap.documents()
    assert len(docs) == 5
    assert {d.source: d.lang for d in docs} == {
        "000_9d0087e6402345a6.txt": "no",
        "001_dbbcd15ebb0b1974.txt": "no",
        "002_2866088025c4b51b.txt": "sv",
        "003_6fe408ee2d0752fd.txt": "no",
        "004_d0c1bd57fb5bdf5c.txt": "nl",
    }
    assert all(d.doc_id == doc_id_for(d.source) for d in docs)
    # From seeds/metadata.json: authors and publishers where the articles name them; an article about someone's work
    # (Vandermerwe's talk, Siggelkow and Terwiesch's book) has no author to cite.
    by_source = {d.source: d for d in docs}
    assert all(d.title for d in docs)
    assert by_source["003_6fe408ee2d0752fd.txt"].authors == ["Peter Thomasson"]
    assert by_source["003_6fe408ee2d0752fd.txt"].publisher == "SAS Institute"
    assert not by_source["004_d0c1bd57fb5bdf5c.txt"].authors
    assert all(d.original_name == d.source for d in docs)  # a folder's file is its own original


def test_chunks_cover_cleaned_text_with_exact_offsets(seed_index):
    snap = current(seed_index)
    for doc in snap.documents():
        chunks = snap.chunks_of(doc.doc_id)
        assert chunks and all(doc.text[c.start : c.end] == c.text for c in chunks)
        covered = {i for c in chunks for i in range(c.start, c.end)}
        assert covered >= {i for i, ch in enumerate(doc.text) if not ch.isspace()}
        assert {c.lang for c in chunks} <= {"no", "sv", "nl", "da"}


def test_boilerplate_is_gone(seed_index):
    snap = current(seed_index)
    assert all("Your Content Goes Here" not in d.text for d in snap.documents())
    assert not any("Your Content Goes Here" in c.text for c in all_chunks(snap))


def test_overlap_stays_modest(seed_index):
    snap = current(seed_index)
    chunk_chars = sum(len(c.text) for c in all_chunks(snap))
    doc_chars = sum(len(d.text) for d in snap.documents())
    assert chunk_chars <= 1.25 * doc_chars


@pytest.fixture
def corpus(tmp_path, seeds_dir) -> Path:
    folder = tmp_path / "corpus"
    (folder / "nl").mkdir(parents=True)
    shutil.copy(seeds_dir / "004_d0c1bd57fb5bdf5c.txt", folder / "nl" / "lock-on.txt")
    (folder / "kort.md").write_text("# Lojalitet\n\nKunder som stoler på deg kommer tilbake gang på gang.\n", encoding="utf-8")
    return folder


def test_incremental_skip_replace_prune(corpus, tmp_path):
    index_dir = tmp_path / "index"
    first = ingest([corpus], store_for(index_dir), progress=False)
    assert (first.added, first.total_documents) == (2, 2)
    snap = current(index_dir)
    assert {d.source for d in snap.documents()} == {"nl/lock-on.txt", "kort.md"}
    lock_on_chunks = {c.chunk_id for c in snap.chunks_of(doc_id_for("nl/lock-on.txt"))}

    again = ingest([corpus], store_for(index_dir), progress=False)
    assert (again.added, again.updated, again.unchanged, again.version) == (0, 0, 2, None)
    assert versions.current_name(index_dir) == first.version

    (corpus / "kort.md").write_text("# Lojalitet\n\nTillit må vinnes om og om igjen, skriver han.\n", encoding="utf-8")
    changed = ingest([corpus], store_for(index_dir), progress=False)
    assert (changed.updated, changed.unchanged, changed.chunks_embedded) == (1, 1, 1)
    snap = current(index_dir)
    assert {c.chunk_id for c in snap.chunks_of(doc_id_for("nl/lock-on.txt"))} == lock_on_chunks
    assert "Tillit må vinnes" in snap.document(doc_id_for("kort.md")).text

    (corpus / "kort.md").unlink()
    kept = ingest([corpus], store_for(index_dir), progress=False)
    assert kept.total_documents == 2  # without --prune nothing is removed
    pruned = ingest([corpus], store_for(index_dir), prune=True, progress=False)
    assert (pruned.removed, pruned.total_documents) == (1, 1)
    snap = current(index_dir)
    assert snap.document(doc_id_for("kort.md")) is None
    assert snap.chunks_of(doc_id_for("kort.md")) == [] and doc_id_for("kort.md") not in snap.chunk_counts()


def test_bad_inputs_are_reported_and_the_rest_ingested(tmp_path, capsys, seeds_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(seeds_dir / "003_6fe408ee2d0752fd.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing here")
    code = ingest_main([str(folder), str(tmp_path / "missing"), "--index-dir", str(tmp_path / "index"), "-q"])
    err = capsys.readouterr().err
    assert code == 3
    for name in ("empty.txt", "binary.txt", "image.png", "broken.pdf", "missing"):
        assert name in err
    assert "Traceback" not in err
    assert KnowledgeBase(config_for(tmp_path / "index")).stats()["documents"] == 1


def test_nothing_ingestible_exits_non_zero(tmp_path, capsys):
    (tmp_path / "only.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert ingest_main([str(tmp_path / "only.png"), "--index-dir", str(tmp_path / "index"), "-q"]) == 1
    assert ingest_main([str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "index"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "unsupported file type .png" in err and "no such file or directory" in err
    assert not versions.published(tmp_path / "index")


def test_killed_ingest_leaves_previous_index_searchable(index_copy, tmp_path, seeds_dir):
    before = versions.current_name(index_copy)
    big = tmp_path / "big"
    big.mkdir()
    text = (seeds_dir / "002_2866088025c4b51b.txt").read_text(encoding="utf-8")
    for i in range(6):
        # Distinct lines so that no chunk vector can be reused and the run takes a while.
        lines = [f"({i}.{n}) {line}" for n, line in enumerate(text.splitlines()) if line.strip()]
        (big / f"copy{i}.txt").write_text("\n".join(lines), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.5, 2.0, 4.0):
        proc = subprocess.Popen([sys.executable, "-m", "ingest", str(big), "--index-dir", str(index_copy), "-q"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = versions.current_name(index_copy)
        assert versions.verify_version(versions.versions_dir(index_copy) / current) == []
        kb = KnowledgeBase(config_for(index_copy))
        # Killed before publishing (the usual case here) or just after: never anything in between.
        assert (current, kb.stats()["documents"]) in {(before, 5)} or (current > before and kb.stats()["documents"] == 11)
        assert kb.search("customer lock-on", k=1).results[0].source == "004_d0c1bd57fb5bdf5c.txt"


@pytest.mark.parametrize("name", ["bogus", "st:", "st:/no/such/model"])
def test_an_embedder_that_cannot_load_is_a_bad_command_line(tmp_path, seeds_dir, capsys, name):
    with pytest.raises(SystemExit) as exited:
        ingest_main([str(seeds_dir), "--index-dir", str(tmp_path / "index"), "--embedder", name, "-q"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"python -m ingest: error: argument --embedder: cannot use embedder {name!r}")
    assert not (tmp_path / "index").exists()
