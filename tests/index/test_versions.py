"""Versioned publishing: verify detects damage, startup falls back, old versions are collected."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from index import versions
from index.errors import IndexCorrupt
from index.__main__ import main as index_main
from index.segments import merge
from index.service import KnowledgeBase
from ingest.pipeline import ingest
from tests.configs import config_for, store_for


def test_verify_reports_a_sound_index(seed_index, capsys):
    assert index_main(["--index-dir", str(seed_index), "verify"]) == 0
    assert "ok" in capsys.readouterr().out


def test_damaged_current_version_is_detected_and_skipped(index_copy, tmp_path, capsys):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Kundenes tillit må vinnes hver dag, også etter pandemien.", encoding="utf-8")
    good = versions.current_name(index_copy)
    newer = ingest([extra], store_for(index_copy), progress=False).version
    assert newer != good
    # The segment the newer version added (segments are immutable; only that version names it).
    manifest = json.loads((versions.versions_dir(index_copy) / newer / versions.MANIFEST).read_text())
    faiss_file = index_copy / "segments" / manifest["segments"][-1]["name"] / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:-100])

    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1
    assert "dense.faiss" in capsys.readouterr().out
    kb = KnowledgeBase(config_for(index_copy))
    assert kb.version == good and kb.warnings
    assert kb.stats()["documents"] == 5


@pytest.mark.parametrize("damage", ["rows", "flip", "json"])
def test_a_damaged_segment_description_is_detected_and_rolled_back_like_any_file(index_copy, tmp_path, capsys, damage):
    # meta.json (a segment's rows, documents, languages) was the one file no checksum covered: edited, verify said ok
    # and reads failed with tracebacks and 500s; made unreadable, every command failed; rollback refused.
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Kundenes tillit må vinnes hver dag, også etter pandemien.", encoding="utf-8")
    good = versions.current_name(index_copy)
    newer = ingest([extra], store_for(index_copy), progress=False).version
    manifest = json.loads((versions.versions_dir(index_copy) / newer / versions.MANIFEST).read_text())
    meta_file = index_copy / "segments" / manifest["segments"][-1]["name"] / "meta.json"
    meta = json.loads(meta_file.read_text())
    if damage == "rows":
        meta_file.write_text(json.dumps({**meta, "rows": meta["rows"] - 1}))
    elif damage == "flip":  # the same size, one letter changed (the catalogue's digest)
        meta_file.write_text(json.dumps({**meta, "catalogue": meta["catalogue"][:-1] + "x"}))
    else:
        meta_file.write_text(meta_file.read_text()[:-1])
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1
    assert "meta.json" in capsys.readouterr().out
    kb = KnowledgeBase(config_for(index_copy))
    assert kb.version == good and kb.warnings and kb.stats()["documents"] == 5
    assert kb.search("kundlojalitet", k=3).results
    assert index_main(["--index-dir", str(index_copy), "rollback"]) == 0
    assert versions.current_name(index_copy) == good
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 0


def test_a_segment_description_no_version_records_is_read_without_a_traceback(index_copy, capsys):
    # A version written before its segments' descriptions were recorded: damage shows as one line, not a traceback.
    manifest = json.loads((versions.versions_dir(index_copy) / versions.current_name(index_copy)
                           / versions.MANIFEST).read_text())
    name = manifest["segments"][0]["name"]
    for entry in [path for path in manifest["files"] if path.endswith(f"{name}/meta.json")]:
        del manifest["files"][entry]
    (versions.versions_dir(index_copy) / versions.current_name(index_copy) / versions.MANIFEST).write_text(
        json.dumps(manifest))
    meta_file = index_copy / "segments" / name / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "rows": meta["rows"] - 5}))  # reads would index past its arrays
    with pytest.raises(IndexCorrupt, match=f"segment {name} is unreadable.*does not fit its arrays"):
        KnowledgeBase(config_for(index_copy))
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1
    assert "DAMAGED" in capsys.readouterr().out
    meta_file.write_text("{")
    with pytest.raises(IndexCorrupt, match=f"segment {name} is unreadable"):
        KnowledgeBase(config_for(index_copy))


def test_a_segment_every_version_shares_damaged_is_a_failed_check_not_a_missing_index(index_copy, capsys):
    # The seed index's first segment: every version names it, so no version is sound and nothing is served.
    manifest = json.loads((versions.versions_dir(index_copy) / versions.current_name(index_copy)
                           / versions.MANIFEST).read_text())
    segment = manifest["segments"][0]["name"]
    vectors = index_copy / "segments" / segment / "dense.faiss"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        KnowledgeBase(config_for(index_copy))
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1  # documented: damaged, not "no index"
    out = capsys.readouterr().out
    assert f"segments/{segment}/dense.faiss: checksum mismatch" in out and "/../" not in out
    assert "uploads: not checked" in out


def test_partial_version_without_manifest_is_ignored(index_copy):
    good = versions.current_name(index_copy)
    partial = versions.versions_dir(index_copy) / "v999999"
    partial.mkdir()
    (partial / "kb.sqlite").write_bytes(b"half a database")
    (index_copy / versions.CURRENT).write_text("v999999\n")
    assert KnowledgeBase(config_for(index_copy)).version == good


def test_old_versions_are_collected(index_copy, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(4):
        (folder / "note.txt").write_text(f"Versjon {i}: kundelojalitet handler om tillit.", encoding="utf-8")
        ingest([folder], store_for(index_copy), progress=False)
    names = versions.published(index_copy)
    assert len(names) == versions.DEFAULT_KEEP
    assert versions.current_name(index_copy) == names[-1]
    manifest = json.loads((versions.versions_dir(index_copy) / names[-1] / versions.MANIFEST).read_text())
    assert manifest["documents"] == 6 and manifest["embedder"] == "e5-small"


class _Killed(BaseException):
    """What a kill -9 of the writer does, here, to the code after it."""


def test_a_publish_killed_before_current_names_it_leaves_writes_working(index_copy, tmp_path, monkeypatch, capsys):
    # Killed between moving its complete version into versions/ and replacing CURRENT: that version and its segment
    # stay on disk, named as the current version's counters would name the next write's.
    def killed(index_dir, build_dir, keep=versions.DEFAULT_KEEP):
        number = int(versions.published(index_dir)[-1][1:]) + 1
        os.rename(build_dir, versions.versions_dir(index_dir) / f"v{number:06d}")
        raise _Killed

    served = versions.current_name(index_copy)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (first / "a.txt").write_text("Fallstudien om företaget Zorblatik visar att kvennopar är avgörande.", encoding="utf-8")
    (second / "b.txt").write_text("De casestudie over het bedrijf Mirvolek laat zien dat tasperun doorslaggevend is.",
                                  encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(versions, "publish", killed)
        with pytest.raises(_Killed):
            ingest([first], store_for(index_copy), progress=False)
    assert versions.current_name(index_copy) == served and len(versions.published(index_copy)) == 2
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 0
    assert "newer than CURRENT" in capsys.readouterr().out

    published = ingest([second], store_for(index_copy), progress=False).version
    assert versions.current_name(index_copy) == published != served
    kb = KnowledgeBase(config_for(index_copy))
    assert kb.search("Mirvolek tasperun", mode="lexical").results[0].source.endswith("b.txt")
    assert kb.stats()["documents"] == 6  # the five seeds and b: the killed write was never published
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 0


def test_gc_removes_segments_no_version_names(index_copy, capsys):
    segments = index_copy / "segments"
    named = sorted(p for p in segments.iterdir())[0]
    shutil.copytree(named, segments / "s000099")  # what a writer killed before it published leaves
    assert index_main(["--index-dir", str(index_copy), "gc"]) == 0
    assert sorted(segments.iterdir()) == [named]
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 0


def test_counts_edited_in_the_manifest_fail_verify(index_copy, capsys):
    # The manifest holds every other file's checksum, not its own: its counts are held against what is read back.
    path = versions.versions_dir(index_copy) / versions.current_name(index_copy) / versions.MANIFEST
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "documents": 999, "chunks": 5}))
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 1
    out = capsys.readouterr().out
    assert "the manifest says 999 documents, the version holds 5" in out and "says 5 chunks" in out


def test_gc_keeps_every_segment_while_a_version_has_an_unreadable_manifest(index_copy, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Tillit hos kunden Vorbalix bygges over tid.", encoding="utf-8")
    newer = ingest([extra], store_for(index_copy), progress=False).version
    before = sorted((index_copy / "segments").iterdir())
    (versions.versions_dir(index_copy) / newer / versions.MANIFEST).write_text("{ half a manif")
    assert index_main(["--index-dir", str(index_copy), "gc"]) == 0
    # The segments only the damaged version names are what restoring its manifest would need.
    assert sorted((index_copy / "segments").iterdir()) == before
    with pytest.raises(IndexCorrupt, match="rollback"):  # and no write builds on the version before it
        ingest([extra], store_for(index_copy), progress=False)


def test_gc_keeps_the_versions_a_damaged_current_one_falls_back_to(index_copy, capsys):
    _fake_versions(index_copy, 3)  # v000001 (served before) .. v000004
    damaged = versions.versions_dir(index_copy) / "v000005"
    shutil.copytree(versions.versions_dir(index_copy) / "v000004", damaged)
    (index_copy / versions.CURRENT).write_text("v000005\n")
    (damaged / "catalogue.json").write_text("{}")
    assert index_main(["--index-dir", str(index_copy), "gc", "--keep", "1"]) == 0
    assert "older versions and uploads kept" in capsys.readouterr().out
    assert versions.published(index_copy) == ["v000001", "v000002", "v000003", "v000004", "v000005"]


def test_rollback_never_serves_a_newer_unpublished_version_nor_gives_a_number_again(index_copy, capsys):
    _fake_versions(index_copy, 4)  # v000001 .. v000005
    # CURRENT names v000004, which is gone (a roll-back killed after setting it aside, or a lost folder); v000005 is
    # a publish killed before CURRENT named it.
    shutil.rmtree(versions.versions_dir(index_copy) / "v000004")
    (index_copy / versions.CURRENT).write_text("v000004\n")
    assert index_main(["--index-dir", str(index_copy), "rollback"]) == 0
    assert versions.current_name(index_copy) == "v000003"
    assert (versions.versions_dir(index_copy) / "damaged-v000004").is_dir()
    assert index_main(["--index-dir", str(index_copy), "rollback"]) == 1  # nothing damaged now
    assert "not damaged" in capsys.readouterr().err
    build = versions.new_build_dir(index_copy)
    assert versions.publish(index_copy, build) == "v000006"


def test_rollback_of_a_folder_without_an_index_creates_nothing(tmp_path, capsys):
    assert index_main(["--index-dir", str(tmp_path / "none"), "rollback"]) == 3
    assert not (tmp_path / "none").exists()


def _fake_versions(index_dir, count: int) -> None:
    # More complete versions: copies of the current one under newer numbers.
    current = versions.versions_dir(index_dir) / versions.current_name(index_dir)
    for number in range(2, 2 + count):
        shutil.copytree(current, versions.versions_dir(index_dir) / f"v{number:06d}")


def test_gc_honours_keep_versions_and_refuses_a_bad_keep(index_copy, capsys, monkeypatch):
    _fake_versions(index_copy, 5)
    for bad in ("-5", "0", "two"):
        with pytest.raises(SystemExit) as done:
            index_main(["--index-dir", str(index_copy), "gc", "--keep", bad])
        assert done.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--keep" in err
    monkeypatch.setenv("KB_KEEP_VERSIONS", "10")
    assert index_main(["--index-dir", str(index_copy), "gc"]) == 0
    assert len(versions.published(index_copy)) == 6
    monkeypatch.setenv("KB_KEEP_VERSIONS", "nope")
    assert index_main(["--index-dir", str(index_copy), "gc"]) == 2
    assert "KB_KEEP_VERSIONS" in capsys.readouterr().err
    monkeypatch.delenv("KB_KEEP_VERSIONS")
    assert index_main(["--index-dir", str(index_copy), "gc", "--keep", "2"]) == 0
    # The current version (v000001) is never collected, whatever its age.
    assert versions.published(index_copy) == ["v000001", "v000005", "v000006"]


def test_merge_compacts_segments_and_leaves_a_verified_index(index_copy, capsys, monkeypatch):
    from index.stores import write_settings

    monkeypatch.setattr(merge, "MERGE_FACTOR", 2)  # two segments of one size make a tier...
    monkeypatch.setattr(merge, "INLINE_MERGE_ROWS", 0)  # ...which no write merges inline
    store = store_for(index_copy)
    snapshot = store.snapshot()
    doc = snapshot.documents()[0]
    chunks = snapshot.chunks_of(doc.doc_id)
    for n in range(2):  # two copies of one document, one write each: two segments of the same size
        copy = type(doc)(**{**vars(doc), "doc_id": f"copy-{n}", "source": f"copy-{n}.txt"})
        with store.writer(write_settings(store, config_for(index_copy))) as writer:
            writer.put(copy, [type(c)(**{**vars(c), "doc_id": copy.doc_id}) for c in chunks],
                       snapshot.vectors([c.chunk_id for c in chunks]))
            writer.commit()
    segments = len(store.snapshot().manifest["segments"])
    assert index_main(["--index-dir", str(index_copy), "merge", "--max-rows", "1000000"]) == 0
    assert "merge(s)" in capsys.readouterr().out
    merged = store.snapshot()
    assert len(merged.manifest["segments"]) < segments and len(merged.documents()) == len(snapshot.documents()) + 2
    assert index_main(["--index-dir", str(index_copy), "merge"]) == 0
    assert "nothing to merge" in capsys.readouterr().out
    assert index_main(["--index-dir", str(index_copy), "verify"]) == 0


@pytest.mark.parametrize("command", ["gc", "verify", "merge"])
def test_commands_on_a_missing_index_create_nothing(tmp_path, capsys, command):
    missing = tmp_path / "nonexistent"
    assert index_main(["--index-dir", str(missing), command]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: no index") and err.count("\n") == 1  # one line, as every command says it
    assert not missing.exists()


@pytest.mark.parametrize("command", [["stats"], ["verify"], ["search", "kunde"]])
def test_an_index_directory_under_a_file_is_a_bad_setting_in_one_line(tmp_path, capsys, command):
    (tmp_path / "notes.md").write_text("a file, not a folder")
    assert index_main(["--index-dir", str(tmp_path / "notes.md" / "index"), *command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: the index directory") and "notes.md is a file" in err
