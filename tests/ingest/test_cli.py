"""python -m ingest: configuration errors are a bad command line before any work; the factory of an index is
kept unless asked otherwise; nothing is created when nothing can be ingested; long files show progress."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import versions
from ingest.__main__ import main as ingest_main
from ingest.chunking import ChunkingConfig
from ingest.pipeline import prepare


def manifest(index_dir):
    version, _ = versions.open_current(index_dir)
    return version.manifest


@pytest.mark.parametrize("argv, env, origin", [
    (["--factory", "IVF,Flat"], {}, "--factory"),
    (["--factory", "PQ7"], {}, "--factory"),
    ([], {"KB_FAISS_FACTORY": "NoSuchIndex"}, "KB_FAISS_FACTORY"),
    ([], {"KB_KEEP_VERSIONS": "-1"}, "KB_KEEP_VERSIONS"),
    (["--embedder", "no-such-model"], {}, "unknown embedder"),
])
def test_bad_configuration_is_exit_2_on_one_line_before_any_work(tmp_path, capsys, monkeypatch, argv, env, origin):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "a.txt").write_text("Kunder som stoler på deg kommer tilbake.", encoding="utf-8")
    try:
        code = ingest_main([str(tmp_path / "a.txt"), "--index-dir", str(tmp_path / "index"), "-q", *argv])
    except SystemExit as exited:  # argparse checks --embedder itself
        code = exited.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "error: " in err and origin in err, err
    assert not (tmp_path / "index").exists()


def test_nothing_to_ingest_creates_no_index(tmp_path, capsys):
    assert ingest_main([str(tmp_path / "nonexistent"), "--index-dir", str(tmp_path / "index"), "-q"]) == 1
    (tmp_path / "short.txt").write_text("Bare tre ord", encoding="utf-8")
    assert ingest_main([str(tmp_path / "short.txt"), "--index-dir", str(tmp_path / "index"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "only 3 words" in err
    assert not (tmp_path / "index").exists()


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_others_are_ingested(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("Kundelojalitet bygger på tillit som må fortjenes hver dag.", encoding="utf-8")
    (Path(os.fsdecode(bytes(folder) + b"/bad\xe9name.txt"))).write_text(
        "Kunder som stoler på deg kommer tilbake igjen og igjen.", encoding="utf-8")
    assert ingest_main([str(folder), "--index-dir", str(tmp_path / "index"), "-q"]) == 3  # some files failed
    err = capsys.readouterr().err
    assert "skipped: " in err and "bad\\xe9name.txt: the file name is not UTF-8" in err and "Traceback" not in err
    current = versions.versions_dir(tmp_path / "index") / versions.current_name(tmp_path / "index")
    assert json.loads((current / versions.MANIFEST).read_text())["documents"] == 1


def test_factory_of_an_index_is_kept_unless_given(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Kundelojalitet bygger på tillit som må fortjenes hver dag.", encoding="utf-8")
    index_dir = tmp_path / "index"
    assert ingest_main([str(folder), "--index-dir", str(index_dir), "-q", "--factory", "IVF4,Flat"]) == 0
    # Too few vectors to train on: exact search now, the asked-for factory once the corpus is large enough.
    assert (manifest(index_dir)["requested_factory"], manifest(index_dir)["factory"]) == ("IVF4,Flat", "Flat")

    monkeypatch.setenv("KB_FAISS_FACTORY", "HNSW32,Flat")  # only for new or rebuilt indexes
    (folder / "b.txt").write_text("Klanten blijven omdat ze dat willen, niet omdat ze vastzitten.", encoding="utf-8")
    assert ingest_main([str(folder), "--index-dir", str(index_dir), "-q"]) == 0
    assert manifest(index_dir)["requested_factory"] == "IVF4,Flat"

    # An explicit factory applies at once, from the stored vectors: nothing is re-embedded.
    before = versions.current_name(index_dir)
    capsys.readouterr()
    assert ingest_main([str(folder), "--index-dir", str(index_dir), "-q", "--factory", "HNSW16,Flat"]) == 0
    assert "embedded 0 chunks" in capsys.readouterr().out
    assert versions.current_name(index_dir) != before and manifest(index_dir)["requested_factory"] == "HNSW16,Flat"


def test_long_single_files_show_chunking_and_language_progress(capsys):
    text = "\n\n".join(f"Avsnitt {i}. Kunder som stoler på deg kommer tilbake igjen." for i in range(4000))
    words = lambda t: len(t.split()) + 2  # noqa: E731 - a stand-in tokenizer keeps this fast
    item = prepare(text.encode(), "long.txt", words, ChunkingConfig(max_tokens=16, overlap_tokens=0), progress=True)
    err = capsys.readouterr().err
    assert item.chunks and "chunking long.txt" in err and "languages long.txt" in err and "100%" in err


def test_ctrl_c_is_one_line_and_exit_130_and_publishes_nothing_half_written(tmp_path):
    root = Path(__file__).resolve().parents[2]
    index_dir = tmp_path / "index"
    ingest = subprocess.Popen([sys.executable, "-m", "ingest", str(root / "seeds"), "--index-dir", str(index_dir)],
                              cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(ingest.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not lines and ingest.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # its first progress line: past the imports, into the work
    ingest.send_signal(signal.SIGINT)
    ingest.wait(timeout=120)
    reader.join(timeout=30)
    err = "".join(lines)
    if ingest.returncode == 0:
        pytest.skip("the ingest ended before the interrupt came")
    assert ingest.returncode == 130 and err.rstrip().endswith("interrupted") and "Traceback" not in err, err[-2000:]
    assert versions.current_name(index_dir) is None or versions.open_current(index_dir)[0].manifest["documents"] > 0
