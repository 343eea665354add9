"""Walk paths, load and clean files, chunk them, embed what changed, and publish one new index version."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from tqdm import tqdm

from index.errors import DocumentError
from index.language import detect, detect_part, normalize_lang
from index.store import Chunk, Document, text_hash
from index.writer import IndexSettings, IndexWriter

from .chunking import ChunkingConfig, chunk_text
from .cleaning import clean_text
from .engines import EmbeddingEngine, get_engine
from .loaders import load_bytes

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is and the source name it is stored under."""

    path: Path
    source: str
    root: Path


@dataclass
class Prepared:
    """A loaded, cleaned and chunked document waiting for its vectors."""

    doc: Document
    chunks: list[Chunk]


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)
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
                files.append(SourceFile(file, relative.as_posix(), path.resolve()))
        else:
            files.append(SourceFile(path, path.name, path.parent.resolve()))
    return files, errors


def _sidecar(root: Path, cache: dict[Path, dict]) -> dict:
    if root not in cache:
        try:
            cache[root] = json.loads((root / METADATA_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache[root] = {}
    return cache[root]


def _title(text: str, fallback: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= 120 else fallback


def load_text(data: bytes, name: str) -> str:
    """A file's cleaned text; DocumentError (citing `name`) when it cannot become a document."""
    text = clean_text(load_bytes(data, name))
    if not text:
        raise DocumentError(f"{name}: no text left after cleaning")
    return text


def prepare(
    data: bytes, source: str, count_tokens, config: ChunkingConfig, metadata: dict | None = None,
    name: str | None = None, on_progress: Callable[[int, int], None] | None = None,
) -> Prepared:
    """Turn a file's bytes into a cleaned document and its chunks (no vectors yet); errors cite `name`.

    `on_progress(done, total)` hears about chunks as they are language-tagged (long files take minutes).
    """
    name = name or source
    text = load_text(data, name)
    metadata = dict(metadata or {})
    lang = normalize_lang(metadata.pop("lang", None)) if metadata.get("lang") else detect(text)
    doc = Document(
        doc_id=doc_id_for(source),
        source=source,
        title=metadata.pop("title", None) or _title(text, Path(name).stem),
        lang=lang,
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        author=metadata.pop("author", None),
        meta=metadata,
    )
    spans = chunk_text(text, count_tokens, config)
    chunks = []
    for i, s in enumerate(spans):
        chunks.append(Chunk(chunk_id=0, doc_id=doc.doc_id, ord=i, start=s.start, end=s.end, text=s.text,
                            lang=_chunk_lang(s.text, lang), tokens=s.tokens))
        if on_progress:
            on_progress(i + 1, len(spans))
    return Prepared(doc, chunks)


def _chunk_lang(text: str, doc_lang: str) -> str:
    # Short chunks (a heading, a list item) carry too little signal to overrule the document.
    return detect_part(text, doc_lang) if len(text) >= 200 else doc_lang


def embed_all(writer: IndexWriter, prepared: Sequence[Prepared], progress: bool = False,
              engine: EmbeddingEngine | None = None, on_progress: Callable[[int, int], None] | None = None,
              ) -> tuple[list[np.ndarray], int, int, float]:
    """Vectors for every prepared document, reusing stored vectors of unchanged chunk texts.

    The engine embeds only the new chunk texts; `on_progress(done, total)` counts distinct chunk texts.
    """
    hashes = {c.text: text_hash(c.text) for p in prepared for c in p.chunks}
    vectors_by_hash = writer.cached_vectors(hashes.values())
    todo = [t for t, h in hashes.items() if h not in vectors_by_hash]
    pending = set(todo)
    tokens = sum(c.tokens for p in prepared for c in p.chunks if c.text in pending)
    started = time.perf_counter()
    with tqdm(total=len(todo), unit="chunk", desc="embedding", disable=not progress or not todo) as bar:
        def report(done: int) -> None:
            bar.update(done - bar.n)
            if on_progress:
                on_progress(len(hashes) - len(todo) + done, len(hashes))

        embedded = (engine or get_engine()).embed(todo, writer.settings.embedder, report)
    for text, vector in zip(todo, embedded):
        vectors_by_hash[hashes[text]] = vector
    seconds = time.perf_counter() - started
    vectors = [np.stack([vectors_by_hash[hashes[c.text]] for c in p.chunks]) for p in prepared]
    return vectors, len(todo), tokens, seconds


def _changed(files: Sequence[SourceFile], known: dict[str, tuple[str, str]], report: IngestReport,
             settings_chunking: ChunkingConfig, count_tokens, progress: bool) -> Iterator[Prepared]:
    sidecars: dict[Path, dict] = {}
    for file in tqdm(files, unit="file", desc="reading", disable=not progress or len(files) < 2):
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            report.failed.append(f"{file.path}: cannot read ({exc.strerror})")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if file.source in known and known[file.source][1] == digest:
            report.unchanged += 1
            continue
        metadata = dict(_sidecar(file.root, sidecars).get(file.source, {}))
        metadata["root"] = str(file.root)
        try:
            item = prepare(data, file.source, count_tokens, settings_chunking, metadata, name=str(file.path))
        except DocumentError as exc:
            report.failed.append(str(exc))
            continue
        if file.source in known:
            report.updated += 1
        else:
            report.added += 1
        yield item


def ingest(
    paths: Sequence[Path],
    index_dir: Path,
    settings: IndexSettings = IndexSettings(),
    chunking: ChunkingConfig = ChunkingConfig(),
    prune: bool = False,
    rebuild: bool = False,
    progress: bool = True,
) -> IngestReport:
    """Ingest files and folders into the index at `index_dir`, publishing one new version if anything changed."""
    started = time.perf_counter()
    report = IngestReport()
    files, report.failed = walk(paths)
    with IndexWriter(index_dir, settings, rebuild=rebuild) as writer:
        known = {} if rebuild else writer.known_documents()
        embedder = writer.embedder
        prepared = list(_changed(files, known, report, chunking, embedder.count_tokens, progress))
        vectors, report.chunks_embedded, report.tokens_embedded, report.embed_seconds = embed_all(
            writer, prepared, progress
        )
        for item, item_vectors in zip(prepared, vectors):
            writer.put(item.doc, item.chunks, item_vectors)
            report.chunks += len(item.chunks)
            report.languages[item.doc.lang] += 1
            report.document_tokens += embedder.count_tokens(item.doc.text)
        if prune:
            roots = {Path(p).resolve() for p in paths if Path(p).is_dir()}
            report.removed = _prune(writer, roots, files)
        totals = writer.counts()
        report.total_documents, report.total_chunks = totals["documents"], totals["chunks"]
        published = writer.commit()
        report.version = published.version if published else None
    report.seconds = time.perf_counter() - started
    return report


def _prune(writer: IndexWriter, folders: set[Path], files: Sequence[SourceFile]) -> int:
    # Only documents that came from one of the folders walked now can be "gone".
    roots = {str(f) for f in folders}
    present = {(str(f.root), f.source) for f in files}
    removed = 0
    for doc in writer.documents():
        root = doc.meta.get("root")
        if root in roots and (root, doc.source) not in present and writer.delete(doc.doc_id):
            removed += 1
    return removed
