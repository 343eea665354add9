"""`python -m eval.latency`: one search at a time through HTTP against the bare query encoder, same run.

Starts the served app as `eval.load` does (gunicorn as `make run` starts it), then, in one client
process whose encoder runs with the threads a worker gets, alternates for every query: the bare
encoder on the query, then GET /api/search for it. Alternating puts both under the same machine load;
the ratio of the medians is what the server adds to the one irreducible cost. Two query sets, each
reported on its own: short queries (`eval/short-queries.jsonl`, one to three words) and full questions
(`eval/dev-queries.jsonl` and `eval/translated-queries.jsonl`), whose encode costs more and whose
highlighting and look-ups read more words.

Environment: LATENCY_ROUNDS (3 passes over each query set), LOAD_WORKERS (2), LOAD_K (10).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from eval.load import ROOT, _env_number, native_threads, serving

PAUSE_S = 0.05
QUERY_SETS = {"short": ("short-queries.jsonl",), "questions": ("dev-queries.jsonl", "translated-queries.jsonl")}


def query_set(name: str) -> list[str]:
    """The queries of one of QUERY_SETS."""
    lines = [line for file in QUERY_SETS[name] for line in (ROOT / "eval" / file).read_text(encoding="utf-8").splitlines()]
    return [json.loads(line)["query"] for line in lines if line.strip()]


def _alternate(args: tuple[str, int, int, list[str]]) -> tuple[list[float], list[float]]:
    """In a fresh process: (encoder ms, HTTP ms) per query, alternating."""
    base, rounds, k, queries = args
    os.environ["OMP_NUM_THREADS"] = native_threads()  # as the server's workers run it (before the engine loads)
    from index.embedders import get_embedder

    embedder = get_embedder()
    embedder.embed_queries(["warm up"])
    encode, http = [], []
    for r in range(rounds):
        for q in queries:
            text = f"{q} {r}" if r else q  # a new text each round: nothing is answered from a cache
            # Each timed call starts from idle, as a served request does: a process that has just
            # been computing is scheduled behind one that slept, which would flatter the server.
            time.sleep(PAUSE_S)
            started = time.perf_counter()
            embedder.embed_queries([text])
            encode.append((time.perf_counter() - started) * 1000)
            url = f"{base}/api/search?" + urlencode({"q": text, "k": k})
            time.sleep(PAUSE_S)
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as response:
                body = json.loads(response.read())
            http.append((time.perf_counter() - started) * 1000)
            if "results" not in body:
                raise RuntimeError(f"no answer for {text!r}: {body}")
    return encode, http


def _summary(encode: list[float], http: list[float]) -> dict:
    encode_p50, http_p50 = statistics.median(encode), statistics.median(http)
    return {
        "requests": len(http),
        "http_search_p50_ms": round(http_p50, 2),
        "http_search_p90_ms": round(statistics.quantiles(http, n=10)[-1], 2),
        "bare_query_encode_p50_ms": round(encode_p50, 2),
        "ratio_http_to_encoder_p50": round(http_p50 / encode_p50, 3),
    }


def run(index_dir: Path | None = None, rounds: int | None = None, workers: int | None = None) -> dict:
    """Median HTTP search and bare encode times per query set, one request at a time; builds a seed index unless given."""
    rounds = rounds or int(_env_number("LATENCY_ROUNDS", 3))
    workers = workers or int(_env_number("LOAD_WORKERS", 2))
    k = int(_env_number("LOAD_K", 10))
    report = {"server": f"nginx -> gunicorn gthread --workers {workers} (as make run), one request at a time",
              "k": k, "encoder_threads": int(native_threads())}
    with tempfile.TemporaryDirectory(prefix="kb-latency-") as tmp, serving(index_dir, workers, Path(tmp)) as base:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            for name in QUERY_SETS:
                report[name] = _summary(*pool.apply(_alternate, ((base, rounds, k, query_set(name)),)))
    return report


def main(argv: list[str] | None = None) -> int:
    """Run and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m eval.latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=None, help="serve this index (default: build one of the seeds)")
    parser.add_argument("--rounds", type=int, default=None, help="passes over each query set (default $LATENCY_ROUNDS or 3)")
    args = parser.parse_args(argv)
    print(json.dumps({"latency": run(args.index_dir, args.rounds)}, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
