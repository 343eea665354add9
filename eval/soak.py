"""`python -m eval.soak`: sustained writes through the served stack, then every document and passage read back.

Serves an index of the seeds as `make run` does (nginx -> gunicorn, the real job runner). THREADS clients upload
WRITES one-passage documents, each carrying a code word of its own, while a deleter removes a share of those
already indexed, a reader searches, and `python -m index merge` runs twice beside the job runner, once a third
and two thirds of the uploads are indexed (inline merges happen as small segments pile up). Once the queue has drained: every live document is searched by its code word in every mode,
every document is read, every deleted one must be gone, and `python -m index verify` reads back every passage
through the read paths search uses. Prints the figures; exits 1 on any miss, any answer >= 500 or a failed verify.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .stack import ROOT, request, serve, upload

TOKEN = "soak-admin-token"
MODES = ("hybrid", "dense", "lexical")
LETTERS = "bcdfghjklmnpqrstvwxz"
READERS = 4  # clients reading back at once (the stack has 2 workers x 4 threads)


def code_word(n: int, run: int) -> str:
    """A pronounceable nonsense word unique to document n (no language has it, so it names one document)."""
    rng = random.Random(run * 1_000_003 + n)
    return "".join(rng.choice(LETTERS) + rng.choice("aeiouy") for _ in range(5)) + f"{n:x}"


def note(n: int, code: str) -> bytes:
    """One short passage about customer loyalty, built around its code word."""
    return (f"Notat {n}\n\n{code} er kodeordet i dette notatet om kundelojalitet. Leverandøren bak {code} kjenner "
            f"kundene sine, og kunder som stoler på {code} kommer tilbake.\n").encode("utf-8")


@dataclass
class Figures:
    """What a soak run measured."""

    uploads: int = 0
    deletes: int = 0
    retried: int = 0  # 429/503 answers to writes (back-pressure), retried after Retry-After
    failed_jobs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # answers >= 500 (or refused connections), any phase
    # Searches by phase: while uploads are sent ("writes"), then while the runner indexes what is queued and the
    # deletes run ("drain"), where indexing, merges and garbage collection meet the readers.
    search_ms: dict[str, list[float]] = field(default_factory=lambda: {"writes": [], "drain": []})
    merges: list[str] = field(default_factory=list)
    found: dict[str, int] = field(default_factory=lambda: {m: 0 for m in MODES})
    missed: dict[str, list[str]] = field(default_factory=lambda: {m: [] for m in MODES})
    live: int = 0
    read: int = 0
    gone: int = 0
    deleted: int = 0
    verify: str = ""
    verify_ok: bool = False
    write_s: float = 0.0
    drain_s: float = 0.0

    def ok(self) -> bool:
        """Every document found in every mode, every read answered, nothing >= 500, verify passed."""
        return (not self.errors and not self.failed_jobs and self.verify_ok and self.read == self.live
                and self.gone == self.deleted and all(n == self.live for n in self.found.values()))

    def summary(self) -> str:
        """One line of every figure."""
        found = " ".join(f"found_{m}={self.found[m]}/{self.live}" for m in MODES)
        searches = " ".join(_percentiles(phase, ms) for phase, ms in self.search_ms.items())
        return (f"soak writes={self.uploads + self.deletes} uploads={self.uploads} deletes={self.deletes} "
                f"retried={self.retried} failed_jobs={len(self.failed_jobs)} responses_5xx={len(self.errors)} "
                f"merges={len(self.merges)} write_s={self.write_s:.0f} drain_s={self.drain_s:.0f} "
                f"{searches} {found} docs_read={self.read}/{self.live} deleted_gone={self.gone}/{self.deleted} "
                f"verify={'ok' if self.verify_ok else 'FAILED'}")


def _percentiles(phase: str, ms: list[float]) -> str:
    """How many searches a phase saw, and their p50, p95, p99 and worst latency in ms."""
    ranked = sorted(ms) or [0.0]
    at = [ranked[int(q * (len(ranked) - 1))] for q in (0.5, 0.95, 0.99)] + [ranked[-1]]
    return f"search_{phase}_n={len(ms)} search_{phase}_p50/p95/p99/max_ms={'/'.join(f'{v:.0f}' for v in at)}"


class Soak:
    """One run against a served stack whose index lives in `index_dir`."""

    def __init__(self, base: str, index_dir: Path, env: dict[str, str], run: int) -> None:
        self.base, self.index_dir, self.env, self.run = base, index_dir, env, run
        self.figures = Figures()
        self.lock = threading.Lock()
        self.uploaded: dict[int, str] = {}  # n -> upload job id
        self.deleting: dict[int, str] = {}  # n -> delete job id
        self.doc_of: dict[int, str] = {}
        self.done_writing = threading.Event()
        self.drained = threading.Event()  # every upload indexed and every delete done: the reader stops
        self.merge_at: list[int] = []  # documents indexed at which `python -m index merge` runs beside the runner
        self.merges: list[threading.Thread] = []

    def _call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict | None]:
        status, answer = request(method, self.base + path, body, {"Authorization": f"Bearer {TOKEN}"})
        if status == 0 or status >= 500:
            with self.lock:
                self.figures.errors.append(f"{method} {path[:60]}: {status} {answer}")
        return status, answer

    def _write(self, send) -> tuple[int, dict | None]:
        # Back-pressure (429, or 503 while writes cannot be accepted) is retried; anything else is the answer.
        for _ in range(600):
            status, answer = send()
            if status not in (429, 503):
                return status, answer
            with self.lock:
                self.figures.retried += 1
            time.sleep(1.0)
        return status, answer

    def _upload(self, n: int) -> None:
        code = code_word(n, self.run)
        status, answer = self._write(lambda: upload(self.base, TOKEN, f"soak-{self.run}-{n}.txt", note(n, code)))
        if status >= 500 or status == 0:
            with self.lock:
                self.figures.errors.append(f"upload {n}: {status} {answer}")
        elif status == 202 and answer:
            with self.lock:
                self.uploaded[n] = answer["job"]["id"]
                self.figures.uploads += 1
        else:
            with self.lock:
                self.figures.failed_jobs.append(f"upload {n} refused: {status} {answer}")

    def _job(self, job_id: str) -> dict | None:
        status, answer = self._call("GET", f"/api/jobs/{job_id}")
        return answer if status == 200 else None

    def _deleter(self, share: float, rng: random.Random) -> None:
        """Delete a share of the documents whose upload is done, as they become done."""
        checked: set[int] = set()
        while not (self.done_writing.is_set() and len(checked) >= len(self.uploaded)):
            with self.lock:
                todo = [n for n in self.uploaded if n not in checked]
            if not todo:
                time.sleep(0.2)
                continue
            for n in todo[:20]:
                job = self._job(self.uploaded[n])
                if job is None or job["state"] in ("queued", "running"):
                    continue
                checked.add(n)
                if job["state"] != "done":
                    self.figures.failed_jobs.append(f"upload {n}: {job['error']}")
                    continue
                self.doc_of[n] = job["doc_id"]
                if self.merge_at and len(self.doc_of) >= self.merge_at[0]:
                    self.merge_at.pop(0)
                    self.merges.append(threading.Thread(target=self._merge))
                    self.merges[-1].start()
                if rng.random() < share:
                    status, answer = self._write(lambda: self._call("DELETE", f"/api/documents/{job['doc_id']}"))
                    if status == 202:
                        self.deleting[n] = answer["job"]["id"]
                        self.figures.deletes += 1
                    else:
                        self.figures.failed_jobs.append(f"delete {n}: {status} {answer}")
            time.sleep(0.05)

    def _reader(self, upto: int, rng: random.Random) -> None:
        while not self.drained.is_set():
            phase = "drain" if self.done_writing.is_set() else "writes"
            code = code_word(rng.randrange(max(1, upto)), self.run)
            started = time.perf_counter()
            self._call("GET", f"/api/search?q={quote(code)}&k=10")
            self.figures.search_ms[phase].append(1000 * (time.perf_counter() - started))
            time.sleep(0.1)

    def _merge(self) -> None:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "index", "merge", "--index-dir", str(self.index_dir)],
                              cwd=ROOT, env={**os.environ, **self.env}, capture_output=True, text=True)
        last = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
        self.figures.merges.append(f"rc={done.returncode} {time.perf_counter() - started:.1f}s {last}")
        if done.returncode != 0:
            self.figures.errors.append(f"python -m index merge exited {done.returncode}: {done.stderr.strip()[-300:]}")

    def write(self, writes: int, threads: int, delete_share: float) -> None:
        """Upload `writes` documents from `threads` clients while deleting, searching and merging."""
        rng = random.Random(self.run)
        started = time.perf_counter()
        deleter = threading.Thread(target=self._deleter, args=(delete_share, random.Random(rng.random())))
        self.reader = threading.Thread(target=self._reader, args=(writes, random.Random(rng.random())))
        deleter.start()
        self.reader.start()
        self.merge_at = [writes // 3, 2 * writes // 3]  # while the runner works through the queue
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(self._upload, n) for n in range(writes)]:
                future.result()
        self.figures.write_s = time.perf_counter() - started
        self.done_writing.set()
        deleter.join()  # it has seen every upload end
        for merge in self.merges:
            merge.join()
        self.figures.drain_s = time.perf_counter() - started - self.figures.write_s

    def drain(self, timeout_s: float) -> None:
        """Wait for every delete job to end."""
        started = time.perf_counter()
        before = self.figures.drain_s
        for n, job_id in list(self.deleting.items()):
            while (job := self._job(job_id)) is None or job["state"] in ("queued", "running"):
                if time.perf_counter() - started > timeout_s:
                    self.figures.failed_jobs.append(f"delete {n}: still {job and job['state']} after {timeout_s:.0f} s")
                    break
                time.sleep(0.2)
            else:
                if job["state"] != "done":
                    self.figures.failed_jobs.append(f"delete {n}: {job['error']}")
        self.figures.drain_s = before + time.perf_counter() - started
        self.drained.set()
        self.reader.join()

    def read_back(self) -> None:
        """Search every live document by its code word in every mode; read it; check every deleted one is gone."""
        f = self.figures
        live = {n: d for n, d in self.doc_of.items() if n not in self.deleting}
        f.live, f.deleted = len(live), len(self.deleting)

        def check(n: int, doc_id: str) -> None:
            code = code_word(n, self.run)
            for mode in MODES:
                status, answer = self._call("GET", f"/api/search?q={quote(code)}&k=10&mode={mode}")
                with self.lock:
                    if status == 200 and doc_id in {r["doc_id"] for r in answer["results"]}:
                        f.found[mode] += 1
                    else:
                        f.missed[mode].append(f"{n}:{doc_id}:{status}")
            status, answer = self._call("GET", f"/api/documents/{doc_id}")
            with self.lock:
                f.read += status == 200 and bool(answer["chunks"]) and code in answer["text"]

        def gone(n: int) -> None:
            status = self._call("GET", f"/api/documents/{self.doc_of[n]}")[0]
            with self.lock:
                f.gone += status == 404

        with ThreadPoolExecutor(READERS) as pool:
            for future in [pool.submit(check, n, d) for n, d in sorted(live.items())] + \
                    [pool.submit(gone, n) for n in self.deleting]:
                future.result()
        done = subprocess.run([sys.executable, "-m", "index", "verify", "--index-dir", str(self.index_dir)],
                              cwd=ROOT, env={**os.environ, **self.env}, capture_output=True, text=True)
        f.verify = (done.stdout + done.stderr).rstrip()
        f.verify_ok = done.returncode == 0


def soak(base: str, index_dir: Path, env: dict[str, str], writes: int, threads: int = 8, delete_share: float = 0.25,
         run: int = 1, drain_timeout_s: float = 1800) -> Figures:
    """Write, drain, read back; the figures."""
    session = Soak(base, index_dir, env, run)
    session.write(writes, threads, delete_share)
    session.drain(drain_timeout_s)
    session.read_back()
    return session.figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=2000, help="documents uploaded (default 2000)")
    parser.add_argument("--threads", type=int, default=8, help="uploading clients (default 8)")
    parser.add_argument("--delete-share", type=float, default=0.25,
                        help="share of the indexed documents deleted while the uploads go on (default 0.25)")
    parser.add_argument("--embedder", default="e5-small", help="embedder of the index (default e5-small)")
    parser.add_argument("--run", type=int, default=1, help="seed of the code words (default 1)")
    args = parser.parse_args(argv)
    env = {"KB_ADMIN_TOKEN": TOKEN, "KB_EMBEDDER": args.embedder}
    with tempfile.TemporaryDirectory(prefix="kb-soak-") as tmp:
        index_dir = Path(tmp) / "index"
        print("soak: indexing the seeds", flush=True)
        subprocess.run([sys.executable, "-m", "ingest", str(ROOT / "seeds"), "--index-dir", str(index_dir), "-q"],
                       cwd=ROOT, env={**os.environ, **env}, check=True)
        with serve(index_dir, Path(tmp) / "run", env) as base:
            print(f"soak: {args.writes} uploads from {args.threads} clients, deleting {args.delete_share:.0%}", flush=True)
            figures = soak(base, index_dir, env, args.writes, args.threads, args.delete_share, args.run)
    for merge in figures.merges:
        print(f"merge: {merge}")
    for line in (figures.errors + figures.failed_jobs)[:20]:
        print(f"problem: {line}")
    for mode, missed in figures.missed.items():
        if missed:
            print(f"missed in {mode}: {len(missed)} (e.g. {', '.join(missed[:5])})")
    print(figures.verify)
    print(figures.summary())
    return 0 if figures.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
