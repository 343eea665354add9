"""Queueing writes: check an upload at once (cheap: load and clean, no embedding), spool it, queue its job."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from index import uploads
from index.concepts.edit import ConceptChange
from index.errors import DocumentError
from index.records import document_hash

from ..loaders import SUPPORTED_SUFFIXES
from ..pipeline import doc_id_for, load_text
from . import spool
from .base import CONCEPT, DELETE, METADATA, UPLOAD, Job, JobQueue

_AFTER = " after "  # an edit's key names the pending edit it was queued behind


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that can become a document: its client name, suffix, and hashes of its bytes and of its text."""

    name: str
    suffix: str
    content_hash: str
    text_hash: str


def check_upload(data: bytes, name: str) -> CheckedUpload:
    """Check that an upload can become a document (type, parsing limits, enough text); DocumentError otherwise.

    `name` is the client's (already sanitised) file name: it picks the loader and names errors.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{name}: unsupported file type {suffix or '(none)'}")
    text = load_text(data, name)
    return CheckedUpload(name, suffix, hashlib.sha256(data).hexdigest(), document_hash(text))


def submit_upload(queue: JobQueue, jobs_dir: Path, data: bytes, upload: CheckedUpload,
                  after: Job | None = None, metadata: dict | None = None) -> tuple[Job, bool]:
    """Spool a checked upload and queue its job with its (checked) metadata; (job, False) when the same text is
    already pending.

    `after` is a pending deletion of the indexed copy of this text: the upload must then run after it, so it
    is not merged with an upload of the same text queued before the deletion (that one ends as a duplicate).
    """
    key = upload.text_hash if after is None else f"{upload.text_hash} after {after.id}"
    job = Job(id=uuid.uuid4().hex, kind=UPLOAD, key=key, file_name=upload.name,
              content_hash=upload.content_hash, suffix=upload.suffix,
              doc_id=doc_id_for(uploads.source_for(upload.content_hash, upload.suffix)),
              payload=json.dumps(metadata, ensure_ascii=False) if metadata else None)
    spool.write(jobs_dir, job, data)
    try:
        queued, created = queue.submit(job)
    except BaseException:
        spool.remove(jobs_dir, job)  # a refused job (the queue is full) leaves no bytes behind
        raise
    if not created:
        spool.remove(jobs_dir, job)
    return queued, created


def submit_delete(queue: JobQueue, doc_id: str) -> tuple[Job, bool]:
    """Queue a deletion; (job, False) when a deletion is the newest pending write of this document (not when an
    upload of its text was queued since: delete, upload, delete ends deleted)."""
    return _submit_in_order(queue, Job(id=uuid.uuid4().hex, kind=DELETE, key=doc_id, doc_id=doc_id),
                            queue.latest_pending(None, doc_id))


def submit_metadata(queue: JobQueue, doc_id: str, changes: dict) -> tuple[Job, bool]:
    """Queue a (checked) metadata edit of a document; (job, False) when the very same edit is the newest pending
    one of that document."""
    payload = json.dumps(changes, ensure_ascii=False, sort_keys=True)
    key = f"{doc_id} " + hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return _submit_in_order(queue, Job(id=uuid.uuid4().hex, kind=METADATA, key=key, doc_id=doc_id, payload=payload),
                            queue.latest_pending(METADATA, doc_id))


def submit_concept_change(queue: JobQueue, change: ConceptChange) -> tuple[Job, bool]:
    """Queue a (validated) concept change; (job, False) when the very same change is the newest pending one."""
    payload = change.to_json()
    key = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return _submit_in_order(queue, Job(id=uuid.uuid4().hex, kind=CONCEPT, key=key, payload=payload),
                            queue.latest_pending(CONCEPT))


def _submit_in_order(queue: JobQueue, job: Job, latest: Job | None) -> tuple[Job, bool]:
    """Queue an edit, merged with the newest pending edit it repeats (a client's retry) but never with an older
    one: that would move it back ahead of the edits queued since (edit A, delete, edit A again ended deleted).
    Its key then names the edit it follows, so that the older identical one does not absorb it."""
    if latest is not None and latest.key.split(_AFTER)[0] == job.key:
        return latest, False
    if latest is not None:
        job = dataclasses.replace(job, key=f"{job.key}{_AFTER}{latest.id}")
    return queue.submit(job)

