"""Walk paths, load and clean files, chunk them, embed what changed, and publish one new index version."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from tqdm import tqdm

from index.embedders import get_embedder
from index.errors import DocumentError
from index.language import detect, detect_part
from index.records import Chunk, Document, DocState, check_embedder, document_hash, text_hash
from index.stores import IndexSettings, Snapshot, Store, Writer

from . import limits
from .chunking import ChunkingConfig, chunk_text
from .cleaning import Cleaned, clean, clean_title, word_count
from .engines import IngestEngine, Steps, get_engine
from .loaders import Extracted, extract, read_file
from .metadata import declared_fields, first_line_title, given_fields

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
# Bump when loading or cleaning changes what a file becomes: the next ingest re-applies every document.
EXTRACTION_VERSION = 5
# Documents at least this long show their own chunking and language-tagging progress.
PROGRESS_CHARS = 100_000


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, the source name it is stored under, and the root that name is relative to."""

    path: Path
    source: str
    root: Path

    @property
    def origin(self) -> Path:
        """The file's absolute location: its identity across runs."""
        return self.root / self.source


@dataclass
class Prepared:
    """A loaded, cleaned and chunked document waiting for its vectors."""

    doc: Document
    chunks: list[Chunk]


@dataclass(frozen=True)
class FileTask:
    """A file's bytes and what to store them as: what an engine prepares, here or on a worker."""

    data: bytes
    source: str
    metadata: dict
    name: str


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    chunks: int = 0
    chunks_embedded: int = 0
    tokens_embedded: int = 0
    document_tokens: int = 0
    languages: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    version: str | None = None
    total_documents: int = 0
    total_chunks: int = 0

    @property
    def ingested(self) -> int:
        """Documents added or replaced."""
        return self.added + self.updated


def doc_id_for(source: str) -> str:
    """Stable id of a document: derived from its source name, so re-ingesting keeps it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def chunking_key(config: ChunkingConfig) -> str:
    """What a document's chunks depend on besides its text, as stored with it."""
    return json.dumps({"max_tokens": config.max_tokens, "overlap_tokens": config.overlap_tokens,
                       "extraction": EXTRACTION_VERSION}, sort_keys=True)


def metadata_hash(metadata: dict) -> str:
    """Hash of the metadata a document was made with (sidecar entry and root)."""
    return hashlib.sha256(json.dumps(metadata, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def walk(paths: Iterable[Path]) -> tuple[list[SourceFile], list[str]]:
    """Files under the given paths (folders recursively) and one error line per unusable path."""
    files, errors = [], []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            errors.append(f"{raw}: no such file or directory")
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = file.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or file.name == METADATA_FILE:
                    continue
                if (problem := _unnamed(file)) is None:
                    files.append(SourceFile(file, relative.as_posix(), path.resolve()))
                else:
                    errors.append(problem)
        elif (problem := _unnamed(path)) is None:
            files.append(SourceFile(path, path.name, path.parent.resolve()))
        else:
            errors.append(problem)
    return files, errors


def _unnamed(path: Path) -> str | None:
    """Why a file cannot be named in the index (its name is not UTF-8, so no citation or link can hold it), or None."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        return f"{shown}: the file name is not UTF-8 text; rename the file"
    return None


def _sidecar(root: Path, cache: dict[Path, dict]) -> dict:
    if root not in cache:
        try:
            loaded = json.loads((root / METADATA_FILE).read_text(encoding="utf-8"))
            cache[root] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            cache[root] = {}
    return cache[root]


def _load(data: bytes, name: str) -> tuple[Extracted, Cleaned]:
    extracted = extract(data, name)
    cleaned = clean(extracted.text, extracted.wrapped)
    words = word_count(cleaned.text, at_most=limits.MIN_WORDS)
    if words < limits.MIN_WORDS:
        raise DocumentError(
            f"{name}: only {words} word{'' if words == 1 else 's'} of text after cleaning"
            f" (a document needs at least {limits.MIN_WORDS})"
        )
    return extracted, cleaned


def load_text(data: bytes, name: str) -> str:
    """A file's cleaned text, within every parsing limit; DocumentError (naming `name`) when it cannot be a document.

    Fast and memory-bounded (no model involved), so a web request can validate an upload with it.
    """
    return _load(data, name)[1].text


def prepare(
    data: bytes, source: str, count_tokens, config: ChunkingConfig, metadata: dict | None = None,
    name: str | None = None, progress: bool = False, on_progress: Callable[[int, int], None] | None = None,
) -> Prepared:
    """Turn a file's bytes into a cleaned document and its chunks (no vectors yet); errors cite `name`.

    `progress` shows bars for long files; `on_progress(done, total)` hears about chunks as they are language-tagged.
    """
    name = name or source
    loaded, cleaned = _load(data, name)
    text = cleaned.text
    metadata = dict(metadata or {})
    meta_hash = metadata_hash(metadata)
    # An upload names its client's file; a file ingested from a folder is its own original.
    original_name = metadata.pop("original_name", None) or Path(source).name
    fields = {**declared_fields(loaded.declared), **given_fields(metadata, name)}
    title = fields.get("title") or clean_title(loaded.title or "", limits.MAX_TITLE_CHARS) or first_line_title(text)
    doc = Document(
        doc_id=doc_id_for(source),
        source=source,
        title=title or clean_title(Path(name).stem, limits.MAX_TITLE_CHARS),
        lang=fields.get("lang") or detect(text),
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        authors=fields.get("authors", []),
        date=fields.get("date"),
        publisher=fields.get("publisher"),
        original_name=original_name,
        meta=metadata,
        code=list(cleaned.code),
        chunking=chunking_key(config),
        meta_hash=meta_hash,
    )
    show = progress and len(text) >= PROGRESS_CHARS
    label = Path(name).name[:40]
    with tqdm(total=len(text), unit="char", unit_scale=True, desc=f"chunking {label}", disable=not show) as bar:
        spans = chunk_text(text, count_tokens, config, progress=lambda offset: bar.update(offset - bar.n))
        bar.update(len(text) - bar.n)
    chunks = []
    for i, s in enumerate(tqdm(spans, unit="chunk", desc=f"languages {label}", disable=not show)):
        chunks.append(Chunk(chunk_id=0, doc_id=doc.doc_id, ord=i, start=s.start, end=s.end, text=s.text,
                            lang=chunk_lang(s.text, doc.lang), tokens=s.tokens))
        if on_progress:
            on_progress(i + 1, len(spans))
    return Prepared(doc, chunks)


def prepare_file(task: FileTask, steps: Steps | None, *, embedder: str, config: ChunkingConfig,
                 progress: bool = False) -> Prepared | DocumentError:
    """`prepare` one file where an engine runs it; a file that cannot be a document gives its DocumentError back."""
    try:
        return prepare(task.data, task.source, get_embedder(embedder).count_tokens, config, task.metadata,
                       name=task.name, progress=progress, on_progress=steps)
    except DocumentError as exc:
        return exc


def chunk_lang(text: str, doc_lang: str) -> str:
    """A passage's language: its own where it is long enough to tell, else its document's."""
    # Short chunks (a heading, a list item) carry too little signal to overrule the document.
    return detect_part(text, doc_lang) if len(text) >= 200 else doc_lang


@dataclass
class Checkpoint:
    """Vectors a job embedded before it was stopped (text hash -> vector), and where each new block of them is kept
    as it is embedded (`keep(hashes, vectors)`), so a job run again embeds only what is left."""

    saved: dict[str, np.ndarray]
    keep: Callable[[list[str], np.ndarray], None]
    every: int  # texts embedded between two saves


def embed_all(writer: Writer, prepared: Sequence[Prepared], progress: bool = False,
              engine: IngestEngine | None = None) -> tuple[list[np.ndarray], int, int, float]:
    """Vectors for every prepared document, reusing the writer's stored vectors of unchanged chunk texts."""
    known = writer.cached_vectors(text_hash(c.text) for p in prepared for c in p.chunks)
    return embed_new(prepared, known, writer.settings.embedder, progress, engine)


def embed_new(prepared: Sequence[Prepared], known: dict[str, np.ndarray], embedder: str, progress: bool = False,
              engine: IngestEngine | None = None, on_progress: Callable[[int, int], None] | None = None,
              checkpoint: Checkpoint | None = None) -> tuple[list[np.ndarray], int, int, float]:
    """Vectors for every prepared document: the `known` ones (text hash -> vector) and a `checkpoint`'s as they are.

    The engine embeds only the other chunk texts; `on_progress(done, total)` counts distinct chunk texts.
    """
    hashes = {c.text: text_hash(c.text) for p in prepared for c in p.chunks}
    vectors_by_hash = {**(checkpoint.saved if checkpoint is not None else {}), **known}
    todo = [t for t, h in hashes.items() if h not in vectors_by_hash]
    pending = set(todo)
    tokens = sum(c.tokens for p in prepared for c in p.chunks if c.text in pending)
    started = time.perf_counter()
    step = checkpoint.every if checkpoint is not None else max(1, len(todo))
    with tqdm(total=len(todo), unit="chunk", desc="embedding", disable=not progress or not todo) as bar:
        for first in range(0, len(todo), step):
            block = todo[first:first + step]

            def report(done: int, before: int = first) -> None:
                bar.update(before + done - bar.n)
                if on_progress:
                    on_progress(len(hashes) - len(todo) + before + done, len(hashes))

            embedded = (engine or get_engine()).embed(block, embedder, report)
            if checkpoint is not None:
                checkpoint.keep([hashes[text] for text in block], np.asarray(embedded, np.float32))
            for text, vector in zip(block, embedded):
                vectors_by_hash[hashes[text]] = vector
    seconds = time.perf_counter() - started
    vectors = [np.stack([vectors_by_hash[hashes[c.text]] for c in p.chunks]) for p in prepared]
    return vectors, len(todo), tokens, seconds


def _candidates(file: SourceFile) -> Iterator[tuple[str, Path]]:
    # The name relative to its root first, then with ever more of its parent folders, then the whole path.
    origin = file.origin
    depth = len(Path(file.source).parts)
    for d in range(depth, len(origin.parts)):
        yield "/".join(origin.parts[-d:]), origin.parents[d - 1]
    yield origin.as_posix(), Path(origin.anchor)


def _origin(state: DocState) -> Path | None:
    return Path(state.root) / state.source if state.root else None


def assign_sources(files: Sequence[SourceFile], states: dict[str, DocState]) -> tuple[list[SourceFile], list[str]]:
    """Give every file a source no other file holds, and one note per file that could not keep its plain name.

    A file already indexed keeps its source (found by its location). A name held by another file
    that still exists is never taken over: the newcomer's source gains its parent folders
    (`b/notes.txt`). A name whose file is gone (moved, deleted) is taken over. A file named twice
    in one run counts once.
    """
    owners: dict[str, object] = {source: _origin(state) for source, state in states.items()}
    stored = {origin: source for source, origin in owners.items() if origin is not None}
    claimed: set[str] = set()
    seen: set[Path] = set()
    assigned, notes = [], []
    for file in files:
        origin = file.origin
        if origin in seen:
            continue
        seen.add(origin)
        if origin in stored:
            source = stored[origin]
            root = origin.parents[len(Path(source).parts) - 1]
        else:
            for source, root in _candidates(file):
                if source in claimed:
                    continue
                owner = owners.get(source, _FREE)
                if owner is _FREE or (owner is not None and not owner.is_file()):
                    break
            if source != file.source:
                holder = owners.get(file.source)
                notes.append(f"{file.path}: {file.source} is already the source of"
                             f" {holder or 'an uploaded document'}; stored as {source}")
        claimed.add(source)
        owners[source] = origin
        assigned.append(SourceFile(file.path, source, root))
    return assigned, notes


_FREE = object()  # a source nobody holds


def _plan(files: Sequence[SourceFile], states: dict[str, DocState], report: IngestReport,
          chunking: ChunkingConfig, embedder: str, progress: bool, engine: IngestEngine) -> list[Prepared]:
    """Read every new or changed file, have the engine prepare them; count the unchanged, duplicate and failed ones."""
    assigned, report.renamed = assign_sources(files, states)
    walked = {f.origin: f for f in files}
    key = chunking_key(chunking)
    sidecars: dict[Path, dict] = {}
    tasks = []
    bar = tqdm(assigned, unit="file", desc="reading", disable=not progress)
    for file in bar:
        bar.set_postfix_str(file.path.name[:40], refresh=False)
        given = walked[file.origin]
        try:
            data = read_file(file.path)
        except DocumentError as exc:
            report.failed.append(str(exc))
            continue
        digest = hashlib.sha256(data).hexdigest()
        metadata = dict(_sidecar(given.root, sidecars).get(given.source) or {})
        metadata["root"] = str(file.root)
        state = states.get(file.source)
        if state and (state.content_hash, state.chunking, state.meta_hash, state.root) == (
                digest, key, metadata_hash(metadata), metadata["root"]):
            report.unchanged += 1
            continue
        tasks.append(FileTask(data, file.source, metadata, str(file.path)))
    bar.close()
    with tqdm(total=len(tasks), unit="file", desc="preparing", disable=not progress or len(tasks) < 2) as bar:
        results = engine.map(partial(prepare_file, embedder=embedder, config=chunking, progress=progress), tasks,
                             progress=lambda done: bar.update(done - bar.n))
    texts = {state.text_hash: source for source, state in states.items()}
    prepared = []
    for task, item in zip(tasks, results):
        if isinstance(item, DocumentError):
            report.failed.append(str(item))
            continue
        fingerprint = document_hash(item.doc.text)
        if task.source not in states and fingerprint in texts:
            report.duplicates.append(f"{task.name}: duplicate of {texts[fingerprint]}")
            continue
        texts.setdefault(fingerprint, task.source)
        if task.source in states:
            report.updated += 1
        else:
            report.added += 1
        prepared.append(item)
    return prepared


def _published(store: Store) -> tuple[Snapshot | None, dict[str, DocState]]:
    # The published version and its documents, read without the writer lock (planning happens before it).
    if store.current() is None:
        return None, {}
    snapshot = store.snapshot()
    return snapshot, snapshot.document_states()


def ingest(
    paths: Sequence[Path],
    store: Store,
    settings: IndexSettings = IndexSettings(),
    chunking: ChunkingConfig = ChunkingConfig(),
    prune: bool = False,
    rebuild: bool = False,
    progress: bool = True,
    engine: IngestEngine | None = None,
) -> IngestReport:
    """Ingest files and folders into `store`'s index, publishing one new version if anything changed.

    Files are read and chunked (by `engine`, else the local one) before the writer
    lock is taken, and again under it only if another writer published meanwhile; a run with nothing to
    write never creates an index directory. An engine made here is closed here; one given stays open.
    """
    if engine is None:
        engine = get_engine()
        try:
            return ingest(paths, store, settings, chunking, prune, rebuild, progress, engine)
        finally:
            engine.close()
    started = time.perf_counter()
    report = IngestReport()
    files, walk_failures = walk(paths)
    version, states = _published(store)
    planned_on = version.version if version and not rebuild else None
    if planned_on:
        check_embedder(version.manifest, settings)
    get_embedder(settings.embedder)  # a bad name fails here, not on an engine's worker
    report.failed = list(walk_failures)
    prepared = _plan(files, {} if rebuild else states, report, chunking, settings.embedder, progress, engine)
    if not (prepared or (version and (rebuild or prune or settings.factory))):
        if version:
            report.total_documents, report.total_chunks = version.manifest["documents"], version.manifest["chunks"]
        report.seconds = time.perf_counter() - started
        return report
    with store.writer(settings, rebuild=rebuild) as writer:
        if writer.base_version != planned_on:
            report = IngestReport(failed=list(walk_failures))
            prepared = _plan(files, writer.document_states(), report, chunking, settings.embedder, progress, engine)
        embedder = writer.embedder
        vectors, report.chunks_embedded, report.tokens_embedded, report.embed_seconds = embed_all(
            writer, prepared, progress, engine
        )
        for item, item_vectors in zip(prepared, vectors):
            writer.put(item.doc, item.chunks, item_vectors)
            report.chunks += len(item.chunks)
            report.languages[item.doc.lang] += 1
            report.document_tokens += embedder.count_tokens(item.doc.text)
        if prune:
            folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
            report.removed = _prune(writer, folders, files)
        totals = writer.counts()
        report.total_documents, report.total_chunks = totals["documents"], totals["chunks"]
        published = writer.commit()
        report.version = published.version if published else None
    report.seconds = time.perf_counter() - started
    return report


def _prune(writer: Writer, folders: Sequence[Path], files: Sequence[SourceFile]) -> int:
    # Only documents whose file lies in one of the folders walked now can be "gone".
    present = {f.origin for f in files}
    removed = 0
    for state in writer.document_states().values():
        origin = _origin(state)
        if origin is None or origin in present or not any(origin.is_relative_to(f) for f in folders):
            continue
        if writer.delete(state.doc_id):
            removed += 1
    return removed
