"""Ingest jobs: every web write is a job in a durable queue, run in order by one runner process.

`python -m ingest.jobs --index-dir DIR` is the runner. The queue lives in `<index dir>/jobs/` (SQLite),
or in PostgreSQL when `KB_DATABASE_URL` is set; the bytes of pending uploads in `<index dir>/jobs/spool/`.
"""
from __future__ import annotations

from pathlib import Path

from index.config import Config
from index.errors import MissingPackage

from .base import CONCEPT, DELETE, DONE, FAILED, KINDS, METADATA, QUEUED, RUNNING, STATES, UPLOAD, Job, JobQueue
from .sqlite import SqliteQueue

JOBS = "jobs"


def jobs_dir(index_dir: Path) -> Path:
    """The folder holding the queue, the spool and the runner's lock."""
    return Path(index_dir) / JOBS


def open_queue(config: Config, max_pending: int | None = None) -> JobQueue:
    """The job queue: in `config.database_url`'s database when it is set, else in the index directory.

    `max_pending` bounds how many jobs may be queued or running (submitters get QueueFull); None: no bound.
    """
    if config.database_url:
        try:
            from index.pgconn import Database

            from .postgres import PostgresQueue  # psycopg only where PostgreSQL is used
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"KB_DATABASE_URL needs the PostgreSQL packages ({exc}): "
                                 "pip install -r requirements-scale.txt") from None

        db = Database(config.database_url, statement_timeout=config.pg_statement_timeout_s)
        return PostgresQueue(db, max_pending)
    return SqliteQueue(jobs_dir(config.index_dir), max_pending)


__all__ = ["CONCEPT", "DELETE", "DONE", "FAILED", "KINDS", "METADATA", "QUEUED", "RUNNING", "STATES", "UPLOAD", "Job", "JobQueue",
           "jobs_dir", "open_queue"]
