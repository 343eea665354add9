"""The job queue in PostgreSQL (`KB_DATABASE_URL`), shared by web replicas on any machine and the runner.

Claims take the oldest queued row with `FOR UPDATE SKIP LOCKED`: concurrent claimers never wait on
each other and never get the same job. A partial unique index on (kind, key) of pending jobs makes
"one pending job per key" hold across processes without a table lock.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import fields
from typing import Callable, Iterator

from index.pgconn import Database, migrate, reported_unavailable

from .base import (DONE, FAILED, PENDING, QUEUED, RUNNING, Follows, Job, RunnerBusy, behind, claimable,
                   forgiven_beside_long_writes, full, narrowed)

MIGRATIONS = [
    f"""
    CREATE TABLE jobs (
        seq BIGSERIAL UNIQUE,
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
        duplicate BOOLEAN NOT NULL DEFAULT FALSE,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created DOUBLE PRECISION NOT NULL,
        started DOUBLE PRECISION,
        finished DOUBLE PRECISION
    );
    CREATE INDEX jobs_queued ON jobs (seq) WHERE state = '{QUEUED}';
    CREATE UNIQUE INDEX jobs_pending_key ON jobs (kind, key) WHERE state IN ('{QUEUED}', '{RUNNING}');
    """,
    "ALTER TABLE jobs ADD COLUMN payload TEXT",  # concept jobs carry their change as JSON
]
RUNNER_LOCK = 0x6B62_726E  # session advisory lock held by the database's one job runner ("kbrn")
ORDER_LOCK = 0x6B62_6F72  # transaction advisory lock of writes queued in order behind a document's others ("kbor")
_COLUMNS = [f.name for f in fields(Job)]
_PENDING = f"state IN ({', '.join(repr(s) for s in PENDING)})"
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM jobs"


def _job(row: dict | None) -> Job | None:
    return Job(**{name: row[name] for name in _COLUMNS}) if row else None


class PostgresQueue:
    """A `JobQueue` in PostgreSQL; safe from any thread of any process on any machine.

    With `max_pending`, `submit` refuses a new job (QueueFull) while that many are queued or running; the
    count is not locked, so concurrent submitters may overshoot it by a few jobs (it is back-pressure, not a quota).
    """

    def __init__(self, url: str | Database, max_pending: int | None = None) -> None:
        self.db = url if isinstance(url, Database) else Database(url)
        self.max_pending = max_pending
        self._runner: tuple[Database, float] | None = None  # while serving: the lock's own connection, how long to wait
        self._locked: object = None  # the connection that holds the runner lock (a new one must take it again)
        migrate(self.db.url, "jobs", MIGRATIONS)

    @contextlib.contextmanager
    def serving(self, wait_s: float = 5.0) -> Iterator[None]:
        """Hold the database's runner lock for the block, taken on the first `recover` or `claim` (so that a database
        still down at the start is an outage to wait out) and again after an outage ended its session."""
        self._runner = (Database(self.db.url, statement_timeout=self.db.statement_timeout), wait_s)
        try:
            yield
        finally:
            self._runner[0].close()
            self._runner, self._locked = None, None

    def _own(self) -> None:
        """While serving: make sure this runner's session holds the runner lock; RunnerBusy if another keeps it."""
        if self._runner is None:
            return
        db, wait_s = self._runner
        conn = db.connection()
        if conn is self._locked:
            return
        deadline = time.monotonic() + wait_s
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (RUNNER_LOCK,)).fetchone()["ok"]:
            if time.monotonic() >= deadline:
                raise RunnerBusy("another job runner serves this database")
            time.sleep(0.1)
        self._locked = conn

    @reported_unavailable
    def submit(self, job: Job, follows: Follows | None = None,
               check: Callable[[list[Job]], None] | None = None) -> tuple[Job, bool]:
        """Add `job` unless a pending job of the same kind has its key; with `follows`, in order (`in_order`); with
        `check`, checked against the pending jobs of its kind in the same transaction."""
        if follows is None and check is None:
            return self._insert(job)
        with self.db.transaction() as conn:  # this thread's connection, which `_insert` uses too
            # One lock for every ordered write: the newest pending write a job follows cannot change until it is in.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ORDER_LOCK,))
            if follows is not None:
                job, new = behind(job, follows, lambda where, args: _job(conn.execute(
                    f"{_SELECT} WHERE {_PENDING}{where} ORDER BY seq DESC LIMIT 1", args).fetchone()), "%s")
                if not new:
                    return job, False
            if check is not None:
                if (found := self.pending(job.kind, job.key)) is not None:
                    return found, False
                check([_job(row) for row in conn.execute(f"{_SELECT} WHERE {_PENDING} AND kind = %s ORDER BY seq",
                                                         (job.kind,)).fetchall()])
            return self._insert(job)

    def _insert(self, job: Job) -> tuple[Job, bool]:
        """Insert `job` unless a pending job of the same kind has its key."""
        conn = self.db.connection()
        row = job.row()
        insert = (f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('%(' + n + ')s' for n in row)})"
                  f" ON CONFLICT (kind, key) WHERE {_PENDING} DO NOTHING RETURNING id")
        while True:
            if self.max_pending is not None:
                found = self.pending(job.kind, job.key)
                if found:
                    return found, False
                if self.pending_count() >= self.max_pending:
                    raise full(self.max_pending)
            if conn.execute(insert, row).fetchone():
                return job, True
            found = self.pending(job.kind, job.key)
            if found:  # else it finished between the two statements: try again
                return found, False

    @reported_unavailable
    def pending(self, kind: str, key: str) -> Job | None:
        """The queued or running job of this kind with this key, if any."""
        return _job(self.db.connection().execute(f"{_SELECT} WHERE kind = %s AND key = %s AND {_PENDING}",
                                                 (kind, key)).fetchone())

    @reported_unavailable
    def latest_pending(self, kind: str | None, doc_id: str | None = None) -> Job | None:
        """The newest queued or running job of this kind (any kind: None) and of this document, if any."""
        where, args = narrowed(kind, doc_id, "%s")
        return _job(self.db.connection().execute(
            f"{_SELECT} WHERE {_PENDING}{where} ORDER BY seq DESC LIMIT 1", args).fetchone())

    @reported_unavailable
    def pending_of(self, kind: str, limit: int = 1000) -> list[Job]:
        """The queued and running jobs of this kind, oldest first (at most `limit`)."""
        rows = self.db.connection().execute(f"{_SELECT} WHERE {_PENDING} AND kind = %s ORDER BY seq LIMIT %s",
                                            (kind, limit)).fetchall()
        return [_job(r) for r in rows]

    @reported_unavailable
    def pending_count(self) -> int:
        """How many jobs are queued or running."""
        return self.db.connection().execute(f"SELECT COUNT(*) AS n FROM jobs WHERE {_PENDING}").fetchone()["n"]

    @reported_unavailable
    def get(self, job_id: str) -> Job | None:
        """One job by id."""
        return _job(self.db.connection().execute(f"{_SELECT} WHERE id = %s", (job_id,)).fetchone())

    @reported_unavailable
    def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first."""
        rows = self.db.connection().execute(f"{_SELECT} ORDER BY seq DESC LIMIT %s", (limit,)).fetchall()
        return [_job(r) for r in rows]

    @reported_unavailable
    def pending_ids(self) -> set[str]:
        """Ids of queued and running jobs."""
        return {r["id"] for r in self.db.connection().execute(f"SELECT id FROM jobs WHERE {_PENDING}")}

    @reported_unavailable
    def claim(self, short: bool = False) -> Job | None:
        """Mark the oldest queued job (with `short`, short write following no pending job) running and return it;
        rows another claimer holds are skipped."""
        self._own()
        where, args = claimable(short, "%s")
        row = self.db.connection().execute(
            f"UPDATE jobs SET state = %s, stage = 'preparing', attempts = attempts + 1, started = %s,"
            f" error_code = NULL, error_message = NULL"
            f" WHERE id = (SELECT id FROM jobs WHERE state = %s{where} ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
            f" RETURNING {', '.join(_COLUMNS)}", (RUNNING, time.time(), QUEUED, *args)).fetchone()
        return _job(row)

    @reported_unavailable
    def progress(self, job_id: str, stage: str, done: int = 0, total: int = 0) -> None:
        """Record how far a running job got."""
        self.db.connection().execute(
            "UPDATE jobs SET stage = %s, chunks_done = %s, chunks_total = %s WHERE id = %s AND state = %s",
            (stage, done, total, job_id, RUNNING))

    @reported_unavailable
    def finish(self, job_id: str, version: str | None, doc_id: str | None, duplicate: bool = False) -> None:
        """Mark a job done with the version that serves its result."""
        self.db.connection().execute(
            "UPDATE jobs SET state = %s, stage = 'finished', version = %s, doc_id = %s, duplicate = %s,"
            " chunks_done = chunks_total, finished = %s WHERE id = %s",
            (DONE, version, doc_id, duplicate, time.time(), job_id))

    @reported_unavailable
    def fail(self, job_id: str, code: str, message: str) -> None:
        """Mark a job failed."""
        self.db.connection().execute(
            "UPDATE jobs SET state = %s, stage = 'finished', error_code = %s, error_message = %s, finished = %s"
            " WHERE id = %s", (FAILED, code, message, time.time(), job_id))

    @reported_unavailable
    def requeue(self, job_id: str, count_attempt: bool = True) -> None:
        """Put a running job back in the queue, at its old place."""
        self.db.connection().execute(
            "UPDATE jobs SET state = %s, stage = 'waiting', chunks_done = 0, started = NULL, attempts = attempts - %s"
            " WHERE id = %s AND state = %s", (QUEUED, 0 if count_attempt else 1, job_id, RUNNING))

    @reported_unavailable
    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """Running jobs of a dead runner go back to the queue, or fail once they used `max_attempts`."""
        self._own()
        with self.db.transaction() as conn:
            conn.execute(*forgiven_beside_long_writes("%s"))
            requeued = conn.execute(
                "UPDATE jobs SET state = %s, stage = 'waiting', chunks_done = 0, started = NULL"
                " WHERE state = %s AND attempts < %s RETURNING id, seq", (QUEUED, RUNNING, max_attempts)).fetchall()
            failed = conn.execute(
                "UPDATE jobs SET state = %s, stage = 'finished', error_code = 'runner_stopped', error_message = %s,"
                " finished = %s WHERE state = %s RETURNING id, seq",
                (FAILED, f"the job runner stopped {max_attempts} times while running this job; it was given up",
                 time.time(), RUNNING)).fetchall()
        return ([r["id"] for r in sorted(requeued, key=lambda r: r["seq"])],
                [r["id"] for r in sorted(failed, key=lambda r: r["seq"])])
