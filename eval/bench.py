"""`make bench`: ingest throughput against the bare encoder, search latency, what glossing adds to a search
(`eval.glosses`), HTTP search latency against the bare query encoder (`eval.latency`), exact vs approximate
FAISS, and HTTP load on the served app against the bare query encoder (`eval.load`).

Every ratio is measured side by side in one run; absolute numbers vary with the machine's load.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index.stores import open_store
from index.config import Config
from index.embedders import get_embedder
from index.service import KnowledgeBase
from index.vectors.faiss import FaissIndex
from ingest.engines.local import BATCH_SIZE
from ingest.pipeline import ingest

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of a list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_ingest(corpus: Path) -> dict:
    """Time a fresh ingest and the bare encoder on exactly the chunks it produced."""
    embedder = get_embedder()
    embedder.embed_passages(["warm-up"])
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        # One run to warm the machine's cache (concept-label vectors, lexicons: once per catalogue and embedder),
        # then the timed one.
        cold_started = time.perf_counter()
        ingest([corpus], open_store(Config.from_env().replace(index_dir=Path(tmp) / "cold")), progress=False)
        cold = time.perf_counter() - cold_started
        index_dir = Path(tmp) / "warm"
        report = ingest([corpus], open_store(Config.from_env().replace(index_dir=index_dir)), progress=False)
        kb = KnowledgeBase(Config.from_env().replace(index_dir=index_dir))
        texts = [c for d in kb.documents() for c in _chunk_texts(kb, d["doc_id"])]
    started = time.perf_counter()
    for i in range(0, len(texts), BATCH_SIZE):
        embedder.embed_passages(texts[i : i + BATCH_SIZE])
    bare = time.perf_counter() - started
    return {
        "documents": report.total_documents,
        "chunks": report.total_chunks,
        "ingest_seconds": round(report.seconds, 2),
        "ingest_chunks_per_s": round(report.total_chunks / report.seconds, 1),
        "ingest_tokens_per_s": round(report.tokens_embedded / report.seconds, 0),
        "bare_encoder_seconds": round(bare, 2),
        "bare_chunks_per_s": round(len(texts) / bare, 1),
        "bare_tokens_per_s": round(report.tokens_embedded / bare, 0),
        "pipeline_overhead_ratio": round(report.seconds / bare, 3),
        "encoded_to_document_tokens": round(report.tokens_embedded / report.document_tokens, 3),
        "first_ingest_seconds_incl_concept_labels": round(cold, 2),
    }


def _chunk_texts(kb: KnowledgeBase, doc_id: str) -> list[str]:
    doc = kb.document(doc_id)
    return [doc["text"][c["start"] : c["end"]] for c in doc["chunks"]]


def bench_search(index_dir: Path, queries: list[str], rounds: int = 5) -> dict:
    """Latency of full searches (query embedding included) on an index, hybrid mode."""
    kb = KnowledgeBase(Config.from_env().replace(index_dir=index_dir))
    kb.search("warm-up")
    latencies = []
    for r in range(rounds):
        for q in queries:
            started = time.perf_counter()
            kb.search(f"{q} {r}" if r else q)
            latencies.append((time.perf_counter() - started) * 1000)
    return {"searches": len(latencies), "p50_ms": round(percentile(latencies, 0.5), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2)}


def bench_glosses(index_dir: Path) -> dict:
    """What glossing the ten results (for a reader of English) adds to a search: p50 ms, and its share of the search."""
    from eval.glosses import latency

    found = latency(KnowledgeBase(Config.from_env().replace(index_dir=index_dir)))
    return {"search_p50_ms": found["search_p50_ms"], "glossing_p50_ms": found["glossing_p50_ms"],
            "glossing_max_ms": found["glossing_max_ms"],
            "glossing_to_search_ratio": round(found["glossing_p50_ms"] / max(found["search_p50_ms"], 1e-9), 3)}


def synthetic_vectors(n: int, dim: int, clusters: int, seed: int = 0) -> np.ndarray:
    """Normalised vectors drawn around random topic centres, like embeddings of a real corpus."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    vectors = centres[labels] + 1.5 * rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _timed_search(index: FaissIndex, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    found, latencies = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return np.stack(found), latencies


def _size_mb(index: FaissIndex) -> float:
    with tempfile.NamedTemporaryFile(suffix=".faiss") as handle:
        index.save(Path(handle.name))
        return Path(handle.name).stat().st_size / 2**20


SWEEPS = {"IVF1024,Flat": ("nprobe", (32, 64, 128, 256)), "HNSW32,Flat": ("efSearch", (32, 64, 128))}


def bench_ann(n: int = 100_000, dim: int = 384, queries: int = 300) -> dict:
    """Exact against approximate FAISS indexes on a synthetic corpus: latency, size, recall@10 per setting."""
    data = synthetic_vectors(n + queries, dim, clusters=2000)
    base, probes = data[:n], data[n:]
    ids = np.arange(n, dtype=np.int64)
    exact = FaissIndex.build(ids, base, "Flat")
    truth, exact_latency = _timed_search(exact, probes, 10)
    exact_p50 = percentile(exact_latency, 0.5)
    result = {"vectors": n, "dim": dim, "queries": queries,
              "exact": {"p50_ms": round(exact_p50, 3), "p99_ms": round(percentile(exact_latency, 0.99), 3),
                        "index_mb": round(_size_mb(exact), 1)},
              "approximate": []}
    for factory, (knob, values) in SWEEPS.items():
        started = time.perf_counter()
        approx = FaissIndex.build(ids, base, factory)
        build_seconds = time.perf_counter() - started
        for value in values:
            approx.set_search_params(f"{knob}={value}")
            found, latency = _timed_search(approx, probes, 10)
            recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))
            p50 = percentile(latency, 0.5)
            result["approximate"].append({
                "factory": factory, knob: value, "recall@10": round(recall, 4), "p50_ms": round(p50, 3),
                "p99_ms": round(percentile(latency, 0.99), 3), "speedup_p50": round(exact_p50 / p50, 1),
                "index_mb": round(_size_mb(approx), 1), "build_seconds": round(build_seconds, 1),
            })
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON report."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT / "seeds")
    parser.add_argument("--ann-vectors", type=int, default=100_000)
    parser.add_argument("--skip-ann", action="store_true")
    parser.add_argument("--skip-latency", action="store_true", help="skip HTTP search p50 against the bare encoder")
    parser.add_argument("--skip-load", action="store_true", help="skip the HTTP load run (LOAD_SECONDS, default 60)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir() or not any(args.corpus.iterdir()):
        parser.error(f"--corpus {args.corpus}: no folder of documents there")
    queries = [json.loads(line)["query"] for line in (ROOT / "eval" / "dev-queries.jsonl").read_text().splitlines() if line]
    report = {"ingest": bench_ingest(args.corpus)}
    print(json.dumps({"ingest": report["ingest"]}, indent=2), flush=True)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        ingest([args.corpus], open_store(Config.from_env().replace(index_dir=Path(tmp))), progress=False)
        report["search"] = bench_search(Path(tmp), queries)
        print(json.dumps({"search": report["search"]}, indent=2), flush=True)
        report["glosses"] = bench_glosses(Path(tmp))
        print(json.dumps({"glosses": report["glosses"]}, indent=2), flush=True)
        if not args.skip_latency:
            from eval.latency import run as latency_run

            # One request at a time through the served app, alternating with the bare encoder.
            report["latency"] = latency_run(Path(tmp))
            print(json.dumps({"latency": report["latency"]}, indent=2), flush=True)
        if not args.skip_ann:
            report["ann"] = bench_ann(args.ann_vectors)
            print(json.dumps({"ann": report["ann"]}, indent=2), flush=True)
        if not args.skip_load:
            from eval.load import run as load_run

            # The served app under HTTP load, over the same index (gunicorn as `make run` starts it).
            report["load"] = load_run(Path(tmp))
            print(json.dumps({"load": report["load"]}, indent=2), flush=True)
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
