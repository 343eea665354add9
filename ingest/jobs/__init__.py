"""Ingest jobs: every web write is a job in a durable queue, run in order by one runner process.

`python -m ingest.jobs --index-dir DIR` is the runner. The queue lives in `<index dir>/jobs/`
(SQLite), the bytes of pending uploads in `<index dir>/jobs/spool/`.
"""
from __future__ import annotations

from pathlib import Path

from .base import CONCEPT, DELETE, DONE, FAILED, KINDS, QUEUED, RUNNING, STATES, UPLOAD, Job, JobQueue
from .sqlite import SqliteQueue

JOBS = "jobs"


def jobs_dir(index_dir: Path) -> Path:
    """The folder holding the queue, the spool and the runner's lock."""
    return Path(index_dir) / JOBS


def open_queue(index_dir: Path) -> JobQueue:
    """The job queue of an index directory."""
    return SqliteQueue(jobs_dir(index_dir))


__all__ = ["CONCEPT", "DELETE", "DONE", "FAILED", "KINDS", "QUEUED", "RUNNING", "STATES", "UPLOAD", "Job", "JobQueue",
           "jobs_dir", "open_queue"]
