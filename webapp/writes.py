"""Uploads and deletions, shared by the API and the UI: authorise, write through the index writer, refresh.

Every write goes through `ingest.pipeline.ingest_upload` or `index.writer.delete_document`, which take the
writer lock and publish a new version atomically; readers keep serving the old version until then.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app, request
from werkzeug.exceptions import BadRequest, ServiceUnavailable, UnsupportedMediaType

from index.errors import DocumentError, IndexBusy, KBError, NotFound
from index.settings import index_settings
from index.writer import IndexSettings, delete_document
from ingest.pipeline import SUPPORTED_SUFFIXES, ingest_upload

from . import params
from .auth import require_writer
from .kb import get_kb

log = logging.getLogger(__name__)

FILE_FIELD = "file"
SUPPORTED = ", ".join(sorted(SUPPORTED_SUFFIXES))
RETRY_AFTER_S = 5
# The pipeline names an upload by its content-hash source; the client knows it by its own name.


class NoFile(BadRequest):
    name = "No File"
    description = f"send the document as a multipart/form-data field named '{FILE_FIELD}'"


class UnsupportedType(UnsupportedMediaType):
    name = "Unsupported Type"


class IndexBusyError(ServiceUnavailable):
    name = "Index Busy"


def _settings() -> IndexSettings:
    """Build settings for the served index: its embedder and vector backend, the rest from `$KB_*`."""
    embedder, backend = current_app.config.get("KB_EMBEDDER"), None
    try:
        manifest = get_kb().manifest()
        embedder, backend = embedder or manifest["embedder"], manifest["backend"]
    except KBError:
        pass  # no index yet: the first upload creates one with the configured settings
    return index_settings(embedder=embedder, backend=backend)


def _lock_timeout() -> float:
    return float(current_app.config["KB_LOCK_TIMEOUT_S"])


def _index_dir() -> Path:
    return Path(current_app.config["KB_INDEX_DIR"])


def _published() -> str:
    """Make this process serve the version just published, and name the version it serves."""
    holder = current_app.extensions["kb"]
    holder.refresh(force=True)
    return holder.get().version


def upload() -> tuple[dict, int]:
    """Ingest the request's file; (body, 201) when added, (body, 200) when its content was already there."""
    require_writer()
    file = request.files.get(FILE_FIELD)
    if file is None:
        raise NoFile()
    name = params.file_name(file.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedType(f"{name or 'the file'}: unsupported file type {suffix or '(none)'}"
                              f" (supported: {SUPPORTED})")
    data = file.read()
    if not data.strip():
        raise DocumentError(f"{name}: empty file")
    try:
        result = ingest_upload(data, name, _index_dir(), _settings(), lock_timeout=_lock_timeout())
    except IndexBusy as exc:
        raise IndexBusyError(str(exc), retry_after=RETRY_AFTER_S) from None
    version = result.version if not result.duplicate else None
    served = _published()
    log.info("upload %s doc_id=%s duplicate=%s version=%s", name, result.doc_id, result.duplicate, served)
    body = {"doc_id": result.doc_id, "source": result.source, "title": result.title, "lang": result.lang,
            "chunks": result.chunks, "duplicate": result.duplicate, "version": version or served}
    return body, 200 if result.duplicate else 201


def delete(doc_id: str) -> dict:
    """Delete a document and publish; 404 for an unknown id."""
    require_writer()
    try:
        version = delete_document(_index_dir(), doc_id, _settings(), lock_timeout=_lock_timeout())
    except IndexBusy as exc:
        raise IndexBusyError(str(exc), retry_after=RETRY_AFTER_S) from None
    if version is None:
        raise NotFound(f"no document {doc_id!r}")
    served = _published()
    log.info("delete doc_id=%s version=%s", doc_id, version)
    return {"doc_id": doc_id, "deleted": True, "version": version or served}
