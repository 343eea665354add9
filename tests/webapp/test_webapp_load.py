"""The real server under writes: searches never fail during uploads and deletions (run as jobs).

Also a short run of `eval.load` (the `make bench` load section) so its report keeps working.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest


from conftest import ADMIN_TOKEN, multipart, wait_for_job  # tests/webapp/conftest.py

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEARCHES = ["What are the three value disciplines?", "kundelojalitet", "customer lock-on", "kundupplevelse",
            "klantrelatie en herhaalde interacties", "Marktanteil und Loyalität"]


def document(n: int) -> bytes:
    """A distinct document per n (so no upload is ever a duplicate)."""
    return (f"Lojalitetsnotat nummer {n}\n\nKunder som stoler på leverandøren kommer tilbake. Notat {n} handler om "
            f"tillit, service og kundeopplevelse over tid, og om hvorfor lojalitet må fortjenes hver dag.\n"
            ).encode("utf-8")


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 120):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def upload(base: str, data: bytes, name: str, timeout: float = 120):
    body, content_type = multipart({}, {"file": (name, data)})
    return http("POST", f"{base}/api/documents", body, {**AUTH, "Content-Type": content_type}, timeout)


# Slow: searches run while real upload and delete jobs embed and publish.
def test_searches_never_fail_during_uploads_and_deletes(write_server):
    base, _ = write_server
    stop = threading.Event()
    answers: list[tuple[int, int]] = []  # (status, results)
    failures: list[str] = []

    def searcher(offset: int) -> None:
        i = offset
        while not stop.is_set():
            query = SEARCHES[i % len(SEARCHES)]
            i += 1
            try:
                status, body = http("GET", f"{base}/api/search?q={quote(query)}&k=5", timeout=60)
                answers.append((status, len(body.get("results", [])) if isinstance(body, dict) else 0))
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                failures.append(repr(exc))

    with ThreadPoolExecutor(4) as pool:
        for offset in range(4):
            pool.submit(searcher, offset)
        try:
            for n in range(3):
                status, added = upload(base, document(1000 + n), f"concurrent-{n}.txt")
                assert status == 202, added
                done = wait_for_job(base, added["job"]["id"])
                assert done["state"] == "done", done
                status, deleted = http("DELETE", f"{base}/api/documents/{done['doc_id']}", headers=AUTH)
                assert status == 202 and deleted["job"]["kind"] == "delete", deleted
                assert wait_for_job(base, deleted["job"]["id"])["state"] == "done"
        finally:
            stop.set()
    assert not failures, failures[:5]
    assert len(answers) >= 20, len(answers)
    bad = [a for a in answers if a[0] != 200 or a[1] == 0]
    assert not bad, bad[:5]


# wrk's own report of a run slower than a second: one-letter units come padded with a trailing space.
_SLOW_WRK = """Running 3s test @ http://127.0.0.1:48999/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.22s    24.05ms   1.24s   100.00%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%  980.10ms
     75%    1.24s 
     90%    1.24s 
     99%    1.24s 
  4 requests in 3.01s, 512.00B read
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:      1.33
Transfer/sec:     170.07B
INCOMPLETE 0
"""


def test_a_run_slower_than_a_second_is_read_in_milliseconds():
    from eval.load import parse_wrk

    assert parse_wrk(_SLOW_WRK) == {
        "requests": 4, "errors": 3, "requests_per_s": 1.3, "p50_ms": 980.1, "p99_ms": 1240.0,
    }


# Slow: starts its own stack and runs a timed load (wrk) against it and against the bare encoder.
def test_load_report(seed_index: Path):
    from eval.load import run

    report = run(seed_index, seconds=4, encoder_seconds=2, connections=2)
    assert report["errors"] == 0 and report["requests"] > 0
    assert report["requests_per_s"] > 0 and report["encoder_queries_per_s"] > 0
    assert 0 < report["p50_ms"] <= report["p99_ms"]
    assert report["ratio_to_encoder"] == pytest.approx(report["requests_per_s"] / report["encoder_queries_per_s"], rel=0.01)
