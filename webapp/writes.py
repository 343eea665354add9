"""Uploads, deletions and metadata edits, shared by the API and the UI: authorise, check at once, queue a job.

No request waits on the encoder: a write is validated (token, file type, the file parses) and queued
in `<index dir>/jobs/`; the job runner (`python -m ingest.jobs`) embeds and publishes it. Clients follow
the job at /api/jobs/<id>; once it is done every worker serves the version it names.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import current_app, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from index.docmeta import changed_metadata, check_metadata
from index.errors import DocumentError, InvalidMetadata, KBError, NotFound, Overloaded
from ingest.jobs import DELETE, METADATA, UPLOAD, Job, JobQueue, jobs_dir, open_queue
from ingest.jobs.runner import runner_alive
from ingest.jobs.submit import CheckedUpload, check_upload, submit_delete, submit_metadata, submit_upload
from ingest.loaders import SUPPORTED_SUFFIXES

from . import health, params
from .auth import TOKEN_FIELD, require_writer
from .citations import cite
from .kb import get_kb
from .trainer import CSRF_FIELD

log = logging.getLogger(__name__)

FILE_FIELD = "file"
SUPPORTED = ", ".join(sorted(SUPPORTED_SUFFIXES))
RECENT_JOBS = 50
# A worker checks one upload at a time: extracting a 10 MB file holds 200-270 MB and seconds of the interpreter,
# and several at once would add up to past a GB. One more waits its turn this long, then gets a 503; the rest get
# one at once: each waiting upload holds one of the worker's threads, and eight held every thread, so searches
# queued in front of the app for up to a minute.
CHECK_WAIT_S = 30.0
CHECK_WAITERS = 1
# Plain text and Markdown this small are checked at once, outside the line: they hold a few MB for milliseconds, and
# four clients uploading notes at the same moment got a 503 for one of them.
SMALL_TEXT_BYTES = 256 * 1024
SMALL_TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})


class _CheckTurns:
    """The upload check's one turn in a worker, and the places in line before it."""

    def __init__(self) -> None:
        self.turn = threading.Semaphore(1)
        self.line = threading.Semaphore(1 + CHECK_WAITERS)


class NoFile(BadRequest):
    name = "No File"
    # werkzeug drops a part whose headers are not UTF-8 (a Latin-1 file name), so that is said too.
    description = (f"send the document as a multipart/form-data field named '{FILE_FIELD}'"
                   " (its part headers, the file name among them, in UTF-8)")


class UnsupportedType(UnsupportedMediaType):
    name = "Unsupported Type"


def _index_dir() -> Path:
    return Path(current_app.config["KB"].index_dir)


def queue() -> JobQueue:
    """This app's job queue (opened on first use, so a server without writes never creates it)."""
    if current_app.config["KB"].database_url:  # the queue is in the index's database: while that is down, so is it
        current_app.extensions["kb"].check_reachable()
    if "jobs" not in current_app.extensions:
        current_app.extensions["jobs"] = open_queue(current_app.config["KB"], current_app.config["KB"].max_pending_jobs)
    return current_app.extensions["jobs"]


def _served_copy(upload: CheckedUpload) -> dict | None:
    try:
        return get_kb().duplicate_of(upload.content_hash, upload.text_hash)
    except KBError:
        return None  # no index yet: the first upload creates it


def _indexed_copy(upload: CheckedUpload) -> tuple[dict | None, str | None]:
    """(the indexed document with this content, None) or, when a pending job deletes it, (None, its id).

    An upload is a duplicate only of a document that stays: one whose deletion is pending is queued anew,
    behind the deletion. A deletion that finished after this request's version was loaded is seen by
    looking at the newest version once more.
    """
    indexed = _served_copy(upload)
    if indexed is None:
        return None, None
    deleting = queue().latest_pending(DELETE, indexed["doc_id"])
    if deleting is not None:
        return None, indexed["doc_id"]
    current_app.extensions["kb"].refresh()
    return _served_copy(upload), None


def _check_in_turn(data: bytes, name: str) -> CheckedUpload:
    if len(data) <= SMALL_TEXT_BYTES and Path(name).suffix.lower() in SMALL_TEXT_SUFFIXES:
        return check_upload(data, name)
    extensions = current_app.extensions
    turns = extensions.get("upload_checks") or extensions.setdefault("upload_checks", _CheckTurns())
    busy = Overloaded(f"{name}: other uploads are being checked; retry in a few seconds")
    if not turns.line.acquire(blocking=False):
        raise busy
    try:
        if not turns.turn.acquire(timeout=CHECK_WAIT_S):
            raise busy
        try:
            return check_upload(data, name)
        finally:
            turns.turn.release()
    finally:
        turns.line.release()


def upload(edit_duplicate: bool = True) -> tuple[dict, int]:
    """Queue the request's file: (body, 202) with the job, (body, 200) when the content is indexed or queued.

    A copy of an indexed or queued document sent with other metadata queues that edit; without `edit_duplicate`
    (the upload form, whose trainer may not know the file is there) nothing is queued and `differs` names the fields.
    """
    require_writer()
    health.require_writable()
    file = request.files.get(FILE_FIELD)
    if file is None:
        raise NoFile()
    if (sent := len(request.files.getlist(FILE_FIELD))) > 1:  # one job and one document per upload: which is kept?
        raise DocumentError(f"send one file per upload, not {sent}")
    name = params.file_name(file.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedType(f"{name or 'the file'}: unsupported file type {suffix or '(none)'}"
                              f" (supported: {SUPPORTED})")
    metadata = upload_metadata()
    data = file.read()
    if not data.strip():
        raise DocumentError(f"{name}: empty file")
    checked = _check_in_turn(data, name)
    indexed, deleting = _indexed_copy(checked)
    if indexed is not None:
        log.info("upload %r is already indexed as %s", name, indexed["doc_id"])
        document = {**indexed, "citation": cite(indexed["citation"])}
        # The same text sent with another title or authors is kept as an edit of that copy, not dropped.
        changes = changed_metadata(metadata, _with_pending_edits(indexed["doc_id"], indexed))
        if changes and edit_duplicate:
            return {"duplicate": True, "document": document, "job": _edit(indexed["doc_id"], changes)}, 202
        return {"duplicate": True, "document": document, "job": None, **({"differs": changes} if changes else {})}, 200
    job, created = submit_upload(queue(), jobs_dir(_index_dir()), data, checked, indexed_as=deleting,
                                 metadata=metadata)
    log.info("upload %r %s job %s", name, "queued as" if created else "is already pending as", job.id)
    changes = {} if created else changed_metadata(metadata, _with_pending_edits(job.doc_id, job.metadata() or {}))
    if changes and edit_duplicate:
        return {"duplicate": True, "document": None, "job": _edit(job.doc_id, changes)}, 202
    return {"duplicate": not created, "document": None, "job": job.to_dict(), **({"differs": changes} if changes else {})}, \
        202 if created else 200


def _with_pending_edits(doc_id: str, held: dict) -> dict:
    """The metadata a document will hold once the pending edits of it have run: `held`, each edit over it in turn
    (the same text sent three times with three titles ends with the last)."""
    found = dict(held)
    for job in queue().pending_of(METADATA):
        if job.doc_id == doc_id:
            found.update(job.metadata() or {})
    return found


def _edit(doc_id: str, changes: dict) -> dict:
    """Queue a (checked) metadata edit of a document known to the index or the queue; the job as the API shows it."""
    job, created = submit_metadata(queue(), doc_id, changes)
    log.info("metadata of %s %s job %s", doc_id, "queued as" if created else "is already pending as", job.id)
    return job.to_dict()


def upload_metadata() -> dict:
    """The metadata an upload's form gives (title, authors, date, publisher, language), checked; empty fields left out.

    Authors come as one field per author, or one field with names separated by ';'.
    """
    form = request.form
    # The form parser replaces bytes that are no UTF-8 with U+FFFD: stored so, the names would be lost for good.
    garbled = next((name for name in form if any("\ufffd" in value for value in form.getlist(name))), None)
    if garbled:
        raise InvalidMetadata(f"{garbled} is not UTF-8 text")
    repeated = next((name for name in form if name != "authors" and len(form.getlist(name)) > 1), None)
    if repeated:  # title=A&title=B: one reader keeps A, another B
        raise InvalidMetadata(f"{repeated} is given more than once")
    # Every field but the write's credentials is metadata: check_metadata refuses the unknown ones.
    raw: dict = {name: form[name] for name in form if name not in (TOKEN_FIELD, CSRF_FIELD, "authors")}
    authors = [a for a in form.getlist("authors") if a.strip()]
    if authors:
        raw["authors"] = authors[0] if len(authors) == 1 else authors
    return {k: v for k, v in check_metadata(raw).items() if v}


def edit_metadata(doc_id: str, body: object) -> tuple[dict, int]:
    """Queue a change of a served document's metadata (404 for an unknown id); (body, 202) with the job."""
    require_writer()
    health.require_writable()
    if not isinstance(body, dict) or not body:
        raise InvalidMetadata("send a JSON object with at least one of title, authors, date, publisher, language")
    changes = check_metadata(body)
    for name in ("title", "lang"):
        if name in changes and not changes[name]:
            raise InvalidMetadata(f"{'language' if name == 'lang' else name} cannot be empty")
    _require_document(doc_id)
    return {"job": _edit(doc_id, changes)}, 202


def _require_document(doc_id: str) -> None:
    """NotFound unless the served index holds the document or a pending upload job will add it.

    An upload's 202 names its document's id at once: a deletion or an edit sent before the upload's job has run
    is queued behind that job (the queue keeps each document's writes in order), not refused with a 404 while
    the upload goes on to publish the document the client meant to delete."""
    try:
        get_kb().document(doc_id)
    except NotFound:
        if queue().latest_pending(UPLOAD, doc_id) is not None:
            return
        # Its upload's job may have published and ended since this request loaded its version (the runner
        # publishes before it records the job done): that version is served once loaded.
        current_app.extensions["kb"].refresh()
        get_kb().document(doc_id)


def delete(doc_id: str) -> tuple[dict, int]:
    """Queue a deletion of a served document (404 for an unknown id); (body, 202)."""
    require_writer()
    health.require_writable()
    _require_document(doc_id)
    job, created = submit_delete(queue(), doc_id)
    log.info("delete %s %s job %s", doc_id, "queued as" if created else "is already pending as", job.id)
    return {"job": job.to_dict()}, 202


def job(job_id: str) -> Job:
    """One job, or 404."""
    found = queue().get(job_id) if len(job_id) <= 64 else None
    if found is None:
        raise NotFound(f"no job {job_id!r}")
    return found


def pending_jobs() -> int | None:
    """How many writes are queued or running, or None while the queue cannot be read (reads go on without it)."""
    try:
        return queue().pending_count()
    except Exception as exc:  # a health probe: any failure (database down, SQLite locked or gone) is "unknown"
        log.warning("job queue unreadable for /healthz: %s", exc)
        return None


def runner_is_alive() -> bool:
    """Whether a job runner serves this index directory now."""
    return runner_alive(_index_dir())


def recent_jobs(limit: int = RECENT_JOBS) -> dict:
    """The newest jobs and whether a runner is there to run them."""
    return {"jobs": [j.to_dict() for j in queue().recent(limit)], "runner": {"alive": runner_is_alive()}}
