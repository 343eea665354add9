"""The served stack for measurements: `python -m webapp.serve` (nginx -> gunicorn, job runner) over an index,
and a small HTTP client. Loopback only; the stack dies with the process that started it."""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:
    # The launcher gets SIGTERM (and stops its children) if the measuring process dies, however it dies.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(index_dir: Path, run_dir: Path, env: dict[str, str], workers: int = 2,
          ready_s: float = 180) -> Iterator[str]:
    """The stack over `index_dir` with `env` added; yields its base URL, stops it on exit."""
    port = free_port()
    run_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "KB_INDEX_DIR": str(index_dir), "KB_LOG_LEVEL": "WARNING", **env}
    with (run_dir / "serve.log").open("a") as log:
        proc = subprocess.Popen([sys.executable, "-m", "webapp.serve", "--port", str(port), "--workers", str(workers),
                                 "--run-dir", str(run_dir)], cwd=ROOT, env=full_env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_s
        while request("GET", f"{base}/healthz", timeout=2)[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {run_dir / 'serve.log'}")
            time.sleep(0.25)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, dict | None]:
    """(status, JSON body or None); a refused connection is status 0."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except (OSError, ValueError):
        return 0, None


def upload(base: str, token: str, name: str, data: bytes) -> tuple[int, dict | None]:
    """POST /api/documents with one file."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return request("POST", f"{base}/api/documents", body, {
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=120)
