"""The work of each job kind. Each is idempotent: run again after a kill, it ends in the same index."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from index import uploads
from index.catalogue_writes import apply_concept_change
from index.concepts.edit import ConceptChange
from index.docmeta import changed_metadata
from index.errors import DocumentError, IndexNotFound, NotFound
from index.files import naming_full_disk
from index.protocols import Writer
from index.records import Document, Published, document_hash, text_hash
from index.suggestions import check_open
from index.config import Config
from index.stores import IndexSettings, Store, open_store, write_settings

from ..chunking import ChunkingConfig
from ..engines import IngestEngine
from ..pipeline import Checkpoint, FileTask, Prepared, chunk_lang, embed_new, prepare_file
from . import spool
from .base import Job

# (stage, done, total): how far the job got; it raises to abort the job (the runner is stopping).
Report = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Outcome:
    """What a finished job left: the version that serves it and the document it concerned."""

    version: str | None
    doc_id: str | None
    duplicate: bool = False


@dataclass(frozen=True)
class Context:
    """What every job needs: the configuration (where the index is), the engine that prepares and embeds, how long
    to wait for the lock."""

    config: Config
    jobs_dir: Path
    engine: IngestEngine
    chunking: ChunkingConfig = ChunkingConfig()
    lock_timeout: float = 5.0
    # Called where a long job holds no lock (an upload preparing or embedding): the runner runs the short writes
    # queued meanwhile (see Runner).
    meanwhile: Callable[[], None] = lambda: None

    @property
    def index_dir(self) -> Path:
        """The index directory: uploads are stored there whichever store holds the index."""
        return self.config.index_dir

    def store(self) -> Store:
        """Where the index lives (one per configuration and process)."""
        return _store(self.config)

    def current(self) -> str | None:
        """Name of the published version."""
        return self.store().current()

    def settings(self) -> IndexSettings:
        """Settings of the index being written: its embedder and backend, the rest from the configuration."""
        return write_settings(self.store(), self.config)


@functools.lru_cache(maxsize=8)
def _store(config: Config) -> Store:
    # Kept: a store holds the segments its writers loaded, so a job does not reopen the whole index.
    return open_store(config)


Task = Callable[[Job, Context, Report], Outcome]


def _naming_full_disk(task: Task) -> Task:
    """A task whose running out of disk space fails its job as insufficient_storage naming the index directory."""
    @functools.wraps(task)
    def run(job: Job, ctx: Context, report: Report) -> Outcome:
        with naming_full_disk(ctx.index_dir):
            return task(job, ctx, report)
    return run


@_naming_full_disk
def run_upload(job: Job, ctx: Context, report: Report) -> Outcome:
    """Prepare the spooled file, embed it, store its bytes under uploads/ and publish."""
    try:
        data = spool.path_of(ctx.jobs_dir, job).read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{job.file_name}: the uploaded bytes are gone from the spool") from None
    source = uploads.source_for(job.content_hash, job.suffix)
    settings = ctx.settings()
    report("preparing", 0, 0)
    metadata = {"original_name": job.file_name, **(job.metadata() or {})}
    (item,) = ctx.engine.map(partial(prepare_file, embedder=settings.embedder, config=ctx.chunking),
                             [FileTask(data, source, metadata, job.file_name)],
                             steps=lambda done, total: (report("preparing", done, total), ctx.meanwhile()))
    if isinstance(item, DocumentError):
        raise item
    total = len({c.text for c in item.chunks})
    report("waiting", 0, total)  # for the writer lock
    with ctx.store().writer(settings, lock_timeout=ctx.lock_timeout) as writer:
        if (indexed := _indexed_meanwhile(writer, job, ctx, item, source, data)) is not None:
            return indexed
        known = writer.cached_vectors(text_hash(c.text) for c in item.chunks)
    # Embedded without the writer lock: an upload that embeds for many minutes keeps no other writer (a command-line
    # ingest, gc, verify's check of the uploads, the short writes queued behind it) waiting. What an earlier run of
    # this job embedded before it was stopped is not embedded again.
    report("embedding", 0, total)
    checkpoint = Checkpoint(spool.kept_vectors(ctx.jobs_dir, job, settings.embedder),
                            partial(spool.keep_vectors, ctx.jobs_dir, job, settings.embedder), spool.KEEP_EVERY)
    (vectors,), _, _, _ = embed_new([item], known, settings.embedder, engine=ctx.engine, checkpoint=checkpoint,
                                    on_progress=lambda done, all_: (report("embedding", done, all_), ctx.meanwhile()))
    report("waiting", total, total)
    with ctx.store().writer(settings, lock_timeout=ctx.lock_timeout) as writer:
        if (indexed := _indexed_meanwhile(writer, job, ctx, item, source, data)) is not None:
            return indexed
        report("publishing", total, total)
        uploads.save(ctx.index_dir, source, data)
        try:
            writer.put(item.doc, item.chunks, vectors)
            published = writer.commit()
        except BaseException:
            # Not published (a full disk, a stop): its stored copy would be an orphan that `verify` reports.
            with contextlib.suppress(OSError):
                uploads.collect(ctx.index_dir, ctx.store())
            raise
        uploads.collect(ctx.index_dir, ctx.store())
    return Outcome(published.version if published else ctx.current(), item.doc.doc_id)


def _indexed_meanwhile(writer: Writer, job: Job, ctx: Context, item: Prepared, source: str,
                       data: bytes) -> Outcome | None:
    """The outcome of an upload whose text the index holds already (indexed meanwhile, or by this very job before a
    kill), with the metadata it was sent with kept as an edit; None for a new one."""
    same = writer.duplicate_of(job.content_hash, document_hash(item.doc.text))
    if same is None:
        return None
    doc = writer.document(same)
    # Its bytes restored where they went missing: these very bytes only (a copy of the same text with other
    # bytes, CRLF for LF, would no longer hash to the name the file is stored under).
    if doc.source == source and not (ctx.index_dir / doc.source).exists():
        uploads.save(ctx.index_dir, doc.source, data)
    changes = changed_metadata(job.metadata() or {}, vars(doc))
    published = _edit(writer, ctx, doc, changes) if changes else None
    uploads.collect(ctx.index_dir, ctx.store())
    return Outcome(published.version if published else ctx.current(), same, duplicate=same != item.doc.doc_id)


@_naming_full_disk
def run_delete(job: Job, ctx: Context, report: Report) -> Outcome:
    """Remove the document, publish, then its stored upload; a document already gone is done."""
    report("waiting", 0, 0)
    with ctx.store().writer(ctx.settings(), lock_timeout=ctx.lock_timeout) as writer:
        report("publishing", 0, 0)
        published = writer.commit() if writer.delete(job.doc_id) else None
        uploads.collect(ctx.index_dir, ctx.store())
    return Outcome(published.version if published else ctx.current(), job.doc_id)


@_naming_full_disk
def run_metadata(job: Job, ctx: Context, report: Report) -> Outcome:
    """Set a document's title, authors, date, publisher or language and publish; its text and vectors stay.

    A changed language re-tags the passages too short to tell their own (they follow their document's).
    """
    report("waiting", 0, 0)
    changes = job.metadata() or {}
    with ctx.store().writer(ctx.settings(), lock_timeout=ctx.lock_timeout) as writer:
        doc = writer.document(job.doc_id)
        if doc is None:
            raise NotFound(f"no document {job.doc_id!r}: it was deleted before its metadata could be changed")
        report("publishing", 0, 0)
        published = _edit(writer, ctx, doc, changes)
    return Outcome(published.version if published else ctx.current(), job.doc_id)


def _edit(writer: Writer, ctx: Context, doc: Document, changes: dict) -> Published | None:
    """Write a document with some of its metadata changed, its passages and vectors as they are; publish. None when
    the document holds that metadata already: nothing to publish (the same text sent twice with one title)."""
    edited = dataclasses.replace(doc, **changes)
    if edited == doc:
        return None
    snapshot = ctx.store().snapshot()  # the version this write starts from: the lock keeps it the newest
    try:
        chunks = snapshot.chunks_of(doc.doc_id)
    finally:
        snapshot.close()
    if edited.lang != doc.lang:
        chunks = [dataclasses.replace(c, lang=chunk_lang(c.text, edited.lang)) for c in chunks]
    vectors = writer.cached_vectors(text_hash(c.text) for c in chunks)
    writer.put(edited, [dataclasses.replace(c, chunk_id=0) for c in chunks],
               np.stack([vectors[text_hash(c.text)] for c in chunks]))
    return writer.commit()


@_naming_full_disk
def run_concept(job: Job, ctx: Context, report: Report) -> Outcome:
    """Apply a concept change to the catalogue of the current version and publish it with fresh groundings.

    The change was checked when it was queued; it is checked again against the catalogue it is applied to
    (an earlier job may have changed it), and a change that no longer fits fails the job with its reason. A
    concept accepted from a suggestion records that decision once it is published.
    """
    report("waiting", 0, 0)
    change = ConceptChange.from_json(job.payload)
    if ctx.current() is None:
        raise IndexNotFound(f"no index in {ctx.index_dir}: ingest or upload a document first")
    if change.suggestion is not None:  # dismissed while its accept waited: the trainer's dismissal stands
        check_open(change.suggestion["id"], ctx.store().decisions(), concept_id=change.concept_id)
    report("publishing", 0, 0)
    update = apply_concept_change(ctx.store(), ctx.settings(), change, ctx.lock_timeout)
    if change.suggestion is not None:  # after publishing: run again, the concept is found there and this follows
        ctx.store().decide(change.suggestion, "accepted", change.concept_id)
    return Outcome(update.version or ctx.current(), None)
