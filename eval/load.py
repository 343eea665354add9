"""`python -m eval.load`: HTTP search throughput of the served app against the bare query encoder.

Builds an index of the seeds, serves it on 127.0.0.1 exactly as `make run` does (nginx -> gunicorn, 2 workers), measures
the bare query encoder's ceiling on the same cores (one process per worker, the server idle), then runs
wrk for LOAD_SECONDS (default 60) against GET /api/search with a rotating set of queries in
several languages. Prints one JSON object: requests/s, p50/p99 latency, errors (non-200 or a body without
results), encoder queries/s, ratio. Needs Debian's wrk (`apt-get install wrk`).

Environment: LOAD_SECONDS (60), LOAD_ENCODER_SECONDS (10), LOAD_CONNECTIONS (4), LOAD_WORKERS (2), LOAD_K (10).
"""
from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import itertools
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Besides the project's dev queries (en, nb, sv, nl, de): a few more languages and phrasings.
EXTRA_QUERIES = [
    "Hva er kundelojalitet?",
    "hoe creëer je klantloyaliteit met lock-on?",
    "Vad betyder operationell excellens?",
    "Qu'est-ce que l'intimité client ?",
    "¿Cómo se construye la lealtad del cliente?",
    "customer lock-on",
    "kundestrategi versus markedsstrategi",
    "value disciplines: product leadership, operational excellence, customer intimacy",
]


def queries() -> list[str]:
    """The rotating query set: the dev queries plus EXTRA_QUERIES."""
    lines = (ROOT / "eval" / "dev-queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()] + EXTRA_QUERIES


def native_threads() -> str:
    """Encoder threads per process: what `webapp.create_app` gives each gunicorn worker."""
    return os.environ.get("OMP_NUM_THREADS", "").strip() or "1"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index_dir: Path, workers: int, log_path: Path, ready_s: float = 120) -> tuple[subprocess.Popen, str]:
    """nginx and gunicorn as `make run` starts them (`python -m webapp.serve`); returns the launcher and base URL."""
    port = _free_port()
    env = {**os.environ, "KB_INDEX_DIR": str(index_dir), "PORT": str(port), "KB_LOG_LEVEL": "WARNING"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "webapp.serve", "--port", str(port), "--workers", str(workers),
             "--run-dir", str(log_path.parent / "run")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return proc, base
        except OSError:
            if time.monotonic() > deadline:
                stop_server(proc)
                raise RuntimeError(f"the server is not ready after {ready_s:.0f} s") from None
            time.sleep(0.25)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the launcher, which stops nginx and gunicorn."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def warm_up(base: str, workers: int) -> None:
    """Load the embedding model in every worker (concurrent requests reach different workers)."""
    from concurrent.futures import ThreadPoolExecutor

    def hit(i: int) -> None:
        url = f"{base}/api/search?" + urlencode({"q": f"warm up {i}", "k": 1})
        urllib.request.urlopen(url, timeout=120).read()

    with ThreadPoolExecutor(workers * 2) as pool:
        list(pool.map(hit, range(workers * 4)))


def _encode_loop(args: tuple[float, int]) -> tuple[int, float]:
    """One process: the bare query encoder in a loop, one query per call as the server embeds them."""
    seconds, offset = args
    os.environ["OMP_NUM_THREADS"] = native_threads()  # as the server's workers run it (before the engine loads)
    from index.embedders import get_embedder

    embedder = get_embedder()
    rotation = itertools.islice(itertools.cycle(queries()), offset, None)
    embedder.embed_queries(["warm up"])
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        embedder.embed_queries([next(rotation)])
        done += 1
    return done, elapsed


def encoder_ceiling(seconds: float, processes: int) -> dict:
    """Queries/s of the bare encoder, one process per core, run side by side."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        runs = pool.map(_encode_loop, [(seconds, i * 11) for i in range(processes)])
    return {"processes": processes, "seconds": round(max(e for _, e in runs), 1),
            "queries": sum(n for n, _ in runs), "queries_per_s": round(sum(n / e for n, e in runs), 1)}


_LUA = """
local queries = {%s}
local threads = {}
local i = 0
function setup(thread) table.insert(threads, thread) end
function init(args) incomplete = 0; i = math.random(#queries) end
function request()
  i = i %% #queries + 1
  return wrk.format("GET", "/api/search?" .. queries[i])
end
function response(status, headers, body)
  -- a complete answer is a 200 whose JSON carries results
  if status ~= 200 or not body:find('"results":[{', 1, true) then incomplete = incomplete + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("incomplete") end
  io.write(string.format("INCOMPLETE %%d\\n", n))
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return round(float(number) * _UNITS[unit], 2)


def parse_wrk(out: str) -> dict:
    """wrk's --latency report and the script's INCOMPLETE line as numbers."""
    # wrk pads a one-letter unit ("1.24s ") with a trailing space, so a slow run's lines end in one
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    socket = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    incomplete = int(re.search(r"INCOMPLETE (\d+)", out).group(1))
    return {
        "requests": requests,
        "errors": max(non_2xx, incomplete) + socket,
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
    }


def run_wrk(base: str, seconds: float, connections: int, workdir: Path) -> dict:
    """wrk (Debian's, a C client that leaves the cores to the server) against GET /api/search."""
    if shutil.which("wrk") is None:
        raise RuntimeError("the load run needs wrk: apt-get install wrk")
    k = int(_env_number("LOAD_K", 10))
    encoded = ", ".join(json.dumps(urlencode({"q": q, "k": k})) for q in queries())
    script = workdir / "search.lua"
    script.write_text(_LUA % encoded)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
               "--latency", "-s", str(script), base]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return parse_wrk(out)


@contextlib.contextmanager
def serving(index_dir: Path | None, workers: int, work: Path) -> Iterator[str]:
    """`index_dir` (default: a fresh index of the seeds in `work`) served as `make run` serves it, warmed up."""
    if index_dir is None:
        from index.config import Config
        from index.stores import open_store
        from ingest.pipeline import ingest

        index_dir = work / "index"
        ingest([ROOT / "seeds"], open_store(Config.from_env().replace(index_dir=index_dir)), progress=False)
    proc, base = start_server(Path(index_dir), workers, work / "gunicorn.log")
    try:
        warm_up(base, workers)
        yield base
    finally:
        stop_server(proc)


def run(index_dir: Path | None = None, seconds: float | None = None, encoder_seconds: float | None = None,
        connections: int | None = None, workers: int | None = None) -> dict:
    """The whole load run; builds an index of the seeds unless `index_dir` is given."""
    seconds = seconds if seconds is not None else _env_number("LOAD_SECONDS", 60)
    encoder_seconds = encoder_seconds if encoder_seconds is not None else _env_number("LOAD_ENCODER_SECONDS", 10)
    connections = connections or int(_env_number("LOAD_CONNECTIONS", 4))
    workers = workers or int(_env_number("LOAD_WORKERS", 2))
    with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp, serving(index_dir, workers, Path(tmp)) as base:
        # Same cores, one after the other: the ceiling while the server idles, then the server under load.
        ceiling = encoder_ceiling(encoder_seconds, workers)
        load = run_wrk(base, seconds, connections, Path(tmp))
    return {
        "server": f"nginx -> gunicorn gthread --workers {workers} on 127.0.0.1 (as make run)",
        "cpus": os.cpu_count(),
        "tool": "wrk, 1 thread, closed loop",
        "connections": connections,
        "seconds": seconds,
        "queries_in_rotation": len(queries()),
        **load,
        "encoder_queries_per_s": ceiling["queries_per_s"],
        "encoder_processes": ceiling["processes"],
        "encoder_seconds": ceiling["seconds"],
        "encoder_threads_per_process": int(native_threads()),
        "ratio_to_encoder": round(load["requests_per_s"] / ceiling["queries_per_s"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=None, help="serve this index (default: build one of the seeds)")
    parser.add_argument("--seconds", type=float, default=None, help="load duration (default $LOAD_SECONDS or 60)")
    parser.add_argument("--encoder-seconds", type=float, default=None, help="encoder ceiling duration (default 10)")
    parser.add_argument("--connections", type=int, default=None, help="concurrent connections (default $LOAD_CONNECTIONS or 4)")
    args = parser.parse_args(argv)
    report = run(args.index_dir, args.seconds, args.encoder_seconds, args.connections)
    print(json.dumps({"load": report}, indent=2), flush=True)
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
