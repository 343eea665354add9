"""Which lexical ranking for the PostgreSQL store: PostgreSQL's own Snowball text search or the project's BM25.

Same-language retrieval on the Debian Reference corpus (`eval/corpus-debref`: 60 sections in en, de, fr,
es, it, pt): each section's title is the query, its own section in the title's language the answer, the
title line removed from the documents so that only the body can match. Both rankings run in the same
PostgreSQL database over the same documents (one passage per section):

* `bm25`: the store's `lexical_top` (Snowball stems per language from PyStemmer, idf per language, BM25
  saturation and length normalisation: `index/lexical.py`), computed in SQL from postings;
* `snowball`: `ts_rank_cd(to_tsvector(config, text), query)` with PostgreSQL's configuration of the
  passage's language (english, german, french, spanish, italian, portuguese; `simple` elsewhere), the
  query's words OR-ed (`plainto_tsquery` ANDs them, and a title rarely has all its words in the body),
  a GIN expression index per language.

Prints MRR@10 and recall@10 per language and overall, and the p50 time of one query for each.
`python -m eval.lexical_pg [--url postgresql://...]`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from index.queryplan import plan_query
from index.records import Chunk, Document, IndexSettings
from index.stores.postgres import PostgresStore

from .bench_pg import database

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus-debref"
CONFIGS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
           "sv": "swedish", "no": "norwegian", "da": "danish", "nl": "dutch"}


def _load(store: PostgresStore) -> list[dict]:
    """Write the corpus (title lines removed) into the store; the title queries with their own section."""
    docs = sorted((CORPUS / "docs").glob("*.txt"))
    rng = np.random.default_rng(0)
    with store.writer(IndexSettings(embedder="hash:64")) as writer:
        for path in docs:
            lang = path.name.split(".")[1]
            body = path.read_text(encoding="utf-8").split("\n", 1)[-1].strip()
            doc = Document(doc_id=path.name, source=path.name, title=path.name, lang=lang, text=body,
                           content_hash=path.name)
            vector = rng.normal(size=(1, 64)).astype(np.float32)
            writer.put(doc, [Chunk(0, path.name, 0, 0, len(body), body, lang, len(body.split()))],
                       vector / np.linalg.norm(vector))
        writer.commit()
    queries = [json.loads(line) for line in (CORPUS / "queries-title.jsonl").read_text().splitlines() if line.strip()]
    return [{"query": q["query"], "lang": q["lang"], "answer": q["exclude"][0]} for q in queries]


def _snowball_indexes(store: PostgresStore) -> None:
    conn = store.db.connection()
    for lang, config in CONFIGS.items():
        conn.execute(f"CREATE INDEX IF NOT EXISTS kb_chunks_fts_{lang} ON kb_chunks"
                     f" USING gin (to_tsvector('{config}', text)) WHERE lang = '{lang}'")
    conn.execute("ANALYZE kb_chunks")


def _snowball(store: PostgresStore, query: str, lang: str, k: int) -> list[str]:
    config = CONFIGS.get(lang, "simple")
    rows = store.db.connection().execute(
        f"WITH q AS (SELECT replace(plainto_tsquery('{config}', %(q)s)::text, '&', '|')::tsquery AS q)"
        f" SELECT c.doc_id FROM kb_chunks c, q WHERE c.lang = %(lang)s AND c.removed_in IS NULL"
        f" AND to_tsvector('{config}', c.text) @@ q.q"
        f" ORDER BY ts_rank_cd(to_tsvector('{config}', c.text), q.q) DESC LIMIT %(k)s",
        {"q": query, "lang": lang, "k": k}).fetchall()
    return [r["doc_id"] for r in rows]


def _bm25(store: PostgresStore, snapshot, query: str, lang: str, k: int) -> list[str]:
    top = snapshot.lexical_top(plan_query(query, lang, snapshot.chunk_languages()), k)
    heads = {c.chunk_id: c.doc_id for c in snapshot.chunks_by_id(list(top)).values()}
    return [heads[c] for c, _ in sorted(top.items(), key=lambda item: -item[1])]


def measure(url: str | None = None, k: int = 10) -> dict:
    """MRR@k, recall@k and p50 ms of both rankings, overall and per language."""
    result: dict = {}
    with database(url) as db_url:
        store = PostgresStore(db_url)
        queries = _load(store)
        _snowball_indexes(store)
        snapshot = store.snapshot()
        rankers = {"bm25": lambda q, lang: _bm25(store, snapshot, q, lang, k),
                   "snowball": lambda q, lang: _snowball(store, q, lang, k)}
        for name, ranker in rankers.items():
            ranker(queries[0]["query"], queries[0]["lang"])  # warm up
            by_lang: dict[str, list[float]] = {}
            took = []
            for q in queries:
                started = time.perf_counter()
                found = ranker(q["query"], q["lang"])
                took.append((time.perf_counter() - started) * 1000)
                rank = found.index(q["answer"]) + 1 if q["answer"] in found else 0
                by_lang.setdefault(q["lang"], []).append(1 / rank if rank else 0.0)
            every = [x for xs in by_lang.values() for x in xs]
            result[name] = {
                "mrr": round(statistics.mean(every), 3),
                "recall": round(statistics.mean(x > 0 for x in every), 3),
                "p50_ms": round(statistics.median(took), 2),
                "mrr_by_lang": {lang: round(statistics.mean(xs), 3) for lang, xs in sorted(by_lang.items())},
            }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="PostgreSQL Snowball text search against the project's BM25.")
    parser.add_argument("--url", default=os.environ.get("KB_DATABASE_URL"), help="database (default: a private one)")
    args = parser.parse_args()
    for name, figures in measure(args.url).items():
        print(f"{name:9} MRR@10 {figures['mrr']:.3f}  recall@10 {figures['recall']:.3f}  p50 {figures['p50_ms']} ms"
              f"  per language {figures['mrr_by_lang']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
