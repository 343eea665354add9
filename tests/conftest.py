"""Shared fixtures: one real index of the seeds per session, built with the default e5 embedder, and one
real PostgreSQL server (pgserver: PostgreSQL 16 with pgvector) per session, started only when a test asks."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from tests.configs import config_for, store_for


ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
_OWN_CACHE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--stress", action="store_true",
                     help="run the loops of tests marked `stress` at their stress size (`make soak` does)")


def pytest_configure(config: pytest.Config) -> None:
    """Share one concept-label cache across every index the tests build (it costs ~10 s to embed)."""
    if "KB_CACHE_DIR" not in os.environ:
        # This process made it, so this process removes it (its workers inherit the variable and leave it be).
        config.stash[_OWN_CACHE] = os.environ["KB_CACHE_DIR"] = tempfile.mkdtemp(prefix="kb-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the cache this run made (tens of MB of dictionary tables and label vectors)."""
    own = config.stash.get(_OWN_CACHE, None)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)
        os.environ.pop("KB_CACHE_DIR", None)


@pytest.fixture(scope="session")
def sized(request: pytest.FixtureRequest):
    """`sized(quick, stress)`: a loop's size, `stress` under `--stress` (`make soak`), else `quick` (`make test`)."""
    stress = request.config.getoption("--stress")
    return lambda quick, stressed: stressed if stress else quick


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The project's seed articles."""
    return SEEDS


# Slow once per run (tens of seconds): ingests and embeds the seeds with the real model.
@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the five seeds, this process's own; treat it as read-only (copy it to change it).

    With KB_TEST_SHARED (a folder `make test` gives every test process of one run), the first process to need
    it builds it there and each copies it: the run's processes would otherwise embed the seeds once each.
    """
    from ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("seed-index") / "index"
    shared = os.environ.get("KB_TEST_SHARED")
    if not shared:
        ingest([SEEDS], store_for(index_dir), progress=False)
        return index_dir
    built = Path(shared) / "seed-index"
    with open(Path(shared) / "seed-index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the first; a build cut short is completed
        if not (built / "built").exists():
            ingest([SEEDS], store_for(built), progress=False)
            (built / "built").touch()
    return copy_index(built, index_dir)


@pytest.fixture(scope="session")
def kb(seed_index: Path):
    """The knowledge base over the seed index."""
    from index.service import KnowledgeBase

    return KnowledgeBase(config_for(seed_index))


def copy_index(source: Path, target: Path) -> Path:
    """Copy an index directory without its job queue: a server over the seed index may be running
    its job runner, whose SQLite side files come and go while the copy is made."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("jobs"))
    return target


@pytest.fixture
def index_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may change."""
    return copy_index(seed_index, tmp_path / "index")


# Waits for the SIGTERM the test process's death sends (whatever killed it), then stops PostgreSQL (fast
# shutdown) and deletes its folder: pgserver daemonises the server, so nothing else would stop it.
PG_WATCHDOG = """
import os, shutil, signal, sys, time
signal.sigwait({signal.SIGTERM})
try:
    with open(os.path.join(sys.argv[1], "postmaster.pid")) as handle:
        pid = int(handle.readline())
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        os.kill(pid, 0)
        time.sleep(0.1)
except (OSError, ValueError):
    pass
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def _watch_parent() -> None:
    # SIGTERM stays blocked across exec, so the watchdog's sigwait gets it even if it comes early.
    from webapp.serve import die_with_parent

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    die_with_parent()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A real PostgreSQL 16 with pgvector in a temporary folder, stopped and deleted after the session (or
    by a watchdog, when the test process is killed).

    Under /tmp, not pytest's private temp folder: run as root, pgserver runs PostgreSQL as its own
    unprivileged user, which must be able to reach the data folder.
    """
    import pgserver

    folder = tempfile.mkdtemp(prefix="kb-test-pg-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    watchdog = subprocess.Popen([sys.executable, "-c", PG_WATCHDOG, folder], preexec_fn=_watch_parent)
    try:
        yield server
    finally:
        watchdog.kill()
        watchdog.wait()
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def new_database(pg_server) -> Iterator[str]:
    """The URL of a new empty database on `pg_server` (with pgvector), dropped on exit."""
    import psycopg

    name = f"kb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_server.get_uri(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")
    yield url
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """The URL of a new empty database on the session's server (with pgvector), dropped after the test."""
    with new_database(pg_server) as url:
        yield url


@contextlib.contextmanager
def frozen(pg_server) -> Iterator[None]:
    """The session's PostgreSQL stopped for the block (SIGSTOP: its sockets stay open, nothing answers, as on a hung
    host or behind a partition), then resumed."""
    postmaster = pg_server.get_pid()
    _signal([postmaster], signal.SIGSTOP)  # first, so that it forks no backend meanwhile
    stopped = [postmaster, *_children(postmaster)]
    try:
        _signal(stopped[1:], signal.SIGSTOP)
        yield
    finally:
        _signal(stopped, signal.SIGCONT)


def _children(parent: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            status = (proc / "status").read_text() if proc.name.isdigit() else ""
        except OSError:  # it exited meanwhile
            continue
        if any(line == f"PPid:\t{parent}" for line in status.splitlines()):
            found.append(int(proc.name))
    return found


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:  # a backend that ended meanwhile
            pass


def allow_connections(admin_url: str, database: str, ok: bool) -> None:
    """Let a database take connections again, or refuse them and end those it holds (what a restart or a
    failover does to the connections a stack keeps): a PostgreSQL outage and its end."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS {str(ok).lower()}")
        if not ok:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))


def pour_into_postgres(index_dir: Path, url: str) -> None:
    """Write the documents, chunks and vectors of an embedded index into the PostgreSQL store at `url` (one version)."""
    from index.stores import IndexSettings
    from index.stores.postgres import PostgresStore

    source = store_for(index_dir).snapshot()
    # The session's cache: the seed ingest built the lexicons that suggesting reads.
    store = PostgresStore(url, cache_dir=config_for(index_dir).cache_dir)
    with store.writer(IndexSettings(embedder=source.embedder)) as writer:
        for doc in source.documents():
            chunks = source.chunks_of(doc.doc_id)
            writer.put(doc, chunks, source.vectors([c.chunk_id for c in chunks]))
        writer.commit()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own 32 MB tmpfs, to fill (skipped where mounting is not permitted: it needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs to fill: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of `folder` with a file until `leave` bytes (rounded to pages) are free; the file."""
    reserve = folder / "reserve"
    reserve.write_bytes(b"\0" * leave)
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for size in (1 << 20, 4096, 1):
            try:
                while handle.write(b"\0" * size):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    reserve.unlink()
    return filler
