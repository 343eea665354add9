"""Queueing writes: check an upload at once (cheap: load and clean, no embedding), spool it, queue its job."""
from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from index import uploads
from index.errors import DocumentError

from ..loaders import SUPPORTED_SUFFIXES
from ..pipeline import doc_id_for, load_text
from . import spool
from .base import DELETE, UPLOAD, Job, JobQueue


def text_key(text: str) -> str:
    """Hash of a document's cleaned text (NFC, whitespace and line ends unified by cleaning): the same content
    in another encoding or with other line ends gets the same key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def submit_upload(queue: JobQueue, jobs_dir: Path, data: bytes, name: str) -> tuple[Job, bool]:
    """Queue an upload after checking that it can become a document; (job, False) when the same is pending.

    `name` is the client's (already sanitised) file name: it picks the loader and names errors.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{name}: unsupported file type {suffix or '(none)'}")
    text = load_text(data, name)
    content_hash = hashlib.sha256(data).hexdigest()
    job = Job(id=uuid.uuid4().hex, kind=UPLOAD, key=text_key(text), file_name=name, content_hash=content_hash,
              suffix=suffix, doc_id=doc_id_for(uploads.source_for(content_hash, suffix)))
    spool.write(jobs_dir, job, data)
    queued, created = queue.submit(job)
    if not created:
        spool.remove(jobs_dir, job)
    return queued, created


def submit_delete(queue: JobQueue, doc_id: str) -> tuple[Job, bool]:
    """Queue a deletion; (job, False) when one for this document is already pending."""
    return queue.submit(Job(id=uuid.uuid4().hex, kind=DELETE, key=doc_id, doc_id=doc_id))
