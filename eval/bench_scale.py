"""`make bench-scale`: what one small write and one search cost as the embedded index grows.

Synthetic corpora (SCALE_SIZES chunks, default 10000,100000,1000000) are written through the store's
writer with the deterministic `hash:384` embedder (index/embedders/hashing.py: real vectors of real
text, no model) from a Zipf vocabulary of pseudo-words in three languages, without suggested concepts
(KB_SUGGEST=0's path: pseudo-words have none worth reading). At each size, in one run: the time to add,
replace and delete one small two-chunk document (publish included; these writes suggest concepts as every
write does by default, after three warm-up writes, so that the word lists and the reference sample's counts
are held as a long-lived job runner holds them), search p50 through `KnowledgeBase.search` (query encoding
included), `verify` (every passage read back) and peak memory; then `eval.bench_ray` (Ray Data against
bare encoder processes, SCALE_RAY_PASSAGES seed passages, 0 skips it) and `eval.bench_pg` where installed.
SCALE_FACTORY / SCALE_SEARCH pick the FAISS factory (default IVF1024,Flat) and its search parameters (nprobe=32). Last line: `scale add_s@N=.. ... search_p50_ms@N=..`.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.config import Config
from index.embedders import get_embedder
from index.service import KnowledgeBase
from index.records import Chunk, Document, text_hash
from index.stores import IndexSettings, open_store

EMBEDDER = "hash:384"
CHUNKS_PER_DOC = 10
WORDS_PER_CHUNK = 40
LANGS = ("sv", "no", "nl")
SEARCHES = 50


def _vocabulary(n: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abdefghiklmnoprstuvy"))
    return np.array(["".join(rng.choice(letters, rng.integers(3, 10))) for _ in range(n)])


def _document(i: int, vocab: np.ndarray, rng: np.random.Generator, chunks: int = CHUNKS_PER_DOC) -> tuple[Document, list[Chunk]]:
    lang = LANGS[i % len(LANGS)]
    ranks = np.minimum(rng.zipf(1.3, size=chunks * WORDS_PER_CHUNK), len(vocab)) - 1
    sentences = [" ".join(vocab[ranks[c * WORDS_PER_CHUNK:(c + 1) * WORDS_PER_CHUNK]]).capitalize() + "."
                 for c in range(chunks)]
    text, parts, start = "", [], 0
    for ord_, sentence in enumerate(sentences):
        parts.append(Chunk(0, f"d{i}", ord_, start, start + len(sentence), sentence, lang, WORDS_PER_CHUNK))
        text += sentence + " "
        start += len(sentence) + 1
    doc = Document(f"d{i}", f"synthetic/{i}.txt", f"Document {i}", lang, text.strip(), text_hash(text))
    return doc, parts


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, workdir: Path, settings: IndexSettings) -> dict:
    """Build a corpus of `size` chunks, then time one add, replace and delete and searches."""
    rng = np.random.default_rng(size)
    vocab = _vocabulary(20_000, rng)
    embedder = get_embedder(EMBEDDER)
    store = open_store(Config.from_env().replace(index_dir=workdir / f"index-{size}"))
    started = time.perf_counter()
    # The synthetic base is written without suggested concepts (pseudo-words have none worth reading);
    # the timed writes below suggest concepts for what they put, as every write does by default.
    with store.writer(dataclasses.replace(settings, suggest=False), rebuild=True) as writer:
        for i in tqdm(range(size // CHUNKS_PER_DOC), desc=f"building {size} chunks", unit="doc", file=sys.stderr,
                      mininterval=10):
            doc, chunks = _document(i, vocab, rng)
            writer.put(doc, chunks, embedder.embed_passages([c.text for c in chunks]))
        writer.commit()
    build_s = time.perf_counter() - started

    def write(change) -> float:
        began = time.perf_counter()
        with store.writer(settings) as w:
            change(w)
            w.commit()
        return time.perf_counter() - began

    for i in range(1, len(LANGS) + 1):  # a long-lived runner holds each language's word lists and the reference counts
        warm, warm_chunks = _document(10**9 + i, vocab, rng, chunks=2)
        write(lambda w: w.put(warm, warm_chunks, embedder.embed_passages([c.text for c in warm_chunks])))
        write(lambda w: w.delete(warm.doc_id))
    small, small_chunks = _document(10**9, vocab, rng, chunks=2)
    vectors = embedder.embed_passages([c.text for c in small_chunks])
    add_s = write(lambda w: w.put(small, small_chunks, vectors))
    changed, changed_chunks = _document(10**9, vocab, rng, chunks=2)
    replace_s = write(lambda w: w.put(changed, changed_chunks, embedder.embed_passages([c.text for c in changed_chunks])))
    delete_s = write(lambda w: w.delete(small.doc_id))
    began = time.perf_counter()
    problems = store.verify()  # checksums, segment invariants, every passage read back through search's read paths
    verify_s = time.perf_counter() - began

    kb = KnowledgeBase(Config.from_env().replace(index_dir=workdir / f"index-{size}"))
    queries = [" ".join(vocab[rng.integers(0, 2000, size=2)]) for _ in range(SEARCHES)]
    kb.search(queries[0])
    times = []
    for q in queries:
        began = time.perf_counter()
        kb.search(q, k=10)
        times.append((time.perf_counter() - began) * 1000)
    return {"size": size, "build_s": round(build_s, 1), "add_s": round(add_s, 3), "replace_s": round(replace_s, 3),
            "delete_s": round(delete_s, 3), "search_p50_ms": round(statistics.median(times), 2),
            "verify_s": round(verify_s, 1), "read_back": "ok" if not problems else f"{len(problems)} problems",
            "peak_rss_mb": round(_peak_mb())}


def _ray() -> dict | None:
    """Ray Data against bare encoder processes on the same cores and seed passages (SCALE_RAY_PASSAGES, 0: skip)."""
    n = int(os.environ.get("SCALE_RAY_PASSAGES") or 2000)
    if n <= 0:
        return None
    from eval import bench_ray

    return bench_ray.measure(bench_ray.seed_passages(n))


def _pg() -> dict | None:
    # The PostgreSQL store's figures come from its own benchmark where that is installed.
    try:
        from eval import bench_pg
    except ImportError:
        return None
    return bench_pg.measure()


def main() -> int:
    sizes = [int(s) for s in (os.environ.get("SCALE_SIZES") or "10000,100000,1000000").split(",") if s.strip()]
    settings = IndexSettings(embedder=EMBEDDER, default_factory=os.environ.get("SCALE_FACTORY") or "IVF1024,Flat",
                             search_params=os.environ.get("SCALE_SEARCH") or "nprobe=32", keep=2)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in sizes:
            row = measure(size, Path(tmp), settings)
            rows.append(row)
            print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    for name, part in (("ray", _ray), ("pg", _pg)):
        found = part()
        if found is not None:
            print(name, " ".join(f"{k}={v}" for k, v in found.items()), flush=True)
    print("scale " + " ".join(f"add_s@{r['size']}={r['add_s']}" for r in rows) + " "
          + " ".join(f"search_p50_ms@{r['size']}={r['search_p50_ms']}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
