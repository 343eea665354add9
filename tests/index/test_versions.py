"""Versioned publishing: verify detects damage, startup falls back, old versions are collected."""
from __future__ import annotations

import json

from index import versions
from index.__main__ import main as index_main
from index.service import KnowledgeBase
from ingest.pipeline import ingest


def test_verify_reports_a_sound_index(seed_index, capsys):
    assert index_main(["--index-dir", str(seed_index), "verify"]) == 0
    assert "ok" in capsys.readouterr().out


def test_damaged_current_version_is_detected_and_skipped(index_copy, tmp_path, capsys):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Kundenes tillit må vinnes hver dag, også etter pandemien.", encoding="utf-8")
    good = versions.current_name(index_copy)
    newer = ingest([extra], index_copy, progress=False).version
    assert newer != good
    faiss_file = versions.versions_dir(index_copy) / newer / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:-100])

    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1
    assert "vectors.faiss" in capsys.readouterr().out
    kb = KnowledgeBase(index_copy)
    assert kb.version == good and kb.warnings
    assert kb.stats()["documents"] == 5


def test_partial_version_without_manifest_is_ignored(index_copy):
    good = versions.current_name(index_copy)
    partial = versions.versions_dir(index_copy) / "v999999"
    partial.mkdir()
    (partial / "kb.sqlite").write_bytes(b"half a database")
    (index_copy / versions.CURRENT).write_text("v999999\n")
    assert KnowledgeBase(index_copy).version == good


def test_old_versions_are_collected(index_copy, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(4):
        (folder / "note.txt").write_text(f"Versjon {i}: kundelojalitet handler om tillit.", encoding="utf-8")
        ingest([folder], index_copy, progress=False)
    names = versions.published(index_copy)
    assert len(names) == versions.DEFAULT_KEEP
    assert versions.current_name(index_copy) == names[-1]
    manifest = json.loads((versions.versions_dir(index_copy) / names[-1] / versions.MANIFEST).read_text())
    assert manifest["documents"] == 6 and manifest["embedder"] == "e5-small"
