"""`python -m eval.bench_ray`: the Ray engine's embedding throughput against bare encoder processes.

Both sides get the same passages, the same embedder and the same cores, and are timed side by side in
one run, alternating, so that a busy machine slows both alike: Ray Data with its actor pool (one encoder
actor per CPU, started and loaded inside the timing, as every ingest does) against a multiprocessing pool
of the same number of encoder processes (spawned and loaded inside the timing too). Each worker on either
side runs one OpenMP thread, the setting Ray gives its one-CPU actors. Ray's own start (once per runner)
is reported apart. Passages: the seed articles' chunks, repeated.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

from index.embedders import DEFAULT_EMBEDDER, get_embedder
from ingest.chunking import ChunkingConfig
from ingest.engines.ray import BATCH_SIZE, RayEngine
from ingest.pipeline import prepare

ROOT = Path(__file__).resolve().parent.parent
THREADS = "1"


def seed_passages(n: int, embedder: str = DEFAULT_EMBEDDER, seeds: Path = ROOT / "seeds") -> list[str]:
    """The chunk texts of the seed articles, repeated in order to `n` passages."""
    count_tokens = get_embedder(embedder).count_tokens
    chunks = [c.text for path in sorted(seeds.glob("*.txt"))
              for c in prepare(path.read_bytes(), path.name, count_tokens, ChunkingConfig()).chunks]
    return [chunks[i % len(chunks)] for i in range(n)]


def _load(embedder: str) -> None:
    get_embedder(embedder)


def _encode(args: tuple[str, list[str]]):
    embedder, batch = args
    return get_embedder(embedder).embed_passages(batch)


def bare_seconds(passages: list[str], embedder: str, cpus: int) -> float:
    """Seconds for `cpus` fresh encoder processes to embed every passage, batch by batch from one queue."""
    batches = [(embedder, passages[i:i + BATCH_SIZE]) for i in range(0, len(passages), BATCH_SIZE)]
    # In the environment before the workers start: FAISS, imported with this module, loads OpenMP early.
    saved = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = THREADS
    try:
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(cpus, initializer=_load, initargs=(embedder,)) as pool:
            vectors = pool.map(_encode, batches, chunksize=1)
        seconds = time.perf_counter() - started
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS")
        else:
            os.environ["OMP_NUM_THREADS"] = saved
    assert sum(len(v) for v in vectors) == len(passages)
    return seconds


def measure(passages: list[str], embedder: str = DEFAULT_EMBEDDER, cpus: int = 2, repeats: int = 3,
            log=None) -> dict:
    """Ray's passages/s against bare encoder processes on `cpus` cores, medians of `repeats` alternating runs.

    `log(line)`, if given, hears each run as it ends."""
    engine = RayEngine(num_cpus=cpus)
    started = time.perf_counter()
    engine.start()
    start_s = time.perf_counter() - started
    ray_s, bare_s = [], []
    try:
        for _ in range(repeats):
            bare_s.append(bare_seconds(passages, embedder, cpus))
            started = time.perf_counter()
            vectors = engine.embed(passages, embedder)
            ray_s.append(time.perf_counter() - started)
            assert len(vectors) == len(passages)
            if log:
                log(f"  run {len(ray_s)}: bare {bare_s[-1]:.1f}s, ray {ray_s[-1]:.1f}s")
    finally:
        engine.close()
    ray_rate = len(passages) / statistics.median(ray_s)
    bare_rate = len(passages) / statistics.median(bare_s)
    return {
        "embedder": embedder, "passages": len(passages), "cpus": cpus, "repeats": repeats,
        "ray_start_s": round(start_s, 2), "ray_s": [round(s, 2) for s in ray_s], "bare_s": [round(s, 2) for s in bare_s],
        "ray_passages_per_s": round(ray_rate, 2), "bare_passages_per_s": round(bare_rate, 2),
        "ratio": round(ray_rate / bare_rate, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it; the last line is machine-readable."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench_ray", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=2000, help="passages per run (default %(default)s)")
    parser.add_argument("--cpus", type=int, default=2, help="cores for each side (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs per side (default %(default)s)")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="default %(default)s; hash:<dim> for plumbing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.passages < 1 or args.cpus < 1 or args.repeats < 1:
        parser.error("--passages, --cpus and --repeats must be at least 1")
    result = measure(seed_passages(args.passages, args.embedder), args.embedder, args.cpus, args.repeats,
                     log=None if args.json else lambda line: print(line, flush=True))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['passages']} seed passages, {args.embedder}, {args.cpus} CPUs, {args.repeats} alternating runs"
          f" (Ray started in {result['ray_start_s']:.1f}s)")
    print(f"  bare encoder processes: {result['bare_passages_per_s']:.1f} passages/s  runs {result['bare_s']} s")
    print(f"  Ray Data actor pool:    {result['ray_passages_per_s']:.1f} passages/s  runs {result['ray_s']} s")
    print(f"ray ratio={result['ratio']:.3f} ray_pps={result['ray_passages_per_s']} bare_pps={result['bare_passages_per_s']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
