"""One immutable segment: the documents, chunks, vectors, postings and groundings of one write (or merge).

A segment folder (`segments/<name>/`) is written once under a temporary name, renamed into place
and never modified; versions name the segments they consist of. Files::

    meta.json      rows, documents (in row order), languages, FAISS factory, catalogue digest, checksums
    rows.sqlite    documents, chunks (text, offsets; vectors live in vectors.npy) and grounding candidates
    ids.npy doc.npy lang.npy content.npy length.npy vectors.npy     per row (chunk id order)
    vocab.npy post_ptr.npy post_rows.npy post_tf.npy df.npy         raw BM25 postings by sorted term
    words.json     words seen per language (query language detection)
    dense.*        centred vectors (centring of the segment's time) in the vector backend
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import versions
from ..concepts.suggest import sample_order
from ..content import content_priors
from ..debias import centre
from ..errors import IndexCorrupt
from ..lexical import analyze, terms, words
from ..records import Chunk, Document, document_hash, text_hash
from ..vectors import VectorIndex, build_index, load_index
from . import tables

SEGMENTS = "segments"
DELETES = "deletes"
META = "meta.json"
ROWS_DB = "rows.sqlite"
DENSE_FILES = {"faiss": "dense.faiss", "numpy": "dense.npz"}
CONCEPTS_FILE = "concepts.npz"  # label vectors of a version's catalogue, in its version folder
# Grounding candidates: every passage past the threshold is kept; the version picks each concept's best.
ALL_CANDIDATES = 1 << 30


def segment_dir(index_dir: Path, name: str) -> Path:
    """Folder of a segment."""
    return Path(index_dir) / SEGMENTS / name


@dataclass
class NewRows:
    """What a segment is written from: documents with their chunks (ids assigned) and raw vectors."""

    docs: list[Document]
    chunks: list[Chunk]  # grouped by document in `docs` order, each document's in `ord` order
    vectors: np.ndarray
    groundings: list[tuple] | None = None  # (concept_id, chunk_id, score, via, sentence, start, end); None: compute


def check_rows(ids: np.ndarray, doc: np.ndarray, n_docs: int) -> list[str]:
    """Problems with a segment's row order: ids strictly increasing (lookups binary-search them), rows grouped
    by document in the order of its document list (neighbours and deletions read a document as one range)."""
    ids, doc = np.asarray(ids), np.asarray(doc)
    problems = []
    if len(ids) != len(doc):
        problems.append(f"{len(ids)} ids but {len(doc)} document rows")
    elif len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        problems.append(f"chunk ids are not strictly increasing ({int(np.sum(ids[1:] <= ids[:-1]))} rows out of order)")
    if len(doc) > 1 and not bool(np.all(doc[1:] >= doc[:-1])):
        problems.append("rows are not grouped by document in document order")
    if len(doc) and (int(doc.min()) < 0 or int(doc.max()) >= n_docs):
        problems.append(f"rows name documents outside 0..{n_docs - 1}")
    return problems


def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)


def _postings(chunks: Sequence[Chunk]) -> tuple[dict, np.ndarray, dict[str, set[str]]]:
    """Raw term counts per row, row lengths and words per language."""
    tf_of: dict[tuple[str, int], int] = {}
    lengths = np.zeros(len(chunks), np.int32)
    seen: dict[str, set[str]] = {}
    for row, chunk in enumerate(chunks):
        tokens = words(chunk.text)  # read once: the words seen, then the terms they are indexed by (`analyze`)
        seen.setdefault(chunk.lang, set()).update(tokens)
        counts = Counter(terms(tokens, chunk.lang))
        lengths[row] = sum(counts.values())
        for term, tf in counts.items():
            tf_of[(term, row)] = tf
    return tf_of, lengths, seen


def write_segment(index_dir: Path, name: str, rows: NewRows, centres: np.ndarray, centre_of: dict[str, int],
                  backend: str, factory: str, catalogue_digest: str) -> dict:
    """Write a segment folder atomically; `centres`/`centre_of` centre its dense vectors. Returns its meta."""
    root = Path(index_dir) / SEGMENTS
    root.mkdir(parents=True, exist_ok=True)
    build = root / f".build-{name}"
    if build.exists():
        shutil.rmtree(build)
    build.mkdir()
    chunks, n = rows.chunks, len(rows.chunks)
    doc_ids = [d.doc_id for d in rows.docs]
    doc_index = {d: i for i, d in enumerate(doc_ids)}
    langs = sorted({c.lang for c in chunks})
    lang_index = {lang: i for i, lang in enumerate(langs)}
    ids = np.asarray([c.chunk_id for c in chunks], np.int64)
    problems = check_rows(ids, np.asarray([doc_index[c.doc_id] for c in chunks], np.int64), len(doc_ids))
    if problems:  # a writer bug: refuse to write a segment that reads would get wrong
        raise ValueError(f"segment {name}: " + "; ".join(problems))
    raw = np.ascontiguousarray(rows.vectors, dtype=np.float32).reshape(n, rows.vectors.shape[-1])
    lang_of = np.asarray([lang_index[c.lang] for c in chunks], np.int16)
    _save(build / "ids.npy", ids)
    _save(build / "doc.npy", np.asarray([doc_index[c.doc_id] for c in chunks], np.int32))
    _save(build / "lang.npy", lang_of)
    _save(build / "content.npy", content_priors([c.text for c in chunks], [c.doc_id for c in chunks]))
    _save(build / "vectors.npy", raw)

    counts, lengths, seen = _postings(chunks)
    _save(build / "length.npy", lengths)
    vocab = sorted({t for t, _ in counts})
    col = {t: i for i, t in enumerate(vocab)}
    keys = list(counts)
    cols = np.fromiter((col[t] for t, _ in keys), np.int64, len(keys))
    prow = np.fromiter((r for _, r in keys), np.int64, len(keys))
    tfs = np.fromiter(counts.values(), np.int32, len(keys))
    order = np.lexsort((prow, cols))
    cols, prow, tfs = cols[order], prow[order], tfs[order]
    _save(build / "vocab.npy", np.asarray(vocab, dtype=str) if vocab else np.zeros(0, "<U1"))
    _save(build / "post_ptr.npy", np.searchsorted(cols, np.arange(len(vocab) + 1)).astype(np.int64))
    _save(build / "post_rows.npy", prow.astype(np.int32))
    _save(build / "post_tf.npy", tfs)
    df = np.zeros((len(langs), len(vocab)), np.int32)
    np.add.at(df, (lang_of[prow], cols), 1)
    _save(build / "df.npy", df)
    (build / "words.json").write_text(json.dumps({k: sorted(v) for k, v in seen.items()}, ensure_ascii=False))

    centred = centre(raw, centres[[centre_of.get(c.lang, len(centres) - 1) for c in chunks]]) if n else raw
    try:
        dense = build_index(backend, ids, centred, factory)
    except RuntimeError:  # too few vectors to train this factory: exact search for this segment
        factory = "Flat"
        dense = build_index(backend, ids, centred, factory)
    dense.save(build / DENSE_FILES[backend])
    _write_rows(build / ROWS_DB, rows)
    meta = {
        "name": name, "rows": n, "docs": doc_ids, "doc_langs": [d.lang for d in rows.docs], "langs": langs,
        "sample": sample_order(doc_ids),
        "length_sum": int(lengths.sum()), "backend": backend, "factory": factory, "catalogue": catalogue_digest,
    }
    for path in build.iterdir():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    meta["files"] = {p.name: versions.file_record(p) for p in sorted(build.iterdir())}
    (build / META).write_text(json.dumps(meta, ensure_ascii=False))
    with open(build / META, "rb+") as handle:
        os.fsync(handle.fileno())
    os.rename(build, root / name)
    versions.fsync_dir(root)
    return meta


def _write_rows(path: Path, rows: NewRows) -> None:
    conn = tables.connect(path)
    tables.migrate(conn)
    with conn:
        conn.executemany(
            "INSERT INTO documents(doc_id, source, title, authors, date, publisher, original_name, lang, text,"
            " content_hash, meta, code, added_at, text_hash, chunking, meta_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, COALESCE(NULLIF(?, ''), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), ?, ?, ?)",
            [(d.doc_id, d.source, d.title, json.dumps(d.authors, ensure_ascii=False), d.date, d.publisher,
              d.original_name, d.lang, d.text, d.content_hash, json.dumps(d.meta, ensure_ascii=False),
              json.dumps(d.code), d.added_at, document_hash(d.text), d.chunking, d.meta_hash) for d in rows.docs])
        # Vectors live in vectors.npy (memory-mapped); the column stays empty.
        conn.executemany(
            "INSERT INTO chunks(chunk_id, doc_id, ord, start, end, text, lang, tokens, text_hash, vector)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, x'')",
            [(c.chunk_id, c.doc_id, c.ord, c.start, c.end, c.text, c.lang, c.tokens, text_hash(c.text))
             for c in rows.chunks])
        conn.executemany("INSERT OR REPLACE INTO concept_passages VALUES (?, ?, ?, ?, ?, ?, ?)", rows.groundings or [])
    conn.close()


class Segment:
    """A loaded segment: its arrays memory-mapped, its rows database open read-only."""

    def __init__(self, index_dir: Path, name: str) -> None:
        self.name = name
        self.path = segment_dir(index_dir, name)
        try:
            self._load()
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:  # damaged files: never a traceback
            raise IndexCorrupt(f"segment {name} is unreadable ({type(exc).__name__}: {exc})") from None

    def _load(self) -> None:
        raw_meta = (self.path / META).read_bytes()
        # The description of every other file is itself recorded by the versions that name the segment, as read
        # here (the record its own list of files cannot hold).
        self.meta_record = {"bytes": len(raw_meta), "sha256": hashlib.sha256(raw_meta).hexdigest()}
        self.meta = json.loads(raw_meta)
        load = functools.partial(np.load, mmap_mode="r")
        self.ids = load(self.path / "ids.npy")
        self.doc = load(self.path / "doc.npy")
        self.lang = load(self.path / "lang.npy")
        self.content = load(self.path / "content.npy")
        self.length = load(self.path / "length.npy")
        self.raw = load(self.path / "vectors.npy")
        self.vocab = np.load(self.path / "vocab.npy")
        self.post_ptr = load(self.path / "post_ptr.npy")
        self.post_rows = load(self.path / "post_rows.npy")
        self.post_tf = load(self.path / "post_tf.npy")
        self.df = load(self.path / "df.npy")
        self.doc_ids: list[str] = self.meta["docs"]
        self.langs: list[str] = self.meta["langs"]
        self.lang_index = {lang: i for i, lang in enumerate(self.langs)}
        # Its description must fit its arrays (a version from before descriptions were checksummed checks no more).
        if int(self.meta["rows"]) != len(self.ids) or len(self.ids) and int(np.max(self.doc)) >= len(self.doc_ids):
            raise ValueError(f"its description (meta.json: {self.meta['rows']} rows, {len(self.doc_ids)} documents) "
                             f"does not fit its arrays ({len(self.ids)} rows)")
        self.conn = tables.connect(self.path / ROWS_DB, readonly=True)
        # Rows of each document: they are consecutive, in the order of `docs`.
        doc = np.asarray(self.doc)
        self.doc_start = np.searchsorted(doc, np.arange(len(self.doc_ids)), side="left")
        self.doc_end = np.searchsorted(doc, np.arange(len(self.doc_ids)), side="right")

    @property
    def rows(self) -> int:
        """Number of rows (chunks, deleted ones included)."""
        return int(self.meta["rows"])

    @functools.cached_property
    def doc_row(self) -> dict[str, int]:
        """doc_id -> index in `doc_ids`."""
        return {d: i for i, d in enumerate(self.doc_ids)}

    @functools.cached_property
    def sample(self) -> list[str]:
        """Its documents that reference samples draw from first (stored with the segment; computed for older ones)."""
        return self.meta["sample"] if "sample" in self.meta else sample_order(self.doc_ids)

    @functools.cached_property
    def words_by_lang(self) -> dict[str, frozenset[str]]:
        """Words seen per language."""
        return {k: frozenset(v) for k, v in json.loads((self.path / "words.json").read_text()).items()}

    @functools.cached_property
    def dense(self) -> VectorIndex:
        """The segment's vector index of centred passages."""
        backend = self.meta["backend"]
        return load_index(backend, self.path / DENSE_FILES[backend])

    @functools.cached_property
    def _id_order(self) -> np.ndarray | None:
        # Rows in id order, for segments written before ids were kept sorted (None: they are sorted).
        ids = np.asarray(self.ids)
        return None if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])) else np.argsort(ids, kind="stable")

    def rows_of(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of the ids held here, their rows)."""
        chunk_ids = np.asarray(chunk_ids, np.int64)
        order = self._id_order
        ids = np.asarray(self.ids) if order is None else np.asarray(self.ids)[order]
        pos = np.minimum(np.searchsorted(ids, chunk_ids), max(0, len(ids) - 1))
        found = (ids[pos] == chunk_ids) if len(ids) else np.zeros(len(chunk_ids), bool)
        rows = pos[found]
        return found, rows if order is None else order[rows]

    def check(self) -> list[str]:
        """Problems with this segment's invariants: row order, array lengths, its rows database, its vector index."""
        n = self.rows
        problems = [f"{self.name}: {p}" for p in check_rows(self.ids, self.doc, len(self.doc_ids))]
        for label, array in (("ids", self.ids), ("doc", self.doc), ("lang", self.lang), ("content", self.content),
                             ("length", self.length), ("vectors", self.raw)):
            if len(array) != n:
                problems.append(f"{self.name}: {label} has {len(array)} rows, meta says {n}")
        if len(self.post_ptr) != len(self.vocab) + 1 or (len(self.post_ptr) and int(self.post_ptr[-1]) != len(self.post_rows)):
            problems.append(f"{self.name}: postings pointers do not match the vocabulary")
        stored = np.asarray([r[0] for r in self.conn.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id")], np.int64)
        if not np.array_equal(stored, np.sort(np.asarray(self.ids))):
            problems.append(f"{self.name}: rows.sqlite holds {len(stored)} chunks that differ from the {n} ids")
        if self.dense.ntotal != n:
            problems.append(f"{self.name}: the vector index holds {self.dense.ntotal} vectors for {n} rows")
        return problems

    def columns(self, terms: Sequence[str]) -> np.ndarray:
        """Column of each term in this segment's vocabulary, -1 where absent."""
        if not len(self.vocab) or not len(terms):
            return np.full(len(terms), -1, np.int64)
        wanted = np.asarray(terms, dtype=str)
        pos = np.minimum(np.searchsorted(self.vocab, wanted), len(self.vocab) - 1)
        return np.where(self.vocab[pos] == wanted, pos, -1)

    def close(self) -> None:
        """Close the rows database."""
        self.conn.close()


@dataclass
class Deletions:
    """Rows and documents of one segment deleted as of some version, with the term counts they took away."""

    rows: np.ndarray  # sorted row numbers
    docs: np.ndarray  # sorted document indices
    df: dict[tuple[int, int], int]  # (segment language, column) -> deleted rows holding the term

    @classmethod
    def none(cls) -> "Deletions":
        """No deletions."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), {})

    @classmethod
    def load(cls, path: Path) -> "Deletions":
        """Read a deletion file."""
        with np.load(path) as data:
            df = {(int(l), int(c)): int(n) for l, c, n in zip(data["lang"], data["col"], data["count"])}
            return cls(data["rows"], data["docs"], df)

    def save(self, path: Path) -> dict:
        """Write atomically (temporary name, fsync, rename); returns its manifest record."""
        keys = sorted(self.df)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as handle:
            np.savez(handle, rows=self.rows, docs=self.docs, lang=np.asarray([k[0] for k in keys], np.int32),
                     col=np.asarray([k[1] for k in keys], np.int64), count=np.asarray([self.df[k] for k in keys], np.int64))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return versions.file_record(path)

    @functools.cached_property
    def row_set(self) -> frozenset[int]:
        """Deleted rows as a set."""
        return frozenset(int(r) for r in self.rows)

    @functools.cached_property
    def doc_set(self) -> frozenset[int]:
        """Deleted document indices as a set."""
        return frozenset(int(d) for d in self.docs)

    def live(self, n: int) -> np.ndarray:
        """Boolean mask of the rows still live."""
        mask = np.ones(n, bool)
        mask[self.rows] = False
        return mask

    def with_rows(self, segment: Segment, doc_index: int) -> "Deletions":
        """These deletions plus one more document (its rows and the terms they held)."""
        start, end = int(segment.doc_start[doc_index]), int(segment.doc_end[doc_index])
        df = dict(self.df)
        if end > start:
            ids = [int(i) for i in segment.ids[start:end]]
            for chunk in tables.chunks_by_id(segment.conn, ids).values():
                li = segment.lang_index[chunk.lang]
                for c in segment.columns(sorted(set(analyze(chunk.text, chunk.lang)))):
                    if c >= 0:
                        df[(li, int(c))] = df.get((li, int(c)), 0) + 1
        rows = np.union1d(self.rows, np.arange(start, end)).astype(np.int64)
        return Deletions(rows, np.union1d(self.docs, [doc_index]).astype(np.int64), df)

