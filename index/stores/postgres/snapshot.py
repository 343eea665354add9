"""A published version in PostgreSQL: rows visible in its number, read through this thread's connection.

Lexical scores are the project's BM25 (`index/lexical.py`: Snowball stems per language, idf per language)
computed in SQL from postings and document frequencies kept in tables, for the terms of a query plan
(`index/queryplan.py`). Dense candidates come from an HNSW index over vectors centred with the language
means of the version that added them; ranking (`index/ranking.py`) rescores every candidate exactly.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...concepts import Catalogue, ConceptIndex
from ...concepts.labelcache import concept_cache_file
from ...debias import Centring, centre
from ...errors import IndexCorrupt
from ...lexical import B, K1, bm25_bound
from ...pgconn import reported_unavailable
from ...queryplan import QueryPlan
from ...ranking import document_centroids
from ...records import Chunk, DocHead, DocState, Document, GroundedPassage, Passage
from .handle import Handle
from .schema import (CHUNK_COLUMNS, DOC_COLUMNS, HEAD_COLUMNS, STATE_COLUMNS, catalogue_of, chunk_of, document_of,
                     from_bytes, head_of, packed, states_of, unpack, version_name, visible)

EF_SEARCH_MAX = 1000


class _Words:
    """Whether a word occurs in a language's passages, asked of the database (query language detection)."""

    def __init__(self, snapshot: "PostgresSnapshot", lang: str) -> None:
        self.snapshot, self.lang = snapshot, lang

    def __contains__(self, word: object) -> bool:
        return self.lang in self.snapshot._word_langs(str(word))


class PostgresSnapshot:
    """One published version in the database, read through this thread's connection."""

    def __init__(self, store: Handle, row: dict) -> None:
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
        self._catalogue: Catalogue | None = None

    @reported_unavailable
    def catalogue(self) -> Catalogue:
        """The concept catalogue this version was published with (its manifest names it by digest)."""
        if self._catalogue is None:
            self._catalogue = catalogue_of(self.db.connection(), self.manifest.get("catalogue_digest"))
        return self._catalogue

    def suggestions(self) -> list[dict]:
        """Suggested concepts of this version's documents, best first (none for a version from before them)."""
        rows = self._rows("SELECT data FROM kb_suggestions WHERE version = %(v)s")
        return rows[0]["data"] if rows else []

    def concept_index(self, catalogue: Catalogue) -> ConceptIndex | None:
        """The label vectors the writer left in this machine's cache for `catalogue`, if any (else None: the
        service embeds them)."""
        if self.store.cache_dir is None:
            return None
        path = concept_cache_file(self.store.cache_dir, catalogue, self.embedder)
        try:
            return ConceptIndex.load(path, catalogue) if path.is_file() else None
        except IndexCorrupt:
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

    def term_languages(self, terms: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per analysed term, the passage languages holding it and in how many passages."""
        found: dict[str, dict[str, int]] = {t: {} for t in terms}
        if found:
            for r in self._rows("SELECT lang, term, df FROM kb_term_df WHERE term = ANY(%(t)s)", {"t": list(found)}):
                found[r["term"]][r["lang"]] = r["df"]
        return found

    def _lexical(self, plan: QueryPlan, k: int | None, chunk_ids: Sequence[int] | None) -> dict[int, float]:
        terms = plan.all_terms()
        if not terms:
            return {}
        df = {(lang, term): n for term, langs in self.term_languages(terms).items() for lang, n in langs.items()}
        vocabulary = {t for _, t in df}
        scores: dict[int, float] = {}
        for lang, unique, weights in plan:
            stats = self._bm25["langs"].get(lang)
            if stats is None:  # a plan made for other languages scores nothing here
                continue
            n = stats["n"]
            known = [t for t in unique if t in vocabulary]
            idf = {t: math.log1p((n - df.get((lang, t), 0) + 0.5) / (df.get((lang, t), 0) + 0.5)) for t in known}
            bound = bm25_bound(weights, [idf.get(t, stats["mean_idf"]) for t in unique])
            weight = dict(zip(unique, weights))
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
                {"terms": present, "idfs": [idf[t] * weight[t] for t in present], "lang": lang, "avgdl": self._bm25["avgdl"],
                 "ids": [int(c) for c in chunk_ids] if chunk_ids is not None else None, "k": k})
            for r in rows:
                scores[r["chunk_id"]] = scores.get(r["chunk_id"], 0.0) + float(r["s"]) / bound
        return scores

    def lexical_top(self, plan: QueryPlan, k: int) -> dict[int, float]:
        """The k best chunk ids by BM25 on 0..1, only those above 0."""
        found = self._lexical(plan, k, None)
        best = sorted(found.items(), key=lambda item: -item[1])[:k]
        return {c: s for c, s in best if s > 0}

    def lexical_of(self, plan: QueryPlan, chunk_ids: Sequence[int]) -> dict[int, float]:
        """BM25 on 0..1 of the given chunks: the plan's terms of each passage's language."""
        if not len(chunk_ids):
            return {}
        found = self._lexical(plan, None, chunk_ids)
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
        rows = self._rows(f"SELECT {CHUNK_COLUMNS} FROM kb_chunks c WHERE chunk_id = ANY(%(ids)s) AND {visible('c')}",
                          {"ids": [int(c) for c in chunk_ids]})
        return {r["chunk_id"]: chunk_of(r) for r in rows}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in order."""
        rows = self._rows(f"SELECT {CHUNK_COLUMNS} FROM kb_chunks c WHERE doc_id = %(d)s AND {visible('c')}"
                          f" ORDER BY ord", {"d": doc_id})
        return [chunk_of(r) for r in rows]

    def chunk_at(self, doc_id: str, ord: int) -> Chunk | None:
        """A document's chunk at one position, or None."""
        rows = self._rows(f"SELECT {CHUNK_COLUMNS} FROM kb_chunks c WHERE doc_id = %(d)s AND ord = %(o)s"
                          f" AND {visible('c')}", {"d": doc_id, "o": ord})
        return chunk_of(rows[0]) if rows else None

    def document_heads(self, doc_ids: Sequence[str]) -> dict[str, DocHead]:
        """What citations need of a few documents."""
        rows = self._rows(f"SELECT {HEAD_COLUMNS} FROM kb_documents d WHERE doc_id = ANY(%(d)s)"
                          f" AND {visible('d')}", {"d": list(doc_ids)})
        return {r["doc_id"]: head_of(r) for r in rows}

    def documents(self) -> list[Document]:
        """Every document, ordered by source."""
        return [document_of(r) for r in self._rows(
            f"SELECT {DOC_COLUMNS} FROM kb_documents d WHERE {visible('d')} ORDER BY source")]

    def document_states(self) -> dict[str, DocState]:
        """source -> what incremental ingest compares (planning before the writer lock)."""
        return states_of(self._rows(f"SELECT {STATE_COLUMNS} FROM kb_documents d WHERE {visible('d')}"))

    def document(self, doc_id: str) -> Document | None:
        """One document by id."""
        rows = self._rows(f"SELECT {DOC_COLUMNS} FROM kb_documents d WHERE doc_id = %(d)s AND {visible('d')}",
                          {"d": doc_id})
        return document_of(rows[0]) if rows else None

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
