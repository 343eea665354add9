"""`python -m eval.hostile`: do ordinary searches keep answering while clients send the costliest queries?

Serves an index on 127.0.0.1 as `make run` does (or uses --base-url, a loopback server already running), then
for each N in --clients runs N hostile clients for --seconds, each sending 1,000-character emoji, CJK or
combining-mark queries back to back (they ignore Retry-After; a refusal is followed by a 50 ms pause), beside one ordinary client sending the eval
set's short questions one after another. Every client has its own loopback source address (127.0.0.2 ...
for the hostile ones, 127.0.0.250 for the ordinary one), so nginx's per-client limits see N + 1 clients, as
they would see clients on other machines; 127.0.0.1, which the limits exempt, is used only to warm up.

Prints one line per N: the ordinary client's p50, p95 and max latency and its statuses, the hostile
clients' statuses (429 and 503 apart from any other 5xx). Exits 1 if any answer was a 5xx other than 503.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from eval.load import queries, start_server, stop_server, warm_up

ORDINARY_ADDRESS = "127.0.0.250"
MAX_SECONDS = 120
MAX_CLIENTS = 64
QUERY_CHARS = 1000
REFUSED_PAUSE_S = 0.05


def hostile_query(rng: random.Random) -> str:
    """1,000 characters that cost the encoder about a token each: emoji, CJK ideographs or stacked marks."""
    kind = rng.randrange(3)
    if kind == 0:
        return "".join(chr(rng.randint(0x1F600, 0x1F64F)) for _ in range(QUERY_CHARS))
    if kind == 1:
        return "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(QUERY_CHARS))
    return "".join("a" + chr(rng.randint(0x0300, 0x036F)) for _ in range(QUERY_CHARS // 2))


def get(host: str, port: int, source: str, path: str) -> tuple[int, float]:
    """(status, seconds) of one GET from a loopback source address; status 0 when the connection failed."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=60, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, time.perf_counter() - started
    finally:
        conn.close()


def status_class(status: int) -> str:
    """429 and 503 (deliberate refusals) apart from other 5xx; 0 is a failed connection."""
    if status in (200, 429, 503):
        return str(status)
    return "5xx" if status >= 500 else ("failed" if status == 0 else str(status))


def run_round(host: str, port: int, hostile: int, seconds: float) -> dict:
    """N hostile clients and one ordinary client for `seconds`; latencies and statuses."""
    stop = threading.Event()
    hostile_statuses: Counter = Counter()
    ordinary_statuses: Counter = Counter()
    ordinary_latencies: list[float] = []
    lock = threading.Lock()

    def attacker(i: int) -> None:
        rng = random.Random(i)
        while not stop.is_set():
            path = "/api/search?" + urlencode({"q": hostile_query(rng)})
            status, _ = get(host, port, f"127.0.0.{2 + i}", path)
            with lock:
                hostile_statuses[status_class(status)] += 1
            if status != 200:
                # Retry-After is ignored, but refusals are not retried in a busy loop: this script's own
                # CPU shares the server's cores, which a client on another machine would not.
                time.sleep(REFUSED_PAUSE_S)

    def ordinary() -> None:
        questions = queries()
        n = 0
        while not stop.is_set():
            path = "/api/search?" + urlencode({"q": questions[n % len(questions)], "k": 10})
            n += 1
            status, elapsed = get(host, port, ORDINARY_ADDRESS, path)
            with lock:
                ordinary_statuses[status_class(status)] += 1
                if status == 200:
                    ordinary_latencies.append(elapsed)
            time.sleep(0.1)  # a person reads before asking again

    threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(hostile)]
    threads.append(threading.Thread(target=ordinary, daemon=True))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    latencies = sorted(ordinary_latencies)
    return {
        "hostile_clients": hostile, "seconds": seconds,
        "ordinary": {
            "answered": len(latencies),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(latencies[math.ceil(0.95 * len(latencies)) - 1], 3) if latencies else None,
            "max_s": round(latencies[-1], 3) if latencies else None,
            "statuses": dict(sorted(ordinary_statuses.items())),
        },
        "hostile": {"statuses": dict(sorted(hostile_statuses.items()))},
    }


def summary(report: dict) -> str:
    """One line per round."""
    o, h = report["ordinary"], report["hostile"]
    return (f"hostile={report['hostile_clients']} seconds={report['seconds']:g} ordinary: answered={o['answered']} "
            f"p50={o['p50_s']}s p95={o['p95_s']}s max={o['max_s']}s statuses={json.dumps(o['statuses'])} "
            f"hostile statuses={json.dumps(h['statuses'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", default="data/index", help="index to serve (default %(default)s)")
    parser.add_argument("--base-url", help="a running server on 127.0.0.1 instead (http://127.0.0.1:PORT)")
    parser.add_argument("--clients", default="4,16", help="hostile client counts, one round each (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=45, help=f"per round, at most {MAX_SECONDS} (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers when serving (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        rounds = [int(n) for n in args.clients.split(",")]
    except ValueError:
        parser.error("--clients must be whole numbers separated by commas")
    if not all(0 <= n <= MAX_CLIENTS for n in rounds) or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--clients between 0 (a baseline) and {MAX_CLIENTS}, --seconds between 1 and {MAX_SECONDS}")
    if args.base_url and urlsplit(args.base_url).hostname != "127.0.0.1":
        parser.error("--base-url must be a server on 127.0.0.1 (the clients use loopback source addresses)")
    if not args.base_url and not Path(args.index_dir).is_dir():
        print(f"error: no index in {args.index_dir} (python -m ingest seeds --index-dir DIR)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="kb-hostile-") as tmp:
        proc, base = (None, args.base_url) if args.base_url else start_server(
            Path(args.index_dir).resolve(), args.workers, Path(tmp) / "server.log")
        try:
            warm_up(base, args.workers)
            parts = urlsplit(base)
            reports = []
            for hostile in rounds:
                reports.append(run_round(parts.hostname, parts.port, hostile, args.seconds))
                print(summary(reports[-1]), flush=True)
        finally:
            if proc is not None:
                stop_server(proc)
    faults = sum(r[side]["statuses"].get("5xx", 0) for r in reports for side in ("ordinary", "hostile"))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
