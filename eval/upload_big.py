"""`python -m eval.upload_big`: a big text upload end to end through the stack `make run` starts.

Builds a seed index in a temporary folder, serves it with `python -m webapp.serve` (writes on), uploads
MB megabytes of a seed article repeated, times the 202, polls the job to its end and searches every
0.2 s meanwhile. Repeated text has few distinct passages, so this measures everything but the encoder:
checking, spooling, chunking, language tagging, storing, BM25, FAISS and publishing a large document.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "upload-big-token"


def _wait_ready(base: str, proc: subprocess.Popen) -> None:
    for _ in range(480):
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError("the server is not ready after 120 s")


def _upload(base: str, data: bytes) -> tuple[int, dict, float]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base}/api/documents", data=body, method="POST", headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.load(response), time.perf_counter() - started


def run(megabytes: float, embedder: str, work: Path) -> dict:
    """Serve a fresh seed index, upload, follow the job; returns the figures it printed."""
    index_dir = work / "index"
    env = {**os.environ, "KB_INDEX_DIR": str(index_dir), "KB_ADMIN_TOKEN": TOKEN, "KB_EMBEDDER": embedder,
           "KB_LOG_LEVEL": "WARNING"}
    python = sys.executable
    subprocess.run([python, "-m", "ingest", str(ROOT / "seeds"), "--index-dir", str(index_dir), "-q"],
                   cwd=ROOT, env=env, check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (work / "serve.log").open("w") as log:
        proc = subprocess.Popen([python, "-m", "webapp.serve", "--port", str(port), "--run-dir", str(work / "run")],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    latencies: list[tuple[float, int]] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/search?q=customer+intimacy&k=5", timeout=60) as response:
                response.read()
            latencies.append((time.perf_counter() - started, response.status))
            stop.wait(0.2)

    try:
        _wait_ready(base, proc)
        unit = (ROOT / "seeds" / "002_2866088025c4b51b.txt").read_bytes() + b"\n\n"
        data = (unit * int(megabytes * 1e6 // len(unit) + 1))[: int(megabytes * 1e6)]
        data = data[: data.rfind(b"\n")]
        searcher = threading.Thread(target=search)
        searcher.start()
        status, accepted, seconds = _upload(base, data)
        job_id = accepted["job"]["id"]
        print(f"upload of {len(data) / 1e6:.1f} MB answered {status} in {seconds:.2f} s (job {job_id})", flush=True)
        started = time.perf_counter() - seconds
        while True:
            with urllib.request.urlopen(f"{base}/api/jobs/{job_id}", timeout=30) as response:
                job = json.load(response)
            if job["state"] in ("done", "failed"):
                break
            time.sleep(1)
        took = time.perf_counter() - started
        stop.set()
        searcher.join()
        with urllib.request.urlopen(f"{base}/api/stats", timeout=30) as response:
            stats = json.load(response)
    finally:
        stop.set()
        proc.terminate()
        proc.wait(60)
    ms = sorted(1000 * s for s, _ in latencies)
    result = {"megabytes": round(len(data) / 1e6, 1), "accepted_status": status, "accepted_s": round(seconds, 2),
              "job_state": job["state"], "job_s": round(took, 1), "error": job["error"], "chunks": stats["chunks"],
              "searches": len(ms), "searches_ok": all(code == 200 for _, code in latencies),
              "search_p50_ms": round(ms[len(ms) // 2], 1) if ms else None, "search_max_ms": round(ms[-1], 1) if ms else None}
    print(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.upload_big", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0, help="size of the upload in MB (default 10)")
    parser.add_argument("--embedder", default="e5-small", help="embedder of the index (default e5-small)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-upload-big-") as tmp:
        result = run(args.mb, args.embedder, Path(tmp))
    return 0 if result["job_state"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
