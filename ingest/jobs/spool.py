"""Bytes of uploads waiting for their job: `<index dir>/jobs/spool/<job id><suffix>`, never under uploads/.

They move into the index's uploads folder only when their job publishes, so `uploads/` holds exactly
the files of indexed documents; the runner removes spool files that no pending job needs.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from index.files import naming_full_disk, write_atomically

from .base import Job

SPOOL = "spool"
# A web worker writes the file first and queues its job just after: younger files may still be claimed.
GRACE_S = 120.0


def folder(jobs_dir: Path) -> Path:
    """The spool folder."""
    return Path(jobs_dir) / SPOOL


def path_of(jobs_dir: Path, job: Job) -> Path:
    """Where an upload job's bytes wait."""
    return folder(jobs_dir) / f"{job.id}{job.suffix or ''}"


def write(jobs_dir: Path, job: Job, data: bytes) -> Path:
    """Store an upload job's bytes durably (written beside, then renamed); InsufficientStorage on a full disk."""
    with naming_full_disk(folder(jobs_dir)):
        return write_atomically(path_of(jobs_dir, job), data)


def remove(jobs_dir: Path, job: Job) -> None:
    """Forget an upload job's bytes."""
    path_of(jobs_dir, job).unlink(missing_ok=True)


def sweep(jobs_dir: Path, pending: set[str], grace_s: float = GRACE_S,
          finished: Callable[[str], bool] = lambda job_id: False) -> list[Path]:
    """Delete spool files of jobs that are no longer pending: at once where `finished` knows the job ended (its
    runner was killed after recording it, before removing its bytes), else once older than `grace_s`."""
    root = folder(jobs_dir)
    if not root.is_dir():
        return []
    now = time.time()
    doomed = []
    for path in root.iterdir():
        job_id = path.name.lstrip(".").split(".", 1)[0]
        if job_id not in pending and (now - path.stat().st_mtime > grace_s or finished(job_id)):
            path.unlink(missing_ok=True)
            doomed.append(path)
    return doomed
