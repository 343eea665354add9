"""The PostgreSQL store's one writer: a transaction under an advisory lock that ends by inserting a version row.

Rows for the next version (documents, chunks with their vectors and BM25 postings, groundings) go in beside
the old ones, old rows are marked removed, and the version's row (language correction, BM25 statistics,
counts, the catalogue's digest) is inserted last, with the version's catalogue and suggested concepts.
"""
from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from ... import suggestions
from ...concepts import ConceptIndex, ground
from ...concepts.labelcache import concept_index
from ...concepts.storage import CatalogueSlot, catalogue_data
from ...content import content_priors
from ...debias import MIN_CHUNKS_PER_LANGUAGE, SHRINK_DOCS, Centring, centre, language_subspace
from ...embedders import Embedder, get_embedder
from ...errors import IndexBusy
from ...lexical import analyze, words
from ...pgconn import CONNECT_TIMEOUT_S, CONNECTION_LOST, unavailable
from ...records import Chunk, DocState, Document, IndexSettings, Published, check_embedder, document_hash, text_hash
from .handle import Handle
from .schema import (CHUNK_COLUMNS, DOC_COLUMNS, STATE_COLUMNS, catalogue_of, chunk_of, document_of,
                     from_bytes, hnsw_index, register_vector, states_of, to_bytes, version_name)

log = logging.getLogger(__name__)

WRITER_LOCK = 0x6B62_7772  # advisory lock key held by the one writer ("kbwr")
HNSW_BUILD_MEMORY = "512MB"
BACKEND = "pgvector"
FACTORY = "hnsw"


class PostgresWriter(CatalogueSlot):
    """One write: a transaction on its own connection, holding the writer's advisory lock until it ends."""

    def __init__(self, store: Handle, settings: IndexSettings, rebuild: bool, lock_timeout: float) -> None:
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
        self._put: set[str] = set()  # documents added or replaced: the commit suggests concepts for them

    def __enter__(self) -> "PostgresWriter":
        try:
            self._conn = psycopg.connect(self.store.url, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S)
        except CONNECTION_LOST as exc:
            raise unavailable(exc, "PostgresWriter") from exc
        try:
            register_vector(self._conn)
            self._lock()
            self._open()
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """End the write: roll back what was not committed; a connection lost during the write is an outage
        (StoreUnavailable: the job runner runs the write again once the database is back), not the write's error."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.rollback()
            except CONNECTION_LOST:
                pass  # the server ended the transaction with the connection: nothing of it was kept
            finally:
                conn.close()
        if isinstance(exc, CONNECTION_LOST):
            raise unavailable(exc, "PostgresWriter") from exc

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
        # A rebuild re-embeds the documents but keeps the trainers' catalogue; a new index starts from the shipped one.
        self._catalogue = catalogue_of(conn, self._previous["manifest"].get("catalogue_digest") if self._previous else None)
        self._suggested: list[dict] = []  # the suggestions of the version being prepared
        if self._previous and not self.rebuild:
            row = conn.execute("SELECT data FROM kb_suggestions WHERE version = %s", (last,)).fetchone()
            self._suggested = row["data"] if row else []
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
                for table in ("kb_groundings", "kb_postings", "kb_chunks", "kb_documents", "kb_versions", "kb_suggestions"):
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
        self._conn.execute("DELETE FROM kb_suggestions WHERE version < %s", (oldest,))
        # The next version's catalogue is inserted at commit, after this.
        self._conn.execute("DELETE FROM kb_catalogues WHERE digest NOT IN"
                           " (SELECT manifest->>'catalogue_digest' FROM kb_versions WHERE manifest ? 'catalogue_digest')")

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
        return states_of(self._live(f"SELECT {STATE_COLUMNS} FROM kb_documents WHERE removed_in IS NULL"))

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
        rows = self._live(f"SELECT {DOC_COLUMNS} FROM kb_documents WHERE removed_in IS NULL ORDER BY source")
        return [document_of(r) for r in rows]

    def document(self, doc_id: str) -> Document | None:
        """One stored document."""
        rows = self._live(f"SELECT {DOC_COLUMNS} FROM kb_documents WHERE removed_in IS NULL AND doc_id = %s", (doc_id,))
        return document_of(rows[0]) if rows else None

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
        self._put.add(doc.doc_id)
        self._doc_lang_delta[doc.lang] += 1
        conn.execute(
            "INSERT INTO kb_documents (doc_id, source, title, authors, date, publisher, original_name, lang, text,"
            " content_hash, text_hash, meta, code, added_at, chunking, meta_hash, added_in)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (doc.doc_id, doc.source, doc.title, json.dumps(doc.authors, ensure_ascii=False), doc.date,
             doc.publisher, doc.original_name, doc.lang, doc.text, doc.content_hash, document_hash(doc.text),
             json.dumps(doc.meta, ensure_ascii=False), json.dumps(doc.code), doc.added_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             doc.chunking, doc.meta_hash, v))
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
        rows = _LiveRows(conn, dim)
        self._suggested = suggestions.next_suggestions(
            self._suggested, self._put, rows, rows.live_documents().__contains__, self._catalogue, self.embedder,
            self.settings.suggest, self.store.dict_dir, self.store.cache_dir)
        conn.execute("INSERT INTO kb_suggestions (version, data) VALUES (%s, %s)", (v, Jsonb(self._suggested)))
        conn.execute("INSERT INTO kb_catalogues (digest, data) VALUES (%s, %s) ON CONFLICT (digest) DO NOTHING",
                     (self._catalogue.digest, Jsonb(catalogue_data(self._catalogue))))
        manifest = {
            "embedder": self.settings.embedder, "dim": dim, "backend": BACKEND, "factory": FACTORY,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": sum(doc_langs.values()), "chunks": n_chunks,
            "document_languages": doc_langs, "chunk_languages": {r.lang: r.n for r in stats},
            "centring_langs": centring.langs, "lexical": lexical,
            "language_stats": [{**vars(r), "total": r.total.tolist()} for r in stats],
            "catalogue_digest": self._catalogue.digest, "concepts": len(self._catalogue),
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

    def _concept_index(self) -> ConceptIndex:
        # Label vectors: kept in the cache folder, where snapshots on this machine read them; else embedded afresh.
        return concept_index(self._catalogue, self.embedder, self.store.cache_dir)

    def _ground(self) -> None:
        """Concept groundings of the new version: of new chunks, and re-selected where evidence moved."""
        conn, v = self._conn, self.v
        catalogue = self._catalogue
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
            rows = cur.execute(f"SELECT {CHUNK_COLUMNS}, vector FROM kb_chunks WHERE {subject} ORDER BY chunk_id",
                               args).fetchall()
        if not rows:
            return
        found = ground(catalogue, [chunk_of(r) for r in rows], np.stack([r["vector"] for r in rows]),
                       self._concept_index())
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


class _LiveRows:
    """The live rows of the version being prepared, as suggesting reads them (`index.suggestions.Corpus`)."""

    def __init__(self, conn: psycopg.Connection, dim: int) -> None:
        self.conn, self.dim = conn, dim

    def live_documents(self) -> set[str]:
        """Ids of every live document."""
        return {r["doc_id"] for r in self.conn.execute("SELECT doc_id FROM kb_documents WHERE removed_in IS NULL")}

    def document(self, doc_id: str) -> Document | None:
        """One live document."""
        row = self.conn.execute(f"SELECT {DOC_COLUMNS} FROM kb_documents WHERE removed_in IS NULL AND doc_id = %s",
                                (doc_id,)).fetchone()
        return document_of(row) if row else None

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A live document's chunks in order."""
        return [chunk_of(r) for r in self.conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM kb_chunks WHERE removed_in IS NULL AND doc_id = %s ORDER BY ord", (doc_id,))]

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Vectors as embedded, in the order asked (zeros for unknown ids)."""
        out = np.zeros((len(chunk_ids), self.dim), np.float32)
        with self.conn.cursor(binary=True) as cur:
            found = {r["chunk_id"]: r["vector"] for r in cur.execute(
                "SELECT chunk_id, vector FROM kb_chunks WHERE chunk_id = ANY(%s)", ([int(c) for c in chunk_ids],))}
        for i, c in enumerate(chunk_ids):
            if int(c) in found:
                out[i] = found[int(c)]
        return out

    def sample_candidates(self, exclude: set[str]) -> list[str]:
        """Live documents a reference sample draws from, less `exclude`."""
        return sorted(self.live_documents() - exclude)
