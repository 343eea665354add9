"""`python -m index cache` builds the per-machine derived data that searches and writes then read, not build."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from index.bridge import inverses
from index.concepts.catalogue import load_catalogue
from index.concepts.labelcache import concept_cache_file
from index.glosses import DEFAULT_DICT_DIR, Lexicons

ROOT = Path(__file__).resolve().parents[2]
DICTIONARY = "swe-eng"  # the smallest that makes a lexicon (Swedish): seconds to build
EMBEDDER = "hash:64"  # the label vectors' cache is named by its embedder; a real model adds nothing here


def _cache(dict_dir: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_DICT_DIR": str(dict_dir), "KB_CACHE_DIR": str(cache), "KB_EMBEDDER": EMBEDDER}
    return subprocess.run([sys.executable, "-m", "index", "cache"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_cache_command_builds_what_glosses_the_bridge_and_ingest_read_and_then_only_reads_it(tmp_path, caplog):
    dict_dir, cache = tmp_path / "dicts", tmp_path / "cache"
    dict_dir.mkdir()
    for suffix in (".index", ".dict.dz"):
        shutil.copy(DEFAULT_DICT_DIR / f"freedict-{DICTIONARY}{suffix}", dict_dir)

    first = _cache(dict_dir, cache)
    assert first.returncode == 0, first.stderr
    assert "gloss lexicons and bridge tables: sv" in first.stdout
    assert "building the sv gloss lexicon" in first.stderr and "building inverse-sv" in first.stderr
    assert concept_cache_file(cache, load_catalogue(), EMBEDDER).is_file()  # what an ingest of the catalogue reads

    again = _cache(dict_dir, cache)
    assert again.returncode == 0 and "building" not in again.stderr, again.stderr
    assert "(built already: nothing to do)" in again.stdout and "gloss lexicons and bridge tables: sv" in again.stdout
    # A file of it deleted (or the folder emptied) since: built again, not left for a server to build unannounced.
    next(cache.glob("glosses-sv-*.marshal")).unlink()
    rebuilt = _cache(dict_dir, cache)
    assert rebuilt.returncode == 0 and "building the sv gloss lexicon" in rebuilt.stderr, rebuilt.stderr
    assert "built already" not in rebuilt.stdout
    # A server, a search or a suggestion in another process reads the same files.
    caplog.set_level(logging.INFO, logger="index.glosses")
    found = Lexicons(dict_dir, cache)
    assert found.get("sv").lookup("kund") is not None and inverses(found).get("sv")["customer"]
    assert not [r.getMessage() for r in caplog.records if "building" in r.getMessage()]
