"""Queueing writes: check an upload at once (cheap: load and clean, no embedding), spool it, queue its job."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from index import uploads
from index.concepts.edit import ConceptChange
from index.errors import DocumentError
from index.records import document_hash

from ..loaders import SUPPORTED_SUFFIXES
from ..pipeline import doc_id_for, load_text
from . import spool
from .base import CONCEPT, DELETE, METADATA, UPLOAD, Follows, Job, JobQueue


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
                  indexed_as: str | None = None, metadata: dict | None = None) -> tuple[Job, bool]:
    """Spool a checked upload and queue its job with its (checked) metadata; (job, False) when the same text is the
    newest pending write of its document.

    `indexed_as` is the id of the indexed copy of this text (its deletion pending): the upload runs after every
    pending write of that document and of the pending uploads of its text, never merged with one queued before them.
    """
    job = Job(id=uuid.uuid4().hex, kind=UPLOAD, key=upload.text_hash, file_name=upload.name,
              content_hash=upload.content_hash, suffix=upload.suffix,
              doc_id=doc_id_for(uploads.source_for(upload.content_hash, upload.suffix)),
              payload=json.dumps(metadata, ensure_ascii=False) if metadata else None)
    documents = (job.doc_id,) if indexed_as in (None, job.doc_id) else (job.doc_id, indexed_as)
    spool.write(jobs_dir, job, data)
    try:
        queued, created = queue.submit(job, Follows(None, documents))
    except BaseException:
        spool.remove(jobs_dir, job)  # a refused job (the queue is full) leaves no bytes behind
        raise
    if not created:
        spool.remove(jobs_dir, job)
    return queued, created


def submit_delete(queue: JobQueue, doc_id: str) -> tuple[Job, bool]:
    """Queue a deletion; (job, False) when a deletion is the newest pending write of this document (not when an
    upload of its text was queued since: delete, upload, delete ends deleted)."""
    return queue.submit(Job(id=uuid.uuid4().hex, kind=DELETE, key=doc_id, doc_id=doc_id), Follows(None, (doc_id,)))


def submit_metadata(queue: JobQueue, doc_id: str, changes: dict) -> tuple[Job, bool]:
    """Queue a (checked) metadata edit of a document; (job, False) when the very same edit is the newest pending
    write of that document (not when a deletion or an upload of it was queued since: edit, delete, upload, edit
    again would end with the re-uploaded document unedited)."""
    payload = json.dumps(changes, ensure_ascii=False, sort_keys=True)
    key = f"{doc_id} " + hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return queue.submit(Job(id=uuid.uuid4().hex, kind=METADATA, key=key, doc_id=doc_id, payload=payload),
                        Follows(None, (doc_id,)))


def concept_changes(jobs: Iterable[Job]) -> list[tuple[Job, ConceptChange]]:
    """The concept jobs among `jobs`, in their order, each with the change it carries."""
    return [(job, ConceptChange.from_json(job.payload)) for job in jobs if job.kind == CONCEPT and job.payload]


def submit_concept_change(queue: JobQueue, change: ConceptChange,
                          check: Callable[[list[ConceptChange]], None] | None = None) -> tuple[Job, bool]:
    """Queue a concept change; (job, False) when the very same change is the newest pending one. `check` validates
    it against the queued concept changes, oldest first, in the queue's transaction: no change queued meanwhile
    by another server process escapes it."""
    payload = change.to_json()
    key = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    against = None if check is None else (lambda pending: check([c for _, c in concept_changes(pending)]))
    return queue.submit(Job(id=uuid.uuid4().hex, kind=CONCEPT, key=key, payload=payload), Follows(CONCEPT), against)
