"""The index in PostgreSQL with pgvector (`KB_DATABASE_URL`): any number of web replicas serve one database.

A write is one transaction under an advisory lock: rows for the next version (documents, chunks with
their vectors and BM25 postings, groundings) go in beside the old ones, old rows are marked removed,
and the version's row (language correction, BM25 statistics, counts) is inserted last. Readers poll
the newest version number, a one-row query, and read only rows visible in the version they serve.
Dense candidates come from an HNSW index over vectors centred with the language means of the version
that added them; ranking (`index/ranking.py`) rescores every candidate exactly. Lexical scores are the
project's BM25 (`index/lexical.py`: Snowball stems per language, idf per language) computed in SQL
from postings and document frequencies kept in tables.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import psycopg
from psycopg.rows import dict_row

from ..audit import audit_reads
from ..concepts import Catalogue, ground, load_catalogue, load_or_build_concept_index
from ..content import content_priors
from ..debias import MIN_CHUNKS_PER_LANGUAGE, SHRINK_DOCS, Centring, centre, language_subspace
from ..embedders import Embedder, get_embedder
from ..glosses.lexicon import DEFAULT_DICT_DIR
from ..errors import IndexBusy, IndexNotFound, InvalidSetting
from ..lexical import B, K1, analyze, analyze_query, words
from ..pgconn import Database, migrate, reported_unavailable
from ..ranking import CROSS_LANGUAGE_MIN_CHARS, document_centroids
from ..records import (Chunk, DocHead, DocState, Document, GroundedPassage, IndexSettings, Passage, Published,
                       check_embedder, document_hash, text_hash)
from .pgschema import MIGRATIONS, from_bytes, hnsw_index, packed, register_vector, to_bytes, unpack, visible

log = logging.getLogger(__name__)

WRITER_LOCK = 0x6B62_7772  # advisory lock key held by the one writer ("kbwr")
EF_SEARCH_MAX = 1000
HNSW_BUILD_MEMORY = "512MB"
BACKEND = "pgvector"
FACTORY = "hnsw"
_DOC_COLUMNS = "doc_id, source, title, author, lang, text, content_hash, meta, added_at, chunking, meta_hash"
_CHUNK_COLUMNS = "chunk_id, doc_id, ord, start_at, end_at, text, lang, tokens"


def version_name(number: int) -> str:
    """A version's name, as the embedded store writes them."""
    return f"v{number:06d}"


def _document(row: dict) -> Document:
    return Document(doc_id=row["doc_id"], source=row["source"], title=row["title"], lang=row["lang"],
                    text=row["text"], content_hash=row["content_hash"], author=row["author"], meta=row["meta"],
                    added_at=row["added_at"], chunking=row["chunking"], meta_hash=row["meta_hash"])


def _chunk(row: dict) -> Chunk:
    return Chunk(chunk_id=row["chunk_id"], doc_id=row["doc_id"], ord=row["ord"], start=row["start_at"],
                 end=row["end_at"], text=row["text"], lang=row["lang"], tokens=row["tokens"])


_STATE_COLUMNS = "doc_id, source, content_hash, text_hash, chunking, meta_hash, meta->>'root' AS root"


def _states(rows: list[dict]) -> dict[str, DocState]:
    return {r["source"]: DocState(r["doc_id"], r["source"], r["content_hash"], r["text_hash"], r["chunking"],
                                  r["meta_hash"], r["root"]) for r in rows}


class PostgresStore:
    """An index in one PostgreSQL database (with the pgvector extension)."""

    def __init__(self, url: str, *, cache_dir: Path | None = None, dict_dir: Path = DEFAULT_DICT_DIR,
                 ef_search: int = 100) -> None:
        self.url = url
        # HNSW candidates examined per query, at least (more when more results are asked for).
        self.ef_search = ef_search
        self.cache_dir = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "kb-cache"
        self.dict_dir = Path(dict_dir)
        setup = Database(url)
        try:
            migrate(setup, "store", MIGRATIONS)
        finally:
            setup.close()
        self.db = Database(url, configure=register_vector)

    def writer(self, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
               lock_timeout: float = 30.0) -> "PostgresWriter":
        """The single writer (enter it to take the lock)."""
        return PostgresWriter(self, settings, rebuild, lock_timeout)

    def _newest(self) -> dict | None:
        return self.db.connection().execute(
            "SELECT number, manifest, centring, basis FROM kb_versions ORDER BY number DESC LIMIT 1").fetchone()

    @reported_unavailable
    def current(self) -> str | None:
        """Name of the newest published version (one indexed row: readers poll it per request)."""
        row = self.db.connection().execute("SELECT max(number) AS n FROM kb_versions").fetchone()
        return version_name(row["n"]) if row and row["n"] else None

    @reported_unavailable
    def snapshot(self, previous: "PostgresSnapshot | None" = None) -> "PostgresSnapshot":
        """The newest published version; IndexNotFound when none was published."""
        row = self._newest()
        if row is None:
            raise IndexNotFound("no index version is published in the database")
        if previous is not None and previous.number == row["number"]:
            return previous
        return PostgresSnapshot(self, row)

    def verify(self) -> list[str]:
        """Problems of the newest version: counts against its manifest, chunks without documents or vectors."""
        row = self._newest()
        if row is None:
            return ["no version is published"]
        v, manifest, problems = row["number"], row["manifest"], []
        conn = self.db.connection()
        args = {"v": v}
        docs = conn.execute(f"SELECT count(*) AS n FROM kb_documents d WHERE {visible('d')}", args).fetchone()["n"]
        chunks = conn.execute(f"SELECT count(*) AS n, count(c.centred) AS centred FROM kb_chunks c WHERE {visible('c')}",
                              args).fetchone()
        if (docs, chunks["n"]) != (manifest["documents"], manifest["chunks"]):
            problems.append(f"{version_name(v)}: {docs} documents and {chunks['n']} chunks, the manifest says"
                            f" {manifest['documents']} and {manifest['chunks']}")
        if chunks["centred"] != chunks["n"]:
            problems.append(f"{version_name(v)}: {chunks['n'] - chunks['centred']} chunks have no indexed vector")
        orphans = conn.execute(
            f"SELECT count(*) AS n FROM kb_chunks c WHERE {visible('c')} AND NOT EXISTS"
            f" (SELECT 1 FROM kb_documents d WHERE d.doc_id = c.doc_id AND {visible('d')})", args).fetchone()["n"]
        if orphans:
            problems.append(f"{version_name(v)}: {orphans} chunks belong to no document")
        return problems + audit_reads(self.snapshot())


class PostgresWriter:
    """One write: a transaction on its own connection, holding the writer's advisory lock until it ends."""

    def __init__(self, store: PostgresStore, settings: IndexSettings, rebuild: bool, lock_timeout: float) -> None:
        self.store = store
        self.settings = settings
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self.changed = False
        self._conn: psycopg.Connection | None = None
        self._previous: dict | None = None
        self._new_chunks: list[int] = []
        self._regroup_all = rebuild
        self._term_delta: Counter = Counter()  # (lang, term) -> change of document frequency
        self._lang_delta: dict[str, _LanguageStats] = {}  # chunk language -> what this write added less what it removed
        self._doc_lang_delta: Counter = Counter()  # document language -> documents added less removed
        self._word_delta: Counter = Counter()  # (word, lang) -> change of passages holding it

    def catalogue(self) -> Catalogue:
        """The shipped catalogue: in PostgreSQL the catalogue is not yet data of the index."""
        return load_catalogue()

    def set_catalogue(self, catalogue: Catalogue) -> bool:
        """Refused: trainers' concept changes need the embedded store for now."""
        raise InvalidSetting("concept changes are not stored in PostgreSQL yet (KB_DATABASE_URL): "
                             "the catalogue is the shipped one")

    def __enter__(self) -> "PostgresWriter":
        self._conn = psycopg.connect(self.store.url, row_factory=dict_row)
        try:
            register_vector(self._conn)
            self._lock()
            self._open()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._conn = None

    def _lock(self) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while not self._conn.execute("SELECT pg_try_advisory_xact_lock(%s) AS ok", (WRITER_LOCK,)).fetchone()["ok"]:
            if time.monotonic() > deadline:
                raise IndexBusy("another writer is updating the index in the database")
            time.sleep(0.1)

    def _open(self) -> None:
        conn = self._conn
        self._previous = conn.execute(
            "SELECT number, manifest, centring FROM kb_versions ORDER BY number DESC LIMIT 1").fetchone()
        last = self._previous["number"] if self._previous else 0
        if self._previous and not self.rebuild:
            check_embedder(self._previous["manifest"], self.settings)
        self.v = last + 1
        self._collect_garbage(last)
        dim = self.embedder.dim
        # New chunks go into the HNSW index centred with the language means of the version they start
        # from; a first load is centred with its own means at commit, before the index is built.
        self._centring = None
        if self._previous and not self.rebuild:
            table = from_bytes(self._previous["centring"], dim)
            self._centring = Centring(list(self._previous["manifest"]["centring_langs"]), table[:-1], table[-1])
        if self.rebuild:
            stale = conn.execute("SELECT 1 FROM kb_chunks WHERE vector_dims(vector) <> %s LIMIT 1", (dim,)).fetchone()
            if stale:  # another embedder: older versions cannot be served by this one, drop them
                for table in ("kb_groundings", "kb_postings", "kb_chunks", "kb_documents", "kb_versions"):
                    conn.execute(f"DELETE FROM {table}")
            for table in ("kb_documents", "kb_chunks", "kb_groundings"):
                conn.execute(f"UPDATE {table} SET removed_in = %s WHERE removed_in IS NULL", (self.v,))
            conn.execute("DELETE FROM kb_term_df")
            conn.execute("DELETE FROM kb_words")

    def _collect_garbage(self, last: int) -> None:
        # Versions older than the `keep` newest are forgotten, with the rows only they could see.
        oldest = last - self.settings.keep + 1
        if oldest <= 1:
            return
        for table in ("kb_groundings", "kb_chunks", "kb_documents"):
            self._conn.execute(f"DELETE FROM {table} WHERE removed_in <= %s", (oldest,))
        self._conn.execute("DELETE FROM kb_versions WHERE number < %s", (oldest,))

    @property
    def embedder(self) -> Embedder:
        """The embedder this index is built with."""
        return get_embedder(self.settings.embedder)

    @property
    def base_version(self) -> str | None:
        """Name of the published version this write started from (None for a new or rebuilt index)."""
        return version_name(self._previous["number"]) if self._previous and not self.rebuild else None

    def _live(self, sql: str, args: Sequence = ()) -> list[dict]:
        return self._conn.execute(sql, args).fetchall()

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares (hashes, chunking, metadata, root)."""
        return _states(self._live(f"SELECT {_STATE_COLUMNS} FROM kb_documents WHERE removed_in IS NULL"))

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a stored document with these bytes or the same normalised text, if any."""
        rows = self._live("SELECT doc_id FROM kb_documents WHERE removed_in IS NULL AND (content_hash = %s OR"
                          " text_hash = %s) LIMIT 1", (content_hash, text_hash))
        return rows[0]["doc_id"] if rows else None

    def known_documents(self) -> dict[str, tuple[str, str]]:
        """source -> (doc_id, content_hash) of every stored document."""
        rows = self._live("SELECT source, doc_id, content_hash FROM kb_documents WHERE removed_in IS NULL")
        return {r["source"]: (r["doc_id"], r["content_hash"]) for r in rows}

    def documents(self) -> list[Document]:
        """Every stored document, ordered by source."""
        rows = self._live(f"SELECT {_DOC_COLUMNS} FROM kb_documents WHERE removed_in IS NULL ORDER BY source")
        return [_document(r) for r in rows]

    def document(self, doc_id: str) -> Document | None:
        """One stored document."""
        rows = self._live(f"SELECT {_DOC_COLUMNS} FROM kb_documents WHERE removed_in IS NULL AND doc_id = %s", (doc_id,))
        return _document(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        """Documents and chunks in the version being prepared."""
        return {
            "documents": self._live("SELECT count(*) AS n FROM kb_documents WHERE removed_in IS NULL")[0]["n"],
            "chunks": self._live("SELECT count(*) AS n FROM kb_chunks WHERE removed_in IS NULL")[0]["n"],
        }

    def counts_of(self, doc_id: str) -> int:
        """Number of chunks of one document."""
        return self._live("SELECT count(*) AS n FROM kb_chunks WHERE removed_in IS NULL AND doc_id = %s",
                          (doc_id,))[0]["n"]

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes, keyed by hash."""
        wanted = list(set(hashes))
        if not wanted:
            return {}
        with self._conn.cursor(binary=True) as cur:
            rows = cur.execute("SELECT DISTINCT ON (text_hash) text_hash, vector FROM kb_chunks"
                               " WHERE text_hash = ANY(%s)", (wanted,)).fetchall()
        return {r["text_hash"]: r["vector"] for r in rows if len(r["vector"]) == self.embedder.dim}

    def put(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace (same doc_id or source) a document with its chunks and their vectors."""
        conn, v = self._conn, self.v
        self._remove("doc_id = %s OR source = %s", (doc.doc_id, doc.source))
        self._doc_lang_delta[doc.lang] += 1
        conn.execute(
            "INSERT INTO kb_documents (doc_id, source, title, author, lang, text, content_hash, text_hash, meta,"
            " added_at, chunking, meta_hash, added_in) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (doc.doc_id, doc.source, doc.title, doc.author, doc.lang, doc.text, doc.content_hash,
             document_hash(doc.text), json.dumps(doc.meta, ensure_ascii=False),
             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), doc.chunking, doc.meta_hash, v))
        if not len(chunks):
            self.changed = True
            return
        ids = [r["id"] for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('kb_chunks', 'chunk_id')) AS id FROM generate_series(1, %s)",
            (len(chunks),)).fetchall()]
        priors = content_priors([c.text for c in chunks], [doc.doc_id] * len(chunks))
        terms = [Counter(analyze(c.text, c.lang)) for c in chunks]
        vectors = np.asarray(vectors, np.float32)
        centred = (centre(vectors, self._centring.table[self._centring.rows([c.lang for c in chunks])])
                   if self._centring is not None else [None] * len(chunks))
        rows = []
        for i, (c, counts) in enumerate(zip(chunks, terms)):
            rows.append((ids[i], doc.doc_id, c.ord, c.start, c.end, c.text, c.lang, c.tokens, text_hash(c.text),
                         sum(counts.values()), float(priors[i]), ids[max(0, i - 1)], ids[min(len(ids) - 1, i + 1)],
                         vectors[i], centred[i], v))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kb_chunks (chunk_id, doc_id, ord, start_at, end_at, text, lang, tokens, text_hash,"
                " n_terms, content, prev, next, vector, centred, added_in)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
            with cur.copy("COPY kb_postings (lang, term, chunk_id, tf) FROM STDIN") as copy:
                for chunk_id, c, counts in zip(ids, chunks, terms):
                    for term, tf in counts.items():
                        copy.write_row((c.lang, term, chunk_id, tf))
        self._count_terms(Counter((c.lang, t) for c, counts in zip(chunks, terms) for t in counts), +1)
        self._count_words(chunks, +1)
        self._count_languages([c.lang for c in chunks], vectors, [sum(t.values()) for t in terms], +1)
        self._new_chunks.extend(ids)
        self.changed = True

    def delete(self, doc_id: str) -> bool:
        """Remove a document; True when it existed."""
        removed = self._remove("doc_id = %s", (doc_id,))
        self.changed = self.changed or removed
        return removed

    def _remove(self, where: str, args: Sequence) -> bool:
        """Mark live documents matching `where` removed in this version, with their chunks and groundings."""
        conn, v = self._conn, self.v
        removed = conn.execute(
            f"UPDATE kb_documents SET removed_in = %s WHERE removed_in IS NULL AND ({where}) RETURNING doc_id, lang",
            (v, *args)).fetchall()
        if not removed:
            return False
        docs = [r["doc_id"] for r in removed]
        for r in removed:
            self._doc_lang_delta[r["lang"]] -= 1
        with conn.cursor(binary=True) as cur:
            chunks = cur.execute("UPDATE kb_chunks SET removed_in = %s WHERE removed_in IS NULL AND doc_id = ANY(%s)"
                                 " RETURNING chunk_id, doc_id, lang, text, vector, n_terms", (v, docs)).fetchall()
        by_doc: dict[str, list[dict]] = {}
        for r in chunks:
            by_doc.setdefault(r["doc_id"], []).append(r)
        for mine in by_doc.values():
            self._count_languages([r["lang"] for r in mine], np.stack([r["vector"] for r in mine]),
                                  [r["n_terms"] for r in mine], -1)
        ids = [r["chunk_id"] for r in chunks]
        terms = conn.execute("SELECT lang, term, count(*) AS n FROM kb_postings WHERE chunk_id = ANY(%s)"
                             " GROUP BY lang, term", (ids,)).fetchall()
        self._count_terms(Counter({(r["lang"], r["term"]): r["n"] for r in terms}), -1)
        self._count_words([Chunk(r["chunk_id"], "", 0, 0, 0, r["text"], r["lang"], 0) for r in chunks], -1)
        vias = conn.execute("UPDATE kb_groundings SET removed_in = %s WHERE removed_in IS NULL AND chunk_id = ANY(%s)"
                            " RETURNING via", (v, ids)).fetchall()
        # An embedding grounding lost: the concept's next-best passage may be anywhere in the corpus.
        self._regroup_all = self._regroup_all or any(r["via"] == "embedding" for r in vias)
        return True

    def _count_terms(self, counts: Counter, sign: int) -> None:
        for key, n in counts.items():
            self._term_delta[key] += sign * n

    def _count_languages(self, langs: Sequence[str], vectors: np.ndarray, terms: Sequence[int], sign: int) -> None:
        """Move the per-language figures by one document's chunks (added: +1, removed: -1)."""
        for lang in set(langs):
            rows = [i for i, other in enumerate(langs) if other == lang]
            moved = self._lang_delta.setdefault(lang, _LanguageStats(lang, 0, 0, np.zeros(vectors.shape[1]), 0))
            moved.n += sign * len(rows)
            moved.docs += sign
            moved.total = moved.total + sign * np.asarray(vectors[rows], np.float64).sum(axis=0)
            moved.terms += sign * int(sum(terms[i] for i in rows))

    def _count_words(self, chunks: Sequence[Chunk], sign: int) -> None:
        for key in ((w, c.lang) for c in chunks for w in set(words(c.text))):
            self._word_delta[key] += sign

    def _add_counts(self, table: str, keys: tuple[str, str], column: str, rows: list[tuple]) -> None:
        if not rows:
            return
        a, b = keys
        with self._conn.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS delta_{table} ({a} TEXT, {b} TEXT, n INTEGER) ON COMMIT DROP")
            cur.execute(f"TRUNCATE delta_{table}")
            with cur.copy(f"COPY delta_{table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({a}, {b}, {column}) SELECT {a}, {b}, n FROM delta_{table}"
                        f" ON CONFLICT ({a}, {b}) DO UPDATE SET {column} = {table}.{column} + EXCLUDED.{column}")
            cur.execute(f"DELETE FROM {table} t USING delta_{table} d WHERE t.{a} = d.{a} AND t.{b} = d.{b}"
                        f" AND t.{column} <= 0")

    def merge(self, max_rows: int | None = None) -> list[Published]:
        """Nothing to merge: rows live in tables and their indexes, which PostgreSQL's autovacuum keeps compact."""
        return []

    def commit(self) -> Published | None:
        """Publish the new version in one transaction; None when nothing changed."""
        if not (self.changed or self.rebuild):
            return None
        conn, v, dim = self._conn, self.v, self.embedder.dim
        self._add_counts("kb_term_df", ("lang", "term"), "df", [(*key, n) for key, n in self._term_delta.items() if n])
        self._add_counts("kb_words", ("word", "lang"), "n", [(*key, n) for key, n in self._word_delta.items() if n])
        stats = self._language_stats()
        centring, basis = _correction(stats, dim)
        self._centre_new(centring)
        # Built once over a first load (much faster than row by row), then kept up to date by each write.
        conn.execute(f"SET LOCAL maintenance_work_mem = '{HNSW_BUILD_MEMORY}'")
        conn.execute(hnsw_index(dim))
        n_chunks = sum(r.n for r in stats)
        lexical = self._lexical_stats(stats, n_chunks)
        doc_langs = self._document_languages()
        self._ground()
        manifest = {
            "embedder": self.settings.embedder, "dim": dim, "backend": BACKEND, "factory": FACTORY,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": sum(doc_langs.values()), "chunks": n_chunks,
            "document_languages": doc_langs, "chunk_languages": {r.lang: r.n for r in stats},
            "centring_langs": centring.langs, "lexical": lexical,
            "language_stats": [{**vars(r), "total": r.total.tolist()} for r in stats],
            "catalogue_digest": self._catalogue_digest,
        }
        conn.execute("INSERT INTO kb_versions (number, manifest, centring, basis) VALUES (%s, %s, %s, %s)",
                     (v, json.dumps(manifest), to_bytes(centring.table), to_bytes(basis)))
        conn.commit()
        conn.close()
        self._conn = None
        name = version_name(v)
        log.info("published %s (%d documents, %d chunks)", name, manifest["documents"], n_chunks)
        return Published(name, manifest["documents"], n_chunks)

    def _running(self) -> bool:
        # Figures move from the previous version's unless everything is recounted: a first load, a rebuild,
        # or a version written before they were kept.
        return bool(self._previous and not self.rebuild and "language_stats" in self._previous["manifest"])

    def _language_stats(self) -> list["_LanguageStats"]:
        """Per chunk language: live chunks, documents, vector sum and terms (the language correction and BM25's
        average length), the previous version's moved by this write: no pass over the corpus."""
        if not self._running():
            rows = self._conn.execute(
                "SELECT lang, count(*) AS n, count(DISTINCT doc_id) AS docs, sum(vector) AS total, sum(n_terms) AS terms"
                " FROM kb_chunks WHERE removed_in IS NULL GROUP BY lang ORDER BY lang").fetchall()
            return [_LanguageStats(r["lang"], r["n"], r["docs"], np.asarray(r["total"], np.float64), int(r["terms"]))
                    for r in rows]
        found = {r["lang"]: _LanguageStats(r["lang"], r["n"], r["docs"], np.asarray(r["total"], np.float64), r["terms"])
                 for r in self._previous["manifest"]["language_stats"]}
        for lang, moved in self._lang_delta.items():
            base = found.setdefault(lang, _LanguageStats(lang, 0, 0, np.zeros_like(moved.total), 0))
            found[lang] = _LanguageStats(lang, base.n + moved.n, base.docs + moved.docs, base.total + moved.total,
                                         base.terms + moved.terms)
        return [found[lang] for lang in sorted(found) if found[lang].n > 0]

    def _document_languages(self) -> dict[str, int]:
        """Live documents per document language, the previous version's moved by this write."""
        if not self._running():
            return {r["lang"]: r["n"] for r in self._conn.execute(
                "SELECT lang, count(*) AS n FROM kb_documents WHERE removed_in IS NULL GROUP BY lang ORDER BY lang")}
        counts = Counter(self._previous["manifest"]["document_languages"])
        counts.update(self._doc_lang_delta)
        return {lang: n for lang, n in sorted(counts.items()) if n > 0}

    def _centre_new(self, centring: Centring) -> None:
        # A first load is indexed centred with its own means; later chunks were centred at `put` with
        # their base version's, older ones keep theirs (ranking rescores candidates with the current means).
        if not self._new_chunks or self._centring is not None:
            return
        with self._conn.cursor(binary=True) as cur:
            rows = cur.execute("SELECT chunk_id, lang, vector FROM kb_chunks WHERE chunk_id = ANY(%s)"
                               " AND removed_in IS NULL", (self._new_chunks,)).fetchall()
        if not rows:
            return
        raw = np.stack([r["vector"] for r in rows])
        centred = centre(raw, centring.table[centring.rows([r["lang"] for r in rows])])
        with self._conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE centred_new (chunk_id BIGINT, centred vector) ON COMMIT DROP")
            with cur.copy("COPY centred_new FROM STDIN") as copy:
                for row, vector in zip(rows, centred):
                    copy.write_row((row["chunk_id"], "[" + ",".join(map(repr, vector.tolist())) + "]"))
            cur.execute("UPDATE kb_chunks c SET centred = n.centred FROM centred_new n WHERE c.chunk_id = n.chunk_id")

    def _lexical_stats(self, stats: list["_LanguageStats"], n_chunks: int) -> dict:
        # BM25 as index/lexical.py computes it: idf per language over the whole vocabulary, average
        # length over every chunk; the mean idf bounds scores of query terms the corpus never saw.
        vocabulary = self._conn.execute("SELECT count(DISTINCT term) AS n FROM kb_term_df").fetchone()["n"]
        langs = {}
        for r in stats:
            n = r.n
            seen = self._conn.execute(
                "SELECT count(*) AS terms, coalesce(sum(ln(1 + (%s - df + 0.5) / (df + 0.5))), 0) AS idf"
                " FROM kb_term_df WHERE lang = %s", (n, r.lang)).fetchone()
            unseen = (vocabulary - seen["terms"]) * math.log1p((n + 0.5) / 0.5)
            langs[r.lang] = {"n": n, "mean_idf": (float(seen["idf"]) + unseen) / max(1, vocabulary)}
        total = sum(r.terms for r in stats)
        return {"avgdl": max(1.0, total / n_chunks) if n_chunks else 1.0, "langs": langs}

    def _ground(self) -> None:
        """Concept groundings of the new version: of new chunks, and re-selected where evidence moved."""
        conn, v = self._conn, self.v
        catalogue = load_catalogue()
        self._catalogue_digest = catalogue.digest
        slug = hashlib.sha256(self.embedder.name.encode()).hexdigest()[:12]
        concept_index = load_or_build_concept_index(catalogue, self.embedder,
                                                     self.store.cache_dir / f"concepts-{slug}.npz")
        previous_digest = self._previous["manifest"].get("catalogue_digest") if self._previous else None
        full = self._regroup_all or previous_digest != catalogue.digest
        if full:
            subject = "removed_in IS NULL"
            conn.execute("UPDATE kb_groundings SET removed_in = %s WHERE removed_in IS NULL", (v,))
            args: tuple = ()
        elif self._new_chunks:
            # Adding passages can only push a concept's embedding support down its list: the new
            # best few are among the old best few and the new passages.
            subject = ("removed_in IS NULL AND (chunk_id = ANY(%s) OR chunk_id IN (SELECT chunk_id FROM kb_groundings"
                       " WHERE removed_in IS NULL AND via = 'embedding'))")
            args = (self._new_chunks,)
        else:
            return
        with conn.cursor(binary=True) as cur:
            rows = cur.execute(f"SELECT {_CHUNK_COLUMNS}, vector FROM kb_chunks WHERE {subject} ORDER BY chunk_id",
                               args).fetchall()
        if not rows:
            return
        found = ground(catalogue, [_chunk(r) for r in rows], np.stack([r["vector"] for r in rows]), concept_index)
        new = set(self._new_chunks)
        if not full:
            conn.execute("UPDATE kb_groundings SET removed_in = %s WHERE removed_in IS NULL AND via = 'embedding'", (v,))
        keep = [g for passages in found.values() for g in passages
                if full or g.via == "embedding" or g.chunk_id in new]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kb_groundings (concept_id, chunk_id, score, via, sentence, start_at, end_at, added_in)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(g.concept_id, g.chunk_id, float(g.score), g.via, g.sentence, g.start, g.end, v) for g in keep])


@dataclass
class _LanguageStats:
    """Live chunks of one language: how many, in how many documents, their vector sum and terms."""

    lang: str
    n: int
    docs: int
    total: np.ndarray
    terms: int


def _correction(stats: list[_LanguageStats], dim: int) -> tuple[Centring, np.ndarray]:
    """The language correction (`index/debias.py`) from per-language sums: Centring.fit and language_subspace."""
    n_total = sum(r.n for r in stats)
    if not n_total:
        return Centring.none(dim), np.zeros((0, dim), np.float32)
    sums = {r.lang: np.asarray(r.total, np.float64) for r in stats}
    overall = sum(sums.values()) / n_total
    kept = [r for r in stats if r.n >= MIN_CHUNKS_PER_LANGUAGE]
    means = np.zeros((len(kept), dim))
    for i, r in enumerate(kept):
        means[i] = overall + (sums[r.lang] / r.n - overall) * r.docs / (r.docs + SHRINK_DOCS)
    centring = Centring([r.lang for r in kept], means.astype(np.float32), overall.astype(np.float32))
    # language_subspace wants vectors and labels; the per-language means stand for them exactly.
    lang_means = np.stack([sums[r.lang] / r.n for r in kept]) if kept else np.zeros((0, dim))
    repeated = np.repeat(lang_means, MIN_CHUNKS_PER_LANGUAGE, axis=0)
    labels = [r.lang for r in kept for _ in range(MIN_CHUNKS_PER_LANGUAGE)]
    return centring, language_subspace(repeated, labels)


class _Words:
    """Whether a word occurs in a language's passages, asked of the database (query language detection)."""

    def __init__(self, snapshot: "PostgresSnapshot", lang: str) -> None:
        self.snapshot, self.lang = snapshot, lang

    def __contains__(self, word: object) -> bool:
        return self.lang in self.snapshot._word_langs(str(word))


class PostgresSnapshot:
    """One published version in the database, read through this thread's connection."""

    def __init__(self, store: PostgresStore, row: dict) -> None:
        self.store = store
        self.db = store.db
        self.number = row["number"]
        self.version = version_name(self.number)
        self.manifest = dict(row["manifest"])
        self.embedder = self.manifest["embedder"]
        self.dim = self.manifest["dim"]
        self.n_documents = self.manifest["documents"]
        self.n_chunks = self.manifest["chunks"]
        table = from_bytes(row["centring"], self.dim)
        self.centring = Centring(list(self.manifest["centring_langs"]), table[:-1], table[-1])
        self.basis = from_bytes(row["basis"], self.dim)
        self.warnings: list[str] = []
        self._bm25 = self.manifest["lexical"]
        self._centroids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._words: dict[str, frozenset[str]] = {}

    def catalogue(self) -> Catalogue:
        """The shipped catalogue (not yet data of a PostgreSQL index)."""
        return load_catalogue()

    def suggestions(self) -> list[dict]:
        """None: suggested concepts are computed by the embedded store's writer only, for now."""
        return []

    def concept_index(self, catalogue: Catalogue) -> None:
        """None: label vectors are not kept in the database; the service embeds them once per process."""
        return None

    @reported_unavailable
    def _rows(self, sql: str, args: dict | None = None, binary: bool = False) -> list[dict]:
        with self.db.connection().cursor(binary=binary) as cur:
            return cur.execute(sql, {"v": self.number, **(args or {})}).fetchall()

    @property
    def words_by_lang(self) -> dict[str, _Words]:
        """Words seen per passage language, looked up per word (the newest version's words)."""
        return {lang: _Words(self, lang) for lang in self.manifest["chunk_languages"]}

    def _word_langs(self, word: str) -> frozenset[str]:
        if word not in self._words:
            if len(self._words) > 10_000:
                self._words.clear()
            rows = self._rows("SELECT lang FROM kb_words WHERE word = %(w)s", {"w": word})
            self._words[word] = frozenset(r["lang"] for r in rows)
        return self._words[word]

    def chunk_languages(self) -> dict[str, int]:
        """Passages per language."""
        return dict(self.manifest["chunk_languages"])

    def document_languages(self) -> dict[str, int]:
        """Documents per language."""
        return dict(self.manifest["document_languages"])

    @reported_unavailable
    def dense(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Approximate top-k by inner product of the corrected query with centred passages (HNSW)."""
        if k <= 0 or not self.n_chunks:
            return []
        conn = self.db.connection()
        want = min(k, self.n_chunks)
        ef = min(EF_SEARCH_MAX, max(self.store.ef_search, k))
        while True:
            with conn.transaction(), conn.cursor() as cur:
                # The index scan yields ef_search rows before the version filter drops rows of other versions.
                cur.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                cur.execute("SET LOCAL enable_seqscan = off")  # the planner misjudges the filtered ORDER BY ... LIMIT
                rows = cur.execute(
                    f"SELECT c.chunk_id, (c.centred::vector({self.dim}) <#> %(q)s) AS d FROM kb_chunks c"
                    f" WHERE {visible('c')} ORDER BY c.centred::vector({self.dim}) <#> %(q)s LIMIT %(k)s",
                    {"v": self.number, "q": np.asarray(q, np.float32), "k": k}).fetchall()
            # Too few: most rows near the query belong to other versions; look further, up to the limit.
            if len(rows) >= want or ef >= EF_SEARCH_MAX:
                break
            ef = min(EF_SEARCH_MAX, ef * 4)
        return [(r["chunk_id"], -float(r["d"])) for r in rows]

    def _plans(self, query: str, query_lang: str) -> dict[str, list[str]]:
        # All terms against passages in the query's language, longer words against the others.
        long_words = " ".join(w for w in words(query) if len(w) >= CROSS_LANGUAGE_MIN_CHARS)
        plans = {}
        for lang in self._bm25["langs"]:
            text = query if lang == query_lang else long_words
            if text:
                plans[lang] = list(dict.fromkeys(analyze_query(text, lang)))
        return plans

    def _lexical(self, query: str, query_lang: str, k: int | None, chunk_ids: Sequence[int] | None) -> dict[int, float]:
        plans = self._plans(query, query_lang)
        terms = sorted({t for ts in plans.values() for t in ts})
        if not terms:
            return {}
        df: dict[tuple[str, str], int] = {}
        for r in self._rows("SELECT lang, term, df FROM kb_term_df WHERE term = ANY(%(t)s)", {"t": terms}):
            df[(r["lang"], r["term"])] = r["df"]
        vocabulary = {t for _, t in df}
        scores: dict[int, float] = {}
        for lang, unique in plans.items():
            stats = self._bm25["langs"][lang]
            n = stats["n"]
            known = [t for t in unique if t in vocabulary]
            idf = {t: math.log1p((n - df.get((lang, t), 0) + 0.5) / (df.get((lang, t), 0) + 0.5)) for t in known}
            bound = max(1e-6, (sum(idf.values()) + stats["mean_idf"] * (len(unique) - len(known))) * (K1 + 1))
            present = [t for t in known if (lang, t) in df]
            if not present:
                continue
            restrict = "AND p.chunk_id = ANY(%(ids)s)" if chunk_ids is not None else ""
            limit = "ORDER BY s DESC LIMIT %(k)s" if k is not None else ""
            rows = self._rows(
                f"SELECT p.chunk_id, sum(w.idf * p.tf * {K1 + 1} / (p.tf + {K1} * (1 - {B} + {B} * c.n_terms"
                f" / %(avgdl)s))) AS s FROM unnest(%(terms)s::text[], %(idfs)s::float8[]) AS w(term, idf)"
                f" JOIN kb_postings p ON p.lang = %(lang)s AND p.term = w.term"
                f" JOIN kb_chunks c ON c.chunk_id = p.chunk_id WHERE {visible('c')} {restrict}"
                f" GROUP BY p.chunk_id {limit}",
                {"terms": present, "idfs": [idf[t] for t in present], "lang": lang, "avgdl": self._bm25["avgdl"],
                 "ids": [int(c) for c in chunk_ids] if chunk_ids is not None else None, "k": k})
            for r in rows:
                scores[r["chunk_id"]] = scores.get(r["chunk_id"], 0.0) + float(r["s"]) / bound
        return scores

    def lexical_top(self, query: str, query_lang: str, k: int) -> dict[int, float]:
        """The k best chunk ids by BM25 on 0..1, only those above 0."""
        found = self._lexical(query, query_lang, k, None)
        best = sorted(found.items(), key=lambda item: -item[1])[:k]
        return {c: s for c, s in best if s > 0}

    def lexical_of(self, query: str, query_lang: str, chunk_ids: Sequence[int]) -> dict[int, float]:
        """BM25 on 0..1 of the given chunks: all terms for same-language passages, longer words for the rest."""
        if not len(chunk_ids):
            return {}
        found = self._lexical(query, query_lang, None, chunk_ids)
        return {int(c): found.get(int(c), 0.0) for c in chunk_ids}

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        """Ranking facts of live chunks (unknown ids are left out)."""
        rows = self._rows(f"SELECT chunk_id, doc_id, lang, content, prev, next FROM kb_chunks c"
                          f" WHERE chunk_id = ANY(%(ids)s) AND {visible('c')}", {"ids": [int(c) for c in chunk_ids]})
        return {r["chunk_id"]: Passage(r["chunk_id"], r["doc_id"], r["lang"], float(r["content"]), r["prev"], r["next"])
                for r in rows}

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Passage vectors as embedded, in the order asked."""
        if not len(chunk_ids):
            return np.zeros((0, self.dim), np.float32)
        row = self._rows(f"SELECT array_agg(chunk_id ORDER BY chunk_id) AS ids, {packed('vector', 'chunk_id')} AS blob"
                         f" FROM kb_chunks WHERE chunk_id = ANY(%(ids)s)", {"ids": [int(c) for c in chunk_ids]},
                         binary=True)[0]
        matrix = unpack(row["blob"], self.dim)
        position = {c: i for i, c in enumerate(row["ids"] or [])}
        return matrix[[position[int(c)] for c in chunk_ids]]

    def doc_centroids(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(centred, raw) normalised mean passage vectors of documents, centred with this version's means."""
        missing = [d for d in set(doc_ids) if d not in self._centroids]
        if missing:
            row = self._rows(
                f"SELECT array_agg(doc_id ORDER BY chunk_id) AS docs, array_agg(lang ORDER BY chunk_id) AS langs,"
                f" {packed('vector', 'chunk_id')} AS blob FROM kb_chunks c WHERE doc_id = ANY(%(d)s) AND {visible('c')}",
                {"d": missing}, binary=True)[0]
            if len(self._centroids) > 50_000:
                self._centroids.clear()
            raw = unpack(row["blob"], self.dim)
            centred = centre(raw, self.centring.table[self.centring.rows(row["langs"] or [])])
            found, group = np.unique(np.asarray(row["docs"] or [], dtype=object), return_inverse=True)
            pairs = zip(document_centroids(centred, group, len(found)), document_centroids(raw, group, len(found)))
            self._centroids.update(zip(found.tolist(), pairs))
        zero = (np.zeros(self.dim, np.float32),) * 2
        pairs = [self._centroids.get(d, zero) for d in doc_ids]
        if not pairs:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, self.dim), np.float32)
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    def chunks_by_id(self, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
        """Chunks (with text) for a set of ids."""
        rows = self._rows(f"SELECT {_CHUNK_COLUMNS} FROM kb_chunks c WHERE chunk_id = ANY(%(ids)s) AND {visible('c')}",
                          {"ids": [int(c) for c in chunk_ids]})
        return {r["chunk_id"]: _chunk(r) for r in rows}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in order."""
        rows = self._rows(f"SELECT {_CHUNK_COLUMNS} FROM kb_chunks c WHERE doc_id = %(d)s AND {visible('c')}"
                          f" ORDER BY ord", {"d": doc_id})
        return [_chunk(r) for r in rows]

    def document_heads(self, doc_ids: Sequence[str]) -> dict[str, DocHead]:
        """Title and source of a few documents."""
        rows = self._rows(f"SELECT doc_id, title, source FROM kb_documents d WHERE doc_id = ANY(%(d)s)"
                          f" AND {visible('d')}", {"d": list(doc_ids)})
        return {r["doc_id"]: DocHead(r["doc_id"], r["title"], r["source"]) for r in rows}

    def documents(self) -> list[Document]:
        """Every document, ordered by source."""
        return [_document(r) for r in self._rows(
            f"SELECT {_DOC_COLUMNS} FROM kb_documents d WHERE {visible('d')} ORDER BY source")]

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares (planning before the writer lock)."""
        return _states(self._rows(f"SELECT {_STATE_COLUMNS} FROM kb_documents d WHERE {visible('d')}"))

    def document(self, doc_id: str) -> Document | None:
        """One document by id."""
        rows = self._rows(f"SELECT {_DOC_COLUMNS} FROM kb_documents d WHERE doc_id = %(d)s AND {visible('d')}",
                          {"d": doc_id})
        return _document(rows[0]) if rows else None

    def chunk_counts(self) -> dict[str, int]:
        """doc_id -> number of chunks."""
        return {r["doc_id"]: r["n"] for r in self._rows(
            f"SELECT doc_id, count(*) AS n FROM kb_chunks c WHERE {visible('c')} GROUP BY doc_id")}

    def duplicate_of(self, content_hash: str, text_hash: str) -> str | None:
        """Id of a document with these bytes or the same normalised text, if any."""
        rows = self._rows(f"SELECT doc_id FROM kb_documents d WHERE (content_hash = %(c)s OR text_hash = %(t)s)"
                          f" AND {visible('d')} LIMIT 1", {"c": content_hash, "t": text_hash})
        return rows[0]["doc_id"] if rows else None

    def concepts_by_chunk(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        """Concept ids each chunk is grounded in, strongest first."""
        result: dict[int, list[str]] = {}
        for r in self._rows(f"SELECT chunk_id, concept_id FROM kb_groundings g WHERE chunk_id = ANY(%(ids)s)"
                            f" AND {visible('g')} ORDER BY score DESC, concept_id", {"ids": [int(c) for c in chunk_ids]}):
            result.setdefault(r["chunk_id"], []).append(r["concept_id"])
        return result

    def groundings(self, concept_id: str | None = None) -> list[GroundedPassage]:
        """Grounded passages by concept, best first."""
        where = "AND g.concept_id = %(cid)s" if concept_id else ""
        rows = self._rows(
            f"SELECT g.concept_id, g.chunk_id, g.score, g.via, g.sentence, g.start_at, g.end_at, c.doc_id, c.ord,"
            f" c.lang, c.text, d.title, d.source FROM kb_groundings g JOIN kb_chunks c ON c.chunk_id = g.chunk_id"
            f" JOIN kb_documents d ON d.doc_id = c.doc_id AND {visible('d')}"
            f" WHERE {visible('g')} {where} ORDER BY g.concept_id, g.score DESC, g.chunk_id", {"cid": concept_id})
        return [GroundedPassage(r["concept_id"], r["chunk_id"], float(r["score"]), r["via"], r["sentence"], r["start_at"],
                                r["end_at"], r["doc_id"], r["ord"], r["lang"], r["text"], r["title"], r["source"])
                for r in rows]

    def concept_counts(self) -> dict[str, int]:
        """concept_id -> number of grounded passages."""
        return {r["concept_id"]: r["n"] for r in self._rows(
            f"SELECT concept_id, count(*) AS n FROM kb_groundings g WHERE {visible('g')} GROUP BY concept_id")}

    def close(self) -> None:
        """Nothing to release: connections belong to threads, not to snapshots."""
