"""The PostgreSQL store at scale: time to publish one small document, the store's side of a search, and
the recall of its HNSW index against exact search, on synthetic corpora grown in one database.

Synthetic data, deterministic: vectors in clusters (a topic centre plus noise, unit length, the shape
of real passage embeddings), texts of Zipf-distributed pseudo-words in three languages, written
through the store's own writer (documents of 20 chunks). A search here is what ranking asks of a
store for one hybrid query: dense top-200 (HNSW), lexical top-200 (BM25 in SQL), then passages,
vectors and document centroids of the candidates; query encoding and the Python ranking are the
same for every store and are timed by `eval/bench_scale.py`.

`measure(...) -> dict`; `python -m eval.bench_pg [--sizes 10000,100000] [--url postgresql://...]`
(without --url or KB_DATABASE_URL it starts a private pgserver database and deletes it afterwards).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from typing import Iterator, Sequence

import numpy as np

from index.queryplan import plan_query
from index.records import Chunk, Document, IndexSettings
from index.stores.postgres import PostgresStore

LANGS = ("no", "sv", "nl")
CHUNKS_PER_DOC = 20
WORDS_PER_CHUNK = 40
CANDIDATES = 200
EF_SEARCH = (40, 64, 100, 200)  # hnsw.ef_search values whose recall is measured (the store's default among them)


@contextlib.contextmanager
def database(url: str | None = None) -> Iterator[str]:
    """`url`, or a private pgserver database (PostgreSQL 16 + pgvector) for the duration."""
    if url:
        yield url
        return
    import pgserver

    folder = tempfile.mkdtemp(prefix="kb-bench-pg-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


class Synthetic:
    """Deterministic clustered vectors and Zipf texts, chunk after chunk."""

    def __init__(self, dim: int, clusters: int = 200, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.dim = dim
        self.centres = self._unit(self.rng.normal(size=(clusters, dim)))
        self.vocab = {lang: [f"{lang}{i}ord" for i in range(20_000)] for lang in LANGS}
        ranks = np.arange(1, 20_001)
        self.weights = (1 / ranks) / (1 / ranks).sum()

    @staticmethod
    def _unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    def vectors(self, n: int, noise: float = 0.06) -> np.ndarray:
        """Unit vectors, each near one of the cluster centres."""
        picks = self.rng.integers(0, len(self.centres), n)
        return self._unit(self.centres[picks] + self.rng.normal(scale=noise, size=(n, self.dim)))

    def text(self, lang: str) -> str:
        """A chunk of pseudo-words of one language."""
        picks = self.rng.choice(len(self.vocab[lang]), WORDS_PER_CHUNK, p=self.weights)
        return " ".join(self.vocab[lang][i] for i in picks) + "."

    def document(self, n: int) -> tuple[Document, list[Chunk], np.ndarray]:
        """Document number `n`: 20 chunks in one language."""
        lang = LANGS[n % len(LANGS)]
        texts = [self.text(lang) for _ in range(CHUNKS_PER_DOC)]
        text = "\n\n".join(texts)
        chunks, start = [], 0
        for i, t in enumerate(texts):
            chunks.append(Chunk(0, f"d{n}", i, start, start + len(t), t, lang, len(t.split())))
            start += len(t) + 2
        doc = Document(doc_id=f"d{n}", source=f"synthetic/d{n}.txt", title=f"Synthetic {n}", lang=lang, text=text,
                       content_hash=f"synthetic-{n}")
        return doc, chunks, self.vectors(CHUNKS_PER_DOC)


def _grow(store: PostgresStore, data: Synthetic, settings: IndexSettings, have: int, want: int) -> float:
    started = time.perf_counter()
    with store.writer(settings, lock_timeout=60) as writer:
        for n in range(have // CHUNKS_PER_DOC, want // CHUNKS_PER_DOC):
            writer.put(*data.document(n))
        writer.commit()
    return time.perf_counter() - started


def _search(snapshot, q: np.ndarray, text: str, lang: str) -> None:
    plan = plan_query(text, lang, snapshot.chunk_languages())
    ids = {c for c, _ in snapshot.dense(q, CANDIDATES)} | set(snapshot.lexical_top(plan, CANDIDATES))
    passages = snapshot.passages(sorted(ids))
    around = sorted({i for p in passages.values() for i in (p.chunk_id, p.prev, p.next)})
    snapshot.vectors(around)
    snapshot.lexical_of(plan, sorted(ids))
    snapshot.doc_centroids(sorted({p.doc_id for p in passages.values()}))


def _exact_recall(store: PostgresStore, data: Synthetic, n_queries: int, ef_search: int, k: int = 10) -> float:
    store.handle.ef_search = ef_search
    snapshot = store.snapshot()
    with store.db.connection().cursor(binary=True) as cur:
        rows = cur.execute("SELECT chunk_id, centred FROM kb_chunks WHERE removed_in IS NULL").fetchall()
    ids = np.asarray([r["chunk_id"] for r in rows])
    matrix = np.stack([r["centred"] for r in rows])
    queries = data.vectors(n_queries, noise=0.08)
    hits = 0
    for q in queries:
        exact = set(ids[np.argsort(-(matrix @ q))[:k]].tolist())
        hits += len(exact & {c for c, _ in snapshot.dense(q, k)})
    return hits / (k * n_queries)


def measure(sizes: Sequence[int] = (10_000, 100_000), url: str | None = None, dim: int = 384, queries: int = 100,
            recall_at: int = 100_000, progress: bool = True) -> dict:
    """Grow one synthetic corpus through `sizes` (chunks) and measure the PostgreSQL store at each size.

    Keys per size N: `build_s@N` (writing up to N), `add_s@N` / `delete_s@N` (publishing one document of
    20 chunks / deleting it), `search_p50_ms@N` / `search_p95_ms@N` (the store's side of one hybrid
    search), `dense_p50_ms@N`; and `recall@10` of HNSW against exact search at `recall_at` chunks (at the
    store's ef_search, and `recall@10_efE` at each of EF_SEARCH).
    """
    settings = IndexSettings(embedder=f"hash:{dim}")
    data = Synthetic(dim)
    result: dict = {"store": "postgres", "dim": dim}
    say = print if progress else (lambda *a, **k: None)
    with database(url) as db_url:
        store = PostgresStore(db_url)
        have = 0
        for size in sorted(sizes):
            result[f"build_s@{size}"] = round(_grow(store, data, settings, have, size), 2)
            have = size
            extra = data.document(10_000_000 + size)
            started = time.perf_counter()
            with store.writer(settings) as writer:
                writer.put(*extra)
                writer.commit()
            result[f"add_s@{size}"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            with store.writer(settings) as writer:
                writer.delete(extra[0].doc_id)
                writer.commit()
            result[f"delete_s@{size}"] = round(time.perf_counter() - started, 3)
            snapshot = store.snapshot()
            qs = data.vectors(queries, noise=0.08)
            texts = [(" ".join(data.text(LANGS[i % 3]).split()[:2]), LANGS[i % 3]) for i in range(queries)]
            _search(snapshot, qs[0], *texts[0])  # warm the connection and caches
            took, dense = [], []
            for q, (text, lang) in zip(qs, texts):
                started = time.perf_counter()
                snapshot.dense(q, CANDIDATES)
                dense.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                _search(snapshot, q, text, lang)
                took.append((time.perf_counter() - started) * 1000)
            result[f"search_p50_ms@{size}"] = round(statistics.median(took), 2)
            result[f"search_p95_ms@{size}"] = round(float(np.percentile(took, 95)), 2)
            result[f"dense_p50_ms@{size}"] = round(statistics.median(dense), 2)
            if size == recall_at:
                default = store.handle.ef_search
                for ef in sorted({*EF_SEARCH, default}):
                    result[f"recall@10_ef{ef}"] = round(_exact_recall(store, data, queries, ef), 4)
                store.handle.ef_search = default
                result["recall@10"] = result[f"recall@10_ef{default}"]
                result["recall_at"] = size
            say({k: v for k, v in result.items() if k.endswith(f"@{size}") or k.startswith("recall")}, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PostgreSQL store: publish, search and HNSW recall at scale.")
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes in chunks, comma-separated")
    parser.add_argument("--url", default=os.environ.get("KB_DATABASE_URL"),
                        help="database to use (default: a private pgserver database)")
    parser.add_argument("--queries", type=int, default=100, help="queries per size")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result = measure(sizes, args.url, queries=args.queries, recall_at=max(sizes))
    print("pg " + " ".join(f"{k}={v}" for k, v in result.items() if "@" in k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
