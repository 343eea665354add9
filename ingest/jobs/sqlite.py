"""The job queue in one SQLite file (`<index dir>/jobs/jobs.sqlite`, WAL), shared by web workers and the runner."""
from __future__ import annotations

import contextlib
import errno
import sqlite3
import time
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterator

from index.errors import IndexCorrupt, InsufficientStorage, StoreUnavailable
from index.files import nearly_full

from .base import (DONE, FAILED, PENDING, QUEUED, RUNNING, Follows, Job, behind, claimable, forgiven_beside_long_writes,
                   full, narrowed)

FILE = "jobs.sqlite"
# A file or folder this process may not write or open: SQLite's SQLITE_PERM, SQLITE_READONLY and SQLITE_CANTOPEN,
# the system's EPERM, EACCES and EROFS.
_SQLITE_CANNOT_WRITE = (3, 8, 14)
_CANNOT_WRITE = (errno.EPERM, errno.EACCES, errno.EROFS)
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    stage TEXT NOT NULL,
    doc_id TEXT,
    file_name TEXT,
    content_hash TEXT,
    suffix TEXT,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    chunks_total INTEGER NOT NULL DEFAULT 0,
    version TEXT,
    duplicate INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    seq INTEGER,
    payload TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, seq);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(kind, key, state);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created);
"""
_COLUMNS = [f.name for f in fields(Job)]
_PENDING = f"state IN ({', '.join(repr(s) for s in PENDING)})"


def _use_wal(conn: sqlite3.Connection, wait_s: float = 30) -> None:
    """Put the queue's file in WAL mode (once: the mode is kept in the file).

    Changing the mode needs the file to itself, and SQLite answers "database is locked" at once rather than
    waiting (its busy timeout does not cover it) while another process opens a new queue at the same moment:
    the web workers and the job runner all do on a first start.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SqliteQueue:
    """A `JobQueue` in SQLite; every call opens its own connection, so any thread or process may call it.

    With `max_pending`, `submit` refuses a new job (QueueFull) while that many are queued or running.
    """

    def __init__(self, folder: Path, max_pending: int | None = None) -> None:
        self.path = Path(folder) / FILE
        self.max_pending = max_pending
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                _use_wal(conn)
                conn.executescript(SCHEMA)
                if "payload" not in {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}:
                    conn.execute("ALTER TABLE jobs ADD COLUMN payload TEXT")  # a queue from before concept jobs
        except (sqlite3.OperationalError, OSError) as exc:
            # A read-only mount or a folder of another user: said as such, not as the query's own failure.
            if (exc.sqlite_errorcode & 0xFF not in _SQLITE_CANNOT_WRITE if isinstance(exc, sqlite3.OperationalError)
                    else exc.errno not in _CANNOT_WRITE):
                raise
            raise StoreUnavailable(f"cannot open the job queue {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        except sqlite3.OperationalError as exc:
            # A full disk is SQLITE_FULL, or an I/O error creating the WAL's shared-memory file.
            full = exc.sqlite_errorcode == sqlite3.SQLITE_FULL or (
                exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_IOERR and nearly_full(self.path.parent))
            if not full:
                raise
            raise InsufficientStorage(f"no space left on device in {self.path.parent} (the job queue)") from exc
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
                raise
            raise IndexCorrupt(f"the job queue {self.path} is damaged ({exc}): move it aside to start an empty one "
                               "(the writes waiting in it are lost)") from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so check-then-insert and claim are atomic across processes.
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _job(row: sqlite3.Row | None) -> Job | None:
        if row is None:
            return None
        values = {name: row[name] for name in _COLUMNS}
        values["duplicate"] = bool(values["duplicate"])
        return Job(**values)

    def submit(self, job: Job, follows: Follows | None = None,
               check: Callable[[list[Job]], None] | None = None) -> tuple[Job, bool]:
        """Add `job` unless a pending job of the same kind has its key; with `follows`, in order (`in_order`); with
        `check`, checked against the pending jobs of its kind in the same transaction."""
        with self._transaction() as conn:
            if follows is not None:
                job, new = behind(job, follows, lambda where, args: self._job(conn.execute(
                    f"SELECT * FROM jobs WHERE {_PENDING}{where} ORDER BY seq DESC LIMIT 1", args).fetchone()), "?")
                if not new:
                    return job, False
            found = conn.execute(f"SELECT * FROM jobs WHERE kind = ? AND key = ? AND {_PENDING} LIMIT 1",
                                 (job.kind, job.key)).fetchone()
            if found:
                return self._job(found), False
            if check is not None:
                check([self._job(row) for row in conn.execute(
                    f"SELECT * FROM jobs WHERE {_PENDING} AND kind = ? ORDER BY seq", (job.kind,)).fetchall()])
            if self.max_pending is not None:
                count = conn.execute(f"SELECT COUNT(*) FROM jobs WHERE {_PENDING}").fetchone()[0]
                if count >= self.max_pending:
                    raise full(self.max_pending)
            row = job.row()
            row["seq"] = (conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0])
            names = ", ".join(row)
            conn.execute(f"INSERT INTO jobs ({names}) VALUES ({', '.join(':' + n for n in row)})", row)
        return job, True

    def pending(self, kind: str, key: str) -> Job | None:
        """The queued or running job of this kind with this key, if any."""
        with self._connect() as conn:
            return self._job(conn.execute(f"SELECT * FROM jobs WHERE kind = ? AND key = ? AND {_PENDING} LIMIT 1",
                                          (kind, key)).fetchone())

    def latest_pending(self, kind: str | None, doc_id: str | None = None) -> Job | None:
        """The newest queued or running job of this kind (any kind: None) and of this document, if any."""
        where, args = narrowed(kind, doc_id, "?")
        with self._connect() as conn:
            return self._job(conn.execute(f"SELECT * FROM jobs WHERE {_PENDING}{where} ORDER BY seq DESC LIMIT 1",
                                          args).fetchone())

    def pending_of(self, kind: str, limit: int = 1000) -> list[Job]:
        """The queued and running jobs of this kind, oldest first (at most `limit`)."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT * FROM jobs WHERE {_PENDING} AND kind = ? ORDER BY seq LIMIT ?",
                                (kind, limit)).fetchall()
        return [self._job(r) for r in rows]

    def pending_count(self) -> int:
        """How many jobs are queued or running."""
        with self._connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM jobs WHERE {_PENDING}").fetchone()[0]

    def get(self, job_id: str) -> Job | None:
        """One job by id."""
        with self._connect() as conn:
            return self._job(conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [self._job(r) for r in rows]

    def pending_ids(self) -> set[str]:
        """Ids of queued and running jobs."""
        with self._connect() as conn:
            return {r[0] for r in conn.execute(f"SELECT id FROM jobs WHERE {_PENDING}")}

    def claim(self, short: bool = False) -> Job | None:
        """Mark the oldest queued job (with `short`, short write following no pending job) running and return it."""
        where, args = claimable(short, "?")
        with self._transaction() as conn:
            row = conn.execute(f"SELECT id FROM jobs WHERE state = ?{where} ORDER BY seq LIMIT 1",
                               (QUEUED, *args)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE jobs SET state = ?, stage = 'preparing', attempts = attempts + 1, started = ?,"
                         " error_code = NULL, error_message = NULL WHERE id = ?", (RUNNING, time.time(), row[0]))
            return self._job(conn.execute("SELECT * FROM jobs WHERE id = ?", (row[0],)).fetchone())

    def progress(self, job_id: str, stage: str, done: int = 0, total: int = 0) -> None:
        """Record how far a running job got."""
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET stage = ?, chunks_done = ?, chunks_total = ? WHERE id = ? AND state = ?",
                         (stage, done, total, job_id, RUNNING))

    def finish(self, job_id: str, version: str | None, doc_id: str | None, duplicate: bool = False) -> None:
        """Mark a job done with the version that serves its result."""
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET state = ?, stage = 'finished', version = ?, doc_id = ?, duplicate = ?,"
                         " chunks_done = chunks_total, finished = ? WHERE id = ?",
                         (DONE, version, doc_id, int(duplicate), time.time(), job_id))

    def fail(self, job_id: str, code: str, message: str) -> None:
        """Mark a job failed."""
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET state = ?, stage = 'finished', error_code = ?, error_message = ?,"
                         " finished = ? WHERE id = ?", (FAILED, code, message, time.time(), job_id))

    def requeue(self, job_id: str, count_attempt: bool = True) -> None:
        """Put a running job back in the queue, at its old place."""
        forgive = 0 if count_attempt else 1
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET state = ?, stage = 'waiting', chunks_done = 0, started = NULL,"
                         " attempts = attempts - ? WHERE id = ? AND state = ?", (QUEUED, forgive, job_id, RUNNING))

    def serving(self, wait_s: float = 5.0) -> contextlib.AbstractContextManager[None]:
        """Nothing to hold: this queue lives in the index folder, whose runner lock makes its runner the only one."""
        return contextlib.nullcontext()

    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """Running jobs of a dead runner go back to the queue, or fail once they used `max_attempts`."""
        with self._transaction() as conn:
            conn.execute(*forgiven_beside_long_writes("?"))
            rows = conn.execute("SELECT id, attempts FROM jobs WHERE state = ?", (RUNNING,)).fetchall()
            requeued = [r[0] for r in rows if r[1] < max_attempts]
            failed = [r[0] for r in rows if r[1] >= max_attempts]
            for job_id in requeued:
                conn.execute("UPDATE jobs SET state = ?, stage = 'waiting', chunks_done = 0, started = NULL"
                             " WHERE id = ?", (QUEUED, job_id))
            for job_id in failed:
                conn.execute("UPDATE jobs SET state = ?, stage = 'finished', error_code = 'runner_stopped',"
                             " error_message = ?, finished = ? WHERE id = ?",
                             (FAILED, f"the job runner stopped {max_attempts} times while running this job;"
                                      " it was given up", time.time(), job_id))
        return requeued, failed
