"""Document identity: a file is known by its location, names never collide silently, the same text is a
duplicate whatever its encoding, and changed metadata or chunking settings are re-applied."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from ingest.__main__ import main as ingest_main
from ingest.chunking import ChunkingConfig
from ingest.pipeline import ingest
from tests.configs import store_for

TEXT_A = "Kundelojalitet bygger på tillit. Tilliten må fortjenes hver dag, også etter pandemien."
TEXT_B = "Klantintimiteit betekent dat je de klant beter kent dan de concurrent. Dat vraagt tijd en aandacht."


def sources(index_dir: Path) -> dict[str, str]:
    return {d.source: d.title for d in store_for(index_dir).snapshot().documents()}


def test_same_name_from_two_roots_keeps_both(tmp_path, capsys):
    for folder, text in (("a", TEXT_A), ("b", TEXT_B)):
        (tmp_path / "corpus" / folder).mkdir(parents=True)
        (tmp_path / "corpus" / folder / "notes.txt").write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    assert ingest_main([str(tmp_path / "corpus/a/notes.txt"), "--index-dir", str(index_dir), "-q"]) == 0
    assert ingest_main([str(tmp_path / "corpus/b/notes.txt"), "--index-dir", str(index_dir), "-q"]) == 0
    captured = capsys.readouterr()
    assert "notes.txt is already the source of" in captured.err and "stored as b/notes.txt" in captured.err
    assert "added 1" in captured.out
    assert set(sources(index_dir)) == {"notes.txt", "b/notes.txt"}

    # Each file is recognised again under the source it was given.
    again = ingest([tmp_path / "corpus/b/notes.txt", tmp_path / "corpus/a/notes.txt"], store_for(index_dir), progress=False)
    assert (again.added, again.updated, again.unchanged, again.renamed) == (0, 0, 2, [])

    # Both in one run, into a new index: both kept.
    both = ingest([tmp_path / "corpus/a/notes.txt", tmp_path / "corpus/b/notes.txt"], store_for(tmp_path / "index2"), progress=False)
    assert both.added == 2 and set(sources(tmp_path / "index2")) == {"notes.txt", "b/notes.txt"}


def test_same_text_in_another_encoding_is_a_duplicate(tmp_path, capsys):
    folder = tmp_path / "encodings"
    folder.mkdir()
    text = "Kundenærhet og lojalitet: «Kunden er konge», sa sjefen på møtet i Tromsø i går."
    (folder / "a-utf8.txt").write_bytes(text.encode("utf-8"))
    (folder / "b-latin1.txt").write_bytes(text.encode("latin-1"))
    (folder / "c-utf16.txt").write_bytes(text.encode("utf-16"))
    (folder / "d-spacing.md").write_bytes(("# " + text.replace(" ", "  ")).encode("cp1252"))
    code = ingest_main([str(folder), "--index-dir", str(tmp_path / "index"), "-q"])
    err = capsys.readouterr().err
    assert code == 0
    for name in ("b-latin1.txt", "c-utf16.txt", "d-spacing.md"):
        assert f"{name}: duplicate of a-utf8.txt" in err
    assert list(sources(tmp_path / "index")) == ["a-utf8.txt"]


def test_metadata_and_chunking_changes_are_reapplied(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "one.txt").write_text(TEXT_A + " " + TEXT_A.replace("dag", "uke"), encoding="utf-8")
    (folder / "two.txt").write_text(TEXT_B, encoding="utf-8")
    index_dir = tmp_path / "index"
    assert ingest([folder], store_for(index_dir), progress=False).added == 2

    (folder / "metadata.json").write_text(json.dumps({"one.txt": {"title": "Tillit", "author": "Ola"}}), encoding="utf-8")
    retitled = ingest([folder], store_for(index_dir), progress=False)
    assert (retitled.updated, retitled.unchanged, retitled.chunks_embedded) == (1, 1, 0)
    assert sources(index_dir)["one.txt"] == "Tillit"

    rechunked = ingest([folder], store_for(index_dir), chunking=ChunkingConfig(max_tokens=20, overlap_tokens=4), progress=False)
    assert (rechunked.updated, rechunked.unchanged) == (2, 0) and rechunked.chunks_embedded > 0
    assert ingest([folder], store_for(index_dir), chunking=ChunkingConfig(max_tokens=20, overlap_tokens=4), progress=False).unchanged == 2


def _move_roots(index_dir: Path, root: str) -> None:
    # Documents re-put through the writer as if ingested from `root` (same texts, chunks and vectors).
    snapshot = store_for(index_dir).snapshot()
    with store_for(index_dir).writer() as writer:
        for doc in snapshot.documents():
            chunks = snapshot.chunks_of(doc.doc_id)
            writer.put(dataclasses.replace(doc, meta={**doc.meta, "root": root}), chunks,
                       snapshot.vectors([c.chunk_id for c in chunks]))
        writer.commit()


# Slow: a whole ingest run of the seeds (model load, grounding, suggestions), though nothing is re-embedded.
def test_a_moved_corpus_updates_its_documents_in_place(index_copy, seeds_dir, tmp_path):
    # The index remembers the seeds at a place that no longer exists (the checkout was moved).
    _move_roots(index_copy, str(tmp_path / "gone"))
    report = ingest([seeds_dir], store_for(index_copy), progress=False)
    assert (report.added, report.updated, report.duplicates, report.chunks_embedded) == (0, 5, [], 0)
    assert set(sources(index_copy)) == {p.name for p in seeds_dir.glob("*.txt")}


def test_a_copy_of_an_indexed_file_is_a_duplicate_not_a_second_document(index_copy, seeds_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seeds_dir, copy)
    report = ingest([copy], store_for(index_copy), progress=False)
    assert (report.added, len(report.duplicates), report.total_documents) == (0, 5, 5)
    assert "duplicate of 000_9d0087e6402345a6.txt" in report.duplicates[0]
