"""The ingest-engine battery: every test runs against the local engine and the Ray engine (Ray with 2 local CPUs)."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from index import uploads, versions
from index.embedders import get_embedder
from index.errors import DocumentError
from index.service import KnowledgeBase
from index.records import text_hash
from ingest.chunking import ChunkingConfig
from ingest.engines import ENGINES
from ingest.engines.local import LocalEngine
from ingest.engines.ray import RayEngine
from ingest.jobs import DONE, jobs_dir, open_queue
from ingest.jobs.runner import Runner
from ingest.jobs.submit import check_upload, submit_upload
from ingest.pipeline import FileTask, ingest, prepare, prepare_file
from tests.configs import config_for, store_for

ROOT = Path(__file__).resolve().parents[2]
HASH = "hash:64"


@pytest.fixture(scope="session")
def ray_engine():
    """One local Ray for the whole session, on 2 CPUs; stopped at its end."""
    engine = RayEngine(num_cpus=2)
    engine.start()
    yield engine
    engine.close()


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.getfixturevalue("ray_engine") if request.param == "ray" else LocalEngine()


def passages(n: int) -> list[str]:
    return [f"Passasje {i}: kundelojalitet, pris og tillit {i * 7 % 13}." for i in range(n)]


def index_contents(index_dir: Path) -> list[tuple]:
    """Every chunk of an index as (source, ord, start, end, lang, text), sorted, and its vectors in that order."""
    kb = KnowledgeBase(config_for(index_dir))
    rows = []
    for summary in kb.documents():
        doc = kb.document(summary["doc_id"])
        rows += [(doc["source"], c["ord"], c["start"], c["end"], c["lang"], doc["text"][c["start"]:c["end"]])
                 for c in doc["chunks"]]
    rows.sort()
    with store_for(index_dir).writer() as writer:  # read only: nothing is committed
        cached = writer.cached_vectors([text_hash(r[-1]) for r in rows])
    return rows, np.stack([cached[text_hash(r[-1])] for r in rows])


# -- the engine protocol ---------------------------------------------------------------------------------------------

def test_embed_gives_the_embedders_vectors_in_order_with_progress(engine):
    texts = passages(150)
    seen = []
    vectors = engine.embed(texts, HASH, seen.append)
    np.testing.assert_allclose(vectors, get_embedder(HASH).embed_passages(texts), atol=1e-6)
    assert vectors.dtype == np.float32 and seen == sorted(seen) and seen[-1] == 150
    assert engine.embed([], HASH).shape == (0, 64)


def test_embed_with_the_default_model_matches_it_within_float_tolerance(engine, seeds_dir):
    texts = [p.strip() for p in (seeds_dir / "004_d0c1bd57fb5bdf5c.txt").read_text(encoding="utf-8").split("\n\n")
             if len(p.strip()) > 40][:20]
    expected = np.concatenate([get_embedder().embed_passages(texts[i:i + 16]) for i in range(0, len(texts), 16)])
    np.testing.assert_allclose(engine.embed(texts, "e5-small"), expected, atol=2e-5)


# Slow for Ray: the first test of the module pays Ray's start.
def test_map_prepares_files_in_order_and_returns_their_errors(engine, seeds_dir):
    files = sorted(seeds_dir.glob("*.txt"))
    tasks = [FileTask(p.read_bytes(), p.name, {"root": "x"}, p.name) for p in files]
    tasks.insert(2, FileTask(b"too short", "short.txt", {}, "short.txt"))
    done = []
    results = engine.map(partial(prepare_file, embedder="e5-small", config=ChunkingConfig()), tasks,
                         progress=done.append)
    assert isinstance(results[2], DocumentError) and "short.txt: only 2 words" in str(results[2])
    assert done[-1] == len(tasks)
    for task, result in zip(tasks[:2] + tasks[3:], results[:2] + results[3:]):
        expected = prepare(task.data, task.source, get_embedder().count_tokens, ChunkingConfig(), task.metadata)
        assert result.doc == expected.doc and result.chunks == expected.chunks


# Slow: ingests and embeds all the seeds afresh through each engine.
def test_ingest_makes_the_same_index_as_the_local_engine(engine, seed_index, seeds_dir, tmp_path):
    ingest([seeds_dir], store_for(tmp_path / "index"), progress=False, engine=engine)
    rows, vectors = index_contents(tmp_path / "index")
    expected_rows, expected_vectors = index_contents(seed_index)
    assert len(rows) == 122 and rows == expected_rows
    np.testing.assert_allclose(vectors, expected_vectors, atol=2e-5)


def test_the_runner_indexes_an_upload_with_the_engine(engine, index_copy):
    note = ("Leverandørbytte i praksis\n\nEn kunde bytter leverandør når opplevelsen svikter, ikke når prisen"
            " stiger litt. Zentrovisk lojalitet vokser av gode samtaler.\n").encode()
    queue = open_queue(config_for(index_copy))
    job, _ = submit_upload(queue, jobs_dir(index_copy), note, check_upload(note, "bytte.txt"))
    assert Runner(config_for(index_copy), engine).drain() == 1
    done = queue.get(job.id)
    assert done.state == DONE, done.to_dict()
    assert KnowledgeBase(config_for(index_copy)).search("Zentrovisk lojalitet", k=1).results[0].doc_id == done.doc_id


# -- kill -9 of a process using the engine, mid-job --------------------------------------------------------------------

def _big_folder(seeds_dir: Path, folder: Path, copies: int = 2) -> Path:
    folder.mkdir()
    text = (seeds_dir / "002_2866088025c4b51b.txt").read_text(encoding="utf-8")
    for i in range(copies):
        # Distinct lines, so that no stored vector is reused and the work takes a while.
        lines = [f"({i}.{n}) {line}" for n, line in enumerate(text.splitlines()) if line.strip()]
        (folder / f"copy{i}.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def _verified(index_dir: Path, pending: str | None = None) -> None:
    """`index verify` passes; with `pending` (a killed job's stored upload, `uploads/...`), it may be orphaned.

    The runner stores an upload's bytes before it publishes (a published document never lacks them): a kill in
    between leaves them unreferenced until the job runs again and adopts them, or `gc` removes them.
    """
    proc = subprocess.run([sys.executable, "-m", "index", "--index-dir", str(index_dir), "verify"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 and pending:
        problems = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith(("orphan", "missing"))]
        versions_ok = all(line.split(": ", 1)[1].startswith("ok") for line in proc.stdout.splitlines()
                          if ": " in line and line.lstrip("* ").startswith("v"))  # v000001: ok (every one of ...)
        assert versions_ok and problems and all(p.startswith(f"orphan: {pending} ") for p in problems), \
            proc.stdout + proc.stderr
        return
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _kill_leftovers(marker: str) -> None:
    # Ray's agents outlive a killed driver for about a minute: end those of this test's processes (by pid).
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def cli_env():
    """Environment for a CLI under test; its own TMPDIR marks every process it (and Ray) starts."""
    marker = tempfile.mkdtemp(prefix="kbt-", dir="/tmp")
    yield {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": marker}
    _kill_leftovers(marker)
    shutil.rmtree(marker, ignore_errors=True)


def _killed(args: list[str], env: dict, delay: float) -> None:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


# Slow: real ingest processes killed once (`make test`: the local engine; Ray's kills, a cluster start each, are
# the killed runner's below) or four times (`make soak`: both engines), then a whole ingest run.
@pytest.mark.stress
def test_a_killed_ingest_leaves_a_verified_index_and_runs_again(engine, index_copy, seeds_dir, tmp_path, cli_env,
                                                                sized):
    if not sized(engine.name == "local", True):
        pytest.skip("Ray: make soak (pytest --stress) kills its ingest; make test kills its runner")
    big = _big_folder(seeds_dir, tmp_path / "big")
    before = versions.current_name(index_copy)
    args = ["-m", "ingest", str(big), "--index-dir", str(index_copy), "--engine", engine.name, "-q"]
    for delay in random.Random(13).sample([1.0, 3.0, 6.0, 9.0], sized(1, 4)):
        _killed(args, cli_env, delay)
        _verified(index_copy)
        assert KnowledgeBase(config_for(index_copy)).stats()["documents"] in (5, 7)
    again = subprocess.run([sys.executable, *args], cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    _verified(index_copy)
    assert versions.current_name(index_copy) > before and KnowledgeBase(config_for(index_copy)).stats()["documents"] == 7


# Slow: a real runner process (and a Ray start) killed mid-job, then a whole run of the job, per engine.
def test_a_killed_runner_leaves_a_verified_index_and_its_job_runs_again(engine, index_copy, seeds_dir, tmp_path,
                                                                        cli_env):
    data = (_big_folder(seeds_dir, tmp_path / "big", copies=1) / "copy0.txt").read_bytes()
    job, _ = submit_upload(open_queue(config_for(index_copy)), jobs_dir(index_copy), data, check_upload(data, "big.txt"))
    args = ["-m", "ingest.jobs", "--index-dir", str(index_copy), "--engine", engine.name, "--once"]
    _killed(args, cli_env, random.Random(7).uniform(2.0, 8.0))
    _verified(index_copy, pending=uploads.source_for(job.content_hash, job.suffix))
    again = subprocess.run([sys.executable, *args], cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert open_queue(config_for(index_copy)).get(job.id).state == DONE
    _verified(index_copy)
    assert KnowledgeBase(config_for(index_copy)).stats()["documents"] == 6


# -- Ray that cannot start ---------------------------------------------------------------------------------------------

def test_an_unreachable_ray_cluster_is_one_line_and_an_exit_code(seeds_dir, tmp_path):
    env = {**os.environ, "RAY_ADDRESS": "127.0.0.1:9", "KB_INGEST_ENGINE": "ray"}
    for args, code in ((["-m", "ingest", str(seeds_dir), "--index-dir", str(tmp_path / "index"), "-q"], 5),
                       (["-m", "ingest.jobs", "--index-dir", str(tmp_path / "index"), "--once"], 4)):
        proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == code
        assert proc.stderr.strip().splitlines() == [
            "error: cannot start the Ray cluster at 127.0.0.1:9: nothing answers at 127.0.0.1:9 (Connection refused)"]
    assert not versions.published(tmp_path / "index")
