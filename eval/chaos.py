"""`python -m eval.chaos [--index-dir DIR]`: what readers see while the job runner crash-loops and while PostgreSQL
goes away.

Serves an index (default: a fresh one of the seeds) as `make run` does (nginx -> gunicorn, the job runner beside
them) while CHAOS_CLIENTS (2) threads search in a loop, and
1. kills the job runner with SIGKILL 6 times within 60 s (each as soon as the launcher has restarted it and 8 s
   have passed since the last kill), then reads on for 10 s;
2. serves the same index from a private pgserver database and makes the database refuse connections for
   CHAOS_OUTAGE_S (10) seconds, terminating every session as a restart does, then lets them in again.
Prints one JSON summary line, per phase: searches, answers other than 200 (by status, or the connection error), the
slowest answer, whether the launcher and the runner survived, and how long reads took to come back.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from eval.load import _env_number, start_server, stop_server, warm_up

ROOT = Path(__file__).resolve().parents[1]
SEARCH = "/api/search?q=" + quote("customer loyalty") + "&k=5"
KILLS, KILL_EVERY_S, AFTER_S = 6, 8.0, 10.0


class Readers:
    """Client threads searching in a loop: answers by status and the slowest, from `mark()` on."""

    def __init__(self, url: str, clients: int) -> None:
        self.url, self.done, self.lock = url, threading.Event(), threading.Lock()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(clients)]
        self.mark()

    def mark(self) -> None:
        with self.lock:
            self.seen, self.slowest, self.last_ok = collections.Counter(), 0.0, 0.0

    def _loop(self) -> None:
        while not self.done.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=120) as response:
                    response.read()
                    status: int | str = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError as exc:
                status = type(exc).__name__
            took = time.perf_counter() - started
            with self.lock:
                self.seen[status] += 1
                self.slowest = max(self.slowest, took)
                if status == 200:
                    self.last_ok = time.monotonic()
            time.sleep(0.02)

    def summary(self) -> dict:
        with self.lock:
            failed = {str(k): v for k, v in self.seen.items() if k != 200}
            return {"searches": sum(self.seen.values()), "non_200": sum(failed.values()), "non_200_by_status": failed,
                    "max_latency_s": round(self.slowest, 3)}

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=130)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split() if stat else ()
        if fields and fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def runner_pid(launcher: int) -> int | None:
    """The launcher's job runner, if one runs now."""
    for pid in _children(launcher):
        with contextlib.suppress(OSError):
            if b"ingest.jobs" in (Path("/proc") / str(pid) / "cmdline").read_bytes():
                return pid
    return None


@contextlib.contextmanager
def served(index_dir: Path, work: Path, **env: str) -> Iterator[tuple[object, str]]:
    """The stack over `index_dir`, with `env` added to this process's environment while it starts."""
    work.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        proc, base = start_server(index_dir, 2, work / "server.log", ready_s=600)  # a busy machine starts slowly
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        warm_up(base, 2)
        yield proc, base
    finally:
        stop_server(proc)


def runner_kills(index_dir: Path, work: Path, clients: int) -> dict:
    """Phase 1: six SIGKILLs of the job runner within a minute."""
    with served(index_dir, work / "kills") as (proc, base), Readers(base + SEARCH, clients) as readers:
        killed, started, last = [], time.monotonic(), -KILL_EVERY_S
        while len(killed) < KILLS and time.monotonic() - started < 120:
            pid = runner_pid(proc.pid)
            if pid is None or pid in killed or time.monotonic() - last < KILL_EVERY_S:
                time.sleep(0.05)
                continue
            os.killpg(pid, signal.SIGKILL)
            killed.append(pid)
            last = time.monotonic()
        spread = last - started
        time.sleep(AFTER_S)
        deadline = time.monotonic() + 60
        while runner_pid(proc.pid) in (None, *killed) and time.monotonic() < deadline:
            time.sleep(0.1)
        back = runner_pid(proc.pid) not in (None, *killed)
        return {"kills": len(killed), "kills_within_s": round(spread, 1),
                **readers.summary(), "launcher_up": proc.poll() is None, "runner_back": back}


def postgres_outage(index_dir: Path, work: Path, clients: int, outage_s: float) -> dict:
    """Phase 2: the index in PostgreSQL, which refuses every connection for `outage_s`, then comes back."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    from eval.bench_pg import database
    from tests.conftest import allow_connections, pour_into_postgres

    with database() as admin:  # a private server's "postgres" database: the outage needs a database of its own
        name = "kb_chaos"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = admin.replace(f"/{conninfo_to_dict(admin)['dbname']}?", f"/{name}?", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")
        pour_into_postgres(index_dir, url)

        def allow(ok: bool) -> None:

            allow_connections(admin, name, ok)

        shared = work / "shared"
        with served(shared, work / "pg", KB_DATABASE_URL=url) as (proc, base), \
                Readers(base + SEARCH, clients) as readers:
            runner = runner_pid(proc.pid)
            readers.mark()
            allow(False)
            time.sleep(outage_s)
            allow(True)
            back = time.monotonic()
            while readers.last_ok < back and time.monotonic() - back < 60:
                time.sleep(0.02)
            recovered = readers.last_ok - back if readers.last_ok >= back else None
            time.sleep(AFTER_S)
            return {"outage_s": outage_s, **readers.summary(),
                    "reads_back_after_s": round(recovered, 2) if recovered is not None else None,
                    "launcher_up": proc.poll() is None, "runner_survived": runner_pid(proc.pid) == runner}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="index to serve (copied; default: a fresh index of the seeds)")
    parser.add_argument("--skip-postgres", action="store_true", help="only the runner kills")
    args = parser.parse_args(argv)
    clients, outage_s = int(_env_number("CHAOS_CLIENTS", 2)), _env_number("CHAOS_OUTAGE_S", 10)
    with tempfile.TemporaryDirectory(prefix="kb-chaos-") as tmp:
        work, index_dir = Path(tmp), Path(tmp) / "index"
        if args.index_dir:
            shutil.copytree(args.index_dir, index_dir, ignore=shutil.ignore_patterns("jobs"))
        else:
            from index.config import Config
            from index.stores import open_store
            from ingest.pipeline import ingest

            ingest([ROOT / "seeds"], open_store(Config.from_env().replace(index_dir=index_dir)), progress=False)
        os.environ.setdefault("KB_CACHE_DIR", str(work / "cache"))  # both phases share the concept-label vectors
        summary = {"runner_kills": runner_kills(index_dir, work, clients)}
        if not args.skip_postgres:
            summary["postgres_outage"] = postgres_outage(index_dir, work, clients, outage_s)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
