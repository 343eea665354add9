"""Crashes and concurrent use lose nothing: killed ingests at random points, searches during re-ingests."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import versions
from index.service import KnowledgeBase
from ingest.pipeline import ingest
from tests.configs import config_for, store_for

ROOT = Path(__file__).resolve().parents[2]


def make_batch(folder: Path, seeds_dir: Path, tag: str, copies: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = (seeds_dir / "000_9d0087e6402345a6.txt").read_text(encoding="utf-8")
    for i in range(copies):
        (folder / f"{tag}-{i}.txt").write_text(f"Utgave {tag}/{i}.\n{text[: 600 + 200 * i]}", encoding="utf-8")


# Each round starts a real ingest process (model load included) and kills it: 6 in `make test`, 20 in `make soak`.
@pytest.mark.stress
def test_ingest_killed_at_random_points_never_damages_the_index(index_copy, tmp_path, seeds_dir, sized):
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    expected_counts = {5}
    for round_ in range(sized(6, 20)):
        batch = tmp_path / f"batch{round_}"
        make_batch(batch, seeds_dir, f"r{round_}", copies=2)
        before = KnowledgeBase(config_for(index_copy)).stats()["documents"]
        expected_counts |= {before, before + 2}
        proc = subprocess.Popen([sys.executable, "-m", "ingest", str(batch), "--index-dir", str(index_copy), "-q"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = versions.current_name(index_copy)
        assert versions.verify_version(versions.versions_dir(index_copy) / current) == []
        kb = KnowledgeBase(config_for(index_copy))
        assert kb.stats()["documents"] in (before, before + 2)
        assert kb.search("kundens antagelser etter pandemien", k=3).results
    # Builds abandoned by the killed writers are collected by the next one.
    ingest([tmp_path / "batch0"], store_for(index_copy), progress=False)
    assert not list(versions.versions_dir(index_copy).glob(".build-*"))


def test_searches_during_reingests_see_only_complete_versions(index_copy, tmp_path, seeds_dir):
    kb = KnowledgeBase(config_for(index_copy))
    errors: list[BaseException] = []
    seen_versions: set[str] = set()
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            try:
                kb.refresh()
                response = kb.search("customer loyalty and trust", k=5)
                stats = kb.stats()
                seen_versions.add(stats["version"])
                assert response.results and all(r.text for r in response.results)
                assert stats["documents"] >= 5
            except BaseException as exc:  # collected and reported by the main thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    folder = tmp_path / "rolling"
    for round_ in range(4):
        make_batch(folder, seeds_dir, f"v{round_}", copies=1)
        ingest([folder], store_for(index_copy), prune=True, progress=False)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert len(seen_versions) >= 2
