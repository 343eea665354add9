"""Bytes of uploads waiting for their job: `<index dir>/jobs/spool/<job id><suffix>`, never under uploads/.

They move into the index's uploads folder only when their job publishes, so `uploads/` holds exactly
the files of indexed documents; the runner removes spool files that no pending job needs. Beside them, the vectors
a running upload has embedded so far (`<job id>.vectors-<n>.npz`, one file a block): a job run again after its
runner was stopped embeds only what is left (an upload of 48,000 passages embeds for 40 minutes).
"""
from __future__ import annotations

import io
import logging
import time
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from index.files import naming_full_disk, write_atomically

from .base import Job

log = logging.getLogger(__name__)

SPOOL = "spool"
# Texts embedded between two blocks of vectors kept (about two minutes of one core's embedding).
KEEP_EVERY = 2048
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
    """Forget an upload job's bytes and the vectors it kept."""
    path_of(jobs_dir, job).unlink(missing_ok=True)
    for path in _vector_files(jobs_dir, job):
        path.unlink(missing_ok=True)


def kept_vectors(jobs_dir: Path, job: Job, embedder: str) -> dict[str, np.ndarray]:
    """text hash -> vector of what the job embedded before it was stopped, with `embedder` (an unreadable block, one
    a kill cut short or of another embedder, is embedded again)."""
    found: dict[str, np.ndarray] = {}
    for path in _vector_files(jobs_dir, job):
        try:
            with np.load(path, allow_pickle=False) as block:
                if str(block["embedder"]) == embedder:
                    found.update(zip((str(h) for h in block["hashes"]), np.asarray(block["vectors"], np.float32)))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("ignoring the unreadable embedded block %s: %s", path.name, exc)
    return found


def keep_vectors(jobs_dir: Path, job: Job, embedder: str, hashes: list[str], vectors: np.ndarray) -> None:
    """Keep one block of a job's vectors (a file of its own, written whole), for the job run again. Only a saving:
    a block that cannot be written (a full disk) is embedded again by a run again, and this run goes on."""
    number = len(_vector_files(jobs_dir, job))
    buffer = io.BytesIO()
    np.savez(buffer, embedder=np.asarray(embedder), hashes=np.asarray(hashes), vectors=vectors)
    try:
        write_atomically(folder(jobs_dir) / f"{job.id}.vectors-{number:05d}.npz", buffer.getvalue())
    except OSError as exc:
        log.warning("could not keep job %s's embedded block %d (%s): a run again embeds it again", job.id, number, exc)


def _vector_files(jobs_dir: Path, job: Job) -> list[Path]:
    return sorted(folder(jobs_dir).glob(f"{job.id}.vectors-*.npz"))


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
