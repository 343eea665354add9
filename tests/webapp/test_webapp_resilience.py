"""The stack as `make run` serves it (nginx -> gunicorn -> app, and the real job runner), under failure: a
crash-looping runner, a PostgreSQL outage, a full disk, and a test process killed outright. Reads go on
throughout, /healthz says what is wrong, writes wait in the queue or are refused with a reason, and
everything recovers by itself.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.configs import config_for
from tests.conftest import allow_connections, copy_index, fill, frozen, pour_into_postgres
from webapp import create_app
from webapp.kb import OUTAGE_RECHECK_S
from webapp.serve import backoff

from conftest import (ADMIN_TOKEN, ROOT, http_json, multipart, runner_alive, service_pid, wait_for_runner,  # tests/webapp/conftest.py
                      serving, wait_for_job, worker_pids)

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The runner's restart backoff capped at 2 s, so that six quick deaths take seconds, not minutes.
WRITABLE = {"KB_ADMIN_TOKEN": ADMIN_TOKEN, "KB_RUNNER_BACKOFF_MAX_S": "2"}
SEARCH = "/api/search?q=" + quote("kundelojalitet") + "&k=3"


def note(marker: str) -> bytes:
    return (f"Notat om motstandskraft\n\nKunder som stoler på leverandøren kommer tilbake, også når systemene "
            f"svikter. Dette notatet handler om tillit og kundeopplevelse over tid (merke {marker}).\n").encode()


def upload(base: str, data: bytes, name: str) -> tuple[int, dict, dict]:
    body, content_type = multipart({}, {"file": (name, data)})
    return http_json("POST", f"{base}/api/documents", body, {**AUTH, "Content-Type": content_type})


def assert_searchable(base: str, marker: str, doc_id: str) -> None:
    status, body, _ = http_json("GET", f"{base}/api/search?q=" + quote(f"{marker} tillit") + "&k=3")
    assert status == 200 and body["results"] and body["results"][0]["doc_id"] == doc_id, body


class Reader(threading.Thread):
    """Searches through the front in a loop, counting the answers by status (a refused connection by its name)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.done = url, collections.Counter(), threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                status = http_json("GET", self.url, timeout=60)[0]
            except OSError as exc:
                status = type(exc).__name__
            self.seen[status] += 1
            time.sleep(0.05)


@contextlib.contextmanager
def reading(url: str) -> Iterator[Reader]:
    reader = Reader(url)
    reader.start()
    try:
        yield reader
    finally:
        reader.done.set()
        reader.join(timeout=90)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie has exited: its files, locks included, are closed)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def health(base: str) -> tuple[int, dict]:
    status, body, _ = http_json("GET", f"{base}/healthz", timeout=30)
    return status, body


def test_runner_restarts_back_off_doubling_to_the_cap_and_start_over_after_a_long_run():
    waits, delay = [], 0.0
    for _ in range(7):
        delay = backoff(delay, lasted_s=0.5, cap_s=30)
        waits.append(delay)
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert backoff(30, lasted_s=600, cap_s=30) == 1


def test_health_degrades_with_its_reasons_and_writes_are_refused_while_the_disk_is_below_the_floor(index_copy,
                                                                                                 check_spec):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "TESTING": True, "KB_ADMIN_TOKEN": ADMIN_TOKEN,
                      "KB_MIN_FREE_MB": 1e12})  # no disk has that much free: below the floor
    client = app.test_client()
    answer = client.get("/healthz")
    check_spec("/healthz", answer.status_code, answer.content_type, answer.get_json())
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded", body
    assert [r["code"] for r in body["reasons"]] == ["disk_full", "runner_down"]  # no runner serves this copy
    assert client.get("/api/search?q=kundelojalitet").status_code == 200  # reads go on
    doc_id = client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    form, content_type = multipart({}, {"file": ("floor.txt", note("qxfloor"))})
    writes = {"post /api/documents": dict(data=form, content_type=content_type),
              f"delete /api/documents/{doc_id}": {}, "delete /api/concepts/customer-intimacy": {}}
    for write, options in writes.items():
        method, path = write.split()
        refused = client.open(path, method=method.upper(), headers=AUTH, **options)
        check_spec(path, refused.status_code, refused.content_type, refused.get_json(), method)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "10", refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "disk_full" and "free some space" in error["message"], error
        assert str(index_copy) not in error["message"]  # clients see no server path
    app.config["KB"] = app.config["KB"].replace(min_free_mb=0)
    form, content_type = multipart({}, {"file": ("floor.txt", note("qxfloor"))})
    accepted = client.post("/api/documents", data=form, content_type=content_type, headers=AUTH)
    assert accepted.status_code == 202, accepted.get_json()  # a stopped runner refuses nothing: the job waits
    health = client.get("/healthz").get_json()
    assert [r["code"] for r in health["reasons"]] == ["runner_down"] and health["jobs_pending"] == 1  # a backlog


def test_healthz_says_when_the_runner_holding_its_lock_gives_no_sign_of_life(index_copy):
    # What a runner served apart from `make run` (systemd, a container) shows: the launcher kills a silent one.
    from ingest.jobs import jobs_dir
    from ingest.jobs.runner import BEAT_FILE, runner_lock

    app = create_app(config_for(index_copy, admin_token=ADMIN_TOKEN, runner_stall_s=30.0))
    folder = jobs_dir(index_copy)
    folder.mkdir(parents=True, exist_ok=True)
    with runner_lock(folder):
        beat = folder / BEAT_FILE
        beat.touch()
        assert app.test_client().get("/healthz").get_json()["reasons"] == []  # it beats
        os.utime(beat, (time.time() - 45, time.time() - 45))
        body = app.test_client().get("/healthz").get_json()
        assert body["status"] == "degraded" and [r["code"] for r in body["reasons"]] == ["runner_stalled"], body
        assert "45 s" in body["reasons"][0]["message"]


# Slow (about 30 s): a runner stopped with SIGSTOP holds its lock and runs nothing.
@pytest.mark.slow
def test_a_stopped_runner_is_reported_then_killed_and_restarted_and_its_queued_upload_is_indexed(index_copy, tmp_path):
    stall = {**WRITABLE, "KB_RUNNER_STALL_S": "6"}
    with serving(index_copy, tmp_path / "run", stall) as server, reading(server.base + SEARCH) as reader:
        base = server.base
        wait_for_runner(base)  # serving: it holds its lock (one stopped before that is killed all the same)
        stopped = service_pid(server, "ingest.jobs")
        os.killpg(stopped, signal.SIGSTOP)
        status, queued, _ = upload(base, note("qxstopped"), "stopped.txt")
        assert status == 202, queued
        deadline = time.monotonic() + 60
        while service_pid(server, "ingest.jobs") in (stopped, None) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert service_pid(server, "ingest.jobs") not in (stopped, None), server.log.read_text()[-3000:]
        done = wait_for_job(base, queued["job"]["id"], timeout=120)
        assert done["state"] == "done", done
        assert_searchable(base, "qxstopped", done["doc_id"])
        assert health(base)[1]["reasons"] == []
    assert set(reader.seen) == {200}, reader.seen
    assert "gave no sign of life" in server.log.read_text()


# Slow (about a minute): six kills spread over a minute, each waiting for the launcher's restart backoff.
@pytest.mark.slow
def _health_after_kill(server, wait_s: float = 2.0) -> tuple[int, dict, int | None]:
    """(status, body, the restarted runner's pid or None) of /healthz once it reports the runner down, a runner is
    back, or `wait_s` has passed."""
    deadline = time.monotonic() + wait_s
    while True:
        status, body = health(server.base)
        restarted = service_pid(server, "ingest.jobs")
        if body.get("status") == "degraded" or restarted is not None or time.monotonic() > deadline:
            return status, body, restarted
        time.sleep(0.02)


def test_six_runner_kills_in_a_minute_never_stop_reads_and_a_queued_upload_is_indexed(index_copy, tmp_path):
    with serving(index_copy, tmp_path / "run", WRITABLE) as server, reading(server.base + SEARCH) as reader:
        base, killed, states, started = server.base, [], [], time.monotonic()
        queued = None
        while len(killed) < 6:
            pid = service_pid(server, "ingest.jobs")
            if pid is None or pid in killed:  # waiting for its restart
                time.sleep(0.05)
                continue
            os.killpg(pid, signal.SIGKILL)  # the runner leads its own process group
            killed.append(pid)
            while _alive(pid):
                time.sleep(0.01)
            # A health check slower than the restart's backoff (1 s first) may find the next runner up: only one
            # that answered before any restart must say the runner is down. The killed runner's lock goes with the
            # last process holding it, a moment after the leader: asked again until it says so or a runner is back.
            states.append(_health_after_kill(server))
            if queued is None:  # queued while the runner is down: it waits, it is not refused
                status, queued, _ = upload(base, note("qx6kills"), "kills.txt")
                assert status == 202, queued
        assert time.monotonic() - started < 60
        assert server.proc.poll() is None, server.log.read_text()[-3000:]
        for status, body, restarted in states:
            assert status == 200, body
            if restarted is None:
                assert body["status"] == "degraded", body
                assert [r["code"] for r in body["reasons"]] == ["runner_down"], body
        assert any(restarted is None for _, _, restarted in states), states
        done = wait_for_job(base, queued["job"]["id"], timeout=120)  # the last restart runs it
        assert done["state"] == "done", done
        assert_searchable(base, "qx6kills", done["doc_id"])
        assert runner_alive(base)
        status, body = health(base)
        assert status == 200 and body["status"] == "ok" and body["reasons"] == [], body
    assert set(reader.seen) == {200}, reader.seen
    log = server.log.read_text()
    assert "restarting it in 2 s" in log and "stopping everything" not in log


@pytest.mark.slow
def test_workers_replaced_after_their_requests_answer_every_request(seed_index, tmp_path):
    # Replaced after about 20 requests each (KB_WORKER_MAX_REQUESTS), so that their caches never outgrow the machine.
    with serving(seed_index, tmp_path / "run", {"KB_WORKER_MAX_REQUESTS": "20"}) as server:
        first = worker_pids(server)
        readers = [Reader(server.base + SEARCH) for _ in range(3)]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + 120
        while set(worker_pids(server)) & set(first) and time.monotonic() < deadline:
            time.sleep(0.2)
        replaced = not set(worker_pids(server)) & set(first)
        time.sleep(2)  # and the fresh workers answer too
        for reader in readers:
            reader.done.set()
            reader.join(timeout=90)
        seen = sum((reader.seen for reader in readers), collections.Counter())
        assert replaced, (first, worker_pids(server))
        assert set(seen) == {200} and seen[200] > 40, seen
        # A worker that reached its limit with the last requests may still be in its replacement: wait it out (on a
        # loaded machine a replacement took more than 30 s to appear).
        deadline = time.monotonic() + 90
        while len(worker_pids(server)) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(worker_pids(server)) == 2 and server.proc.poll() is None, server.log.read_text()[-3000:]


# Slow (minutes): pours the seeds into PostgreSQL, starts a stack on it, waits out an outage, then runs a job.
@pytest.mark.slow
def test_a_postgresql_outage_is_answered_503_then_reads_and_the_runner_resume(seed_index, pg_server, pg_url,
                                                                             tmp_path):
    pour_into_postgres(seed_index, pg_url)
    name, admin = conninfo_to_dict(pg_url)["dbname"], pg_server.get_uri()

    def allow(ok: bool) -> None:

        allow_connections(admin, name, ok)

    env = {**WRITABLE, "KB_DATABASE_URL": pg_url}
    with serving(tmp_path / "shared", tmp_path / "run", env) as server, reading(server.base + SEARCH) as reader:
        wait_for_runner(server.base)
        base, runner = server.base, service_pid(server, "ingest.jobs")
        assert runner is not None
        allow(False)
        try:
            time.sleep(2)  # the runner polls the queue 10 times meanwhile: it used to die at the first
            status, body, headers = http_json("GET", base + SEARCH)
            assert status == 503 and body["error"]["code"] == "store_unavailable", body
            assert headers.get("Retry-After") == "10"
            assert health(base)[0] == 503
            status, body, headers = upload(base, note("qxoutage"), "outage.txt")
            assert status == 503 and body["error"]["code"] == "store_unavailable" and headers.get("Retry-After")
        finally:
            allow(True)
        back, deadline = time.monotonic(), time.monotonic() + 10
        while http_json("GET", base + SEARCH)[0] != 200:
            assert time.monotonic() < deadline, "reads did not come back within 10 s of the database"
            time.sleep(0.1)
        print(f"reads back {time.monotonic() - back:.2f} s after the database")
        assert service_pid(server, "ingest.jobs") == runner  # it waited the outage out, it never died
        # Each worker finds the database back by itself: the one that answered above may not be the one that
        # answers next, which looks again within OUTAGE_RECHECK_S of its last look and answers 503 meanwhile.
        time.sleep(OUTAGE_RECHECK_S + 0.2)
        status, queued, _ = upload(base, note("qxoutage"), "outage.txt")
        assert status == 202, queued
        done = wait_for_job(base, queued["job"]["id"], timeout=120)
        assert done["state"] == "done", done
        assert_searchable(base, "qxoutage", done["doc_id"])
        # A restart or failover drops every connection while a job writes: the job runs again, it never fails
        # (it used to fail internal_error and lose the upload).
        long_note = note("qxdropped") + b"".join(note(f"avsnitt {i}") for i in range(150))
        status, queued, _ = upload(base, long_note, "dropped.txt")
        assert status == 202, queued
        job = poll_job(base, queued["job"]["id"], lambda j: j["stage"] in ("embedding", "publishing")
                       or j["state"] in ("done", "failed"))
        assert job["state"] == "running", f"the job ended before its connection could be dropped: {job}"
        with psycopg.connect(admin, autocommit=True) as conn:
            dropped = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                   " WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]
        assert dropped >= 1
        done = poll_job(base, queued["job"]["id"], lambda j: j["state"] in ("done", "failed"))
        assert done["state"] == "done", done
        assert_searchable(base, "qxdropped", done["doc_id"])
    assert set(reader.seen) <= {200, 503}, reader.seen  # never a refused connection, never a 502
    assert "job queue or index unavailable" in server.log.read_text()


def test_while_postgresql_stops_answering_one_request_waits_on_it_and_the_others_answer_503_at_once(
        seed_index, pg_server, pg_url, tmp_path):
    # A frozen server (a hung host, a partition without a reset) answers nothing and closes nothing: each request
    # used to wait out its statement, then a connection attempt (10 s), so a burst held every thread of a worker
    # and ended in nginx's gateway timeouts.
    pour_into_postgres(seed_index, pg_url)
    app = create_app(config_for(tmp_path / "index", database_url=pg_url, pg_statement_timeout_s=1.0))
    client = app.test_client()
    assert client.get(SEARCH).status_code == 200
    with frozen(pg_server):
        first = client.get(SEARCH)  # finds the outage: its statement's deadline (1 s, then 5 s of grace)
        assert first.status_code == 503 and first.get_json()["error"]["code"] == "store_unavailable"
        started = time.monotonic()
        for _ in range(5):
            answer = client.get(SEARCH)
            assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "store_unavailable"
        assert time.monotonic() - started < 3, "requests during a known outage waited on the database"
    deadline = time.monotonic() + 30
    while client.get(SEARCH).status_code != 200:  # one request a second checks whether it is back
        assert time.monotonic() < deadline, "reads did not resume after the database answered again"
        time.sleep(0.2)


def poll_job(base: str, job_id: str, until, timeout: float = 180) -> dict:
    """Poll a job until `until(job)`; a 503 while the database comes back is polled again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job, _ = http_json("GET", f"{base}/api/jobs/{job_id}", timeout=30)
        assert status in (200, 503), job
        if status == 200 and until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id}: not there after {timeout} s")


# Slow: its own stack on a small disk (the disk is private to this test), then one real upload job.
@pytest.mark.slow
def test_a_full_disk_keeps_reads_refuses_writes_with_a_reason_and_recovers(seed_index, small_disk, tmp_path):
    index_dir = copy_index(seed_index, small_disk / "index")
    env = {**WRITABLE, "KB_MIN_FREE_MB": "8"}
    with serving(index_dir, tmp_path / "run", env) as server, reading(server.base + SEARCH) as reader:
        wait_for_runner(server.base)
        base, runner = server.base, service_pid(server, "ingest.jobs")
        filler = fill(small_disk)
        time.sleep(2)  # the runner polls its queue on the full disk meanwhile
        status, body = health(base)
        assert status == 200 and body["status"] == "degraded", body
        assert [r["code"] for r in body["reasons"]] == ["disk_full"] and "disk is full" in body["reasons"][0]["message"]
        status, refused, headers = upload(base, note("qxdisk"), "disk.txt")
        assert status in (503, 507) and refused["error"]["code"] == "disk_full", refused
        assert "free some space" in refused["error"]["message"] and headers.get("Retry-After")
        assert str(index_dir) not in refused["error"]["message"]  # clients see no server path
        filler.unlink()
        assert health(base)[1]["status"] == "ok"
        status, queued, _ = upload(base, note("qxdisk"), "disk.txt")
        assert status == 202, queued
        done = wait_for_job(base, queued["job"]["id"], timeout=120)
        assert done["state"] == "done", done
        assert_searchable(base, "qxdisk", done["doc_id"])
        assert service_pid(server, "ingest.jobs") == runner
    assert set(reader.seen) == {200}, reader.seen


# Starts a stack the way a test does, prints every pid under it, then waits to be killed.
INTERMEDIATE = """
import json, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests/webapp"]
from conftest import _children, service_pid, start_server
server = start_server(Path(sys.argv[2]), Path(sys.argv[3]), workers=1)
while service_pid(server, "ingest.jobs") is None:
    time.sleep(0.1)
pids, todo = [], [server.proc.pid]
while todo:
    pid = todo.pop()
    pids.append(pid)
    todo.extend(_children(pid))
print(json.dumps(pids), flush=True)
time.sleep(600)
"""


# Slow: starts a whole stack in a separate process, which must be SIGKILLed to prove the point.
@pytest.mark.slow
def test_a_stack_dies_with_the_test_process_that_started_it_even_by_sigkill(seed_index, tmp_path):
    test = subprocess.Popen([sys.executable, "-c", INTERMEDIATE, str(ROOT), str(seed_index), str(tmp_path / "run")],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pids = json.loads(test.stdout.readline())
        commands = " ".join((Path("/proc") / str(pid) / "cmdline").read_text() for pid in pids)
    finally:
        test.kill()  # SIGKILL: no cleanup code of the test process runs
        test.wait()
    assert "nginx" in commands and "gunicorn" in commands and "ingest.jobs" in commands, commands
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, [pid for pid in pids if _alive(pid)]
        time.sleep(0.2)
