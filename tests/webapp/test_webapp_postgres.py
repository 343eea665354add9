"""Many web replicas on one PostgreSQL index (`KB_DATABASE_URL`): two gunicorn instances on different ports
and one job runner share a database (index and job queue) and an index directory (the upload spool and the
stored files, a shared volume in a real deployment); a new upload is served by both within a second of its
job ending."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from index.concepts import import_skos, to_turtle
from index.concepts.edit import ConceptChange, check_change, concept_body

from conftest import ADMIN_TOKEN, ROOT, _free_port, _wait_ready, http_json, multipart, wait_for_job, warm_up
from tests.conftest import allow_connections, new_database, pour_into_postgres
from webapp.kb import OUTAGE_RECHECK_S
from webapp.serve import die_with_parent

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # replication lags are wall-clock times

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOTE = ("Replikanotat\n\nTo webtjenere deler én database. Kunder som stoler på leverandøren kommer tilbake; "
        "dette notatet handler om tillit og kundeopplevelse over tid (merke qvx7replika).\n").encode("utf-8")


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as handle:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=die_with_parent)


@dataclass(frozen=True)
class Replicas:
    """Two web replicas (base URLs), the database they share and the index directory of their runner."""

    a: str
    b: str
    url: str
    shared: Path


# Slow (tens of seconds): two stacks on one database, each loading the encoder; one for the module's tests, whose
# writes do not disturb each other (an upload; concept changes).
@pytest.fixture(scope="module")
def replicas(seed_index: Path, pg_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Two gunicorn instances (1 worker x 4 threads each) and a job runner on one database."""
    tmp_path = tmp_path_factory.mktemp("replicas")
    with new_database(pg_server) as url:
        pour_into_postgres(seed_index, url)
        shared = tmp_path / "shared"
        env = {**os.environ, "KB_DATABASE_URL": url, "KB_INDEX_DIR": str(shared), "KB_ADMIN_TOKEN": ADMIN_TOKEN,
               "KB_LOG_LEVEL": "WARNING"}
        procs, bases = [], []
        try:
            for i in range(2):
                port = _free_port()
                procs.append(_start([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--bind",
                                     f"127.0.0.1:{port}", "webapp:create_app()"], env, tmp_path / f"gunicorn{i}.log"))
                bases.append(f"http://127.0.0.1:{port}")
            procs.append(_start([sys.executable, "-m", "ingest.jobs", "--index-dir", str(shared)], env,
                                tmp_path / "runner.log"))
            for base, proc in zip(bases, procs):
                _wait_ready(f"{base}/healthz", proc, timeout=180)
                warm_up(base, workers=1)
            yield Replicas(bases[0], bases[1], url, shared)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


def _first_served(base: str, doc_id: str, seen: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        if http_json("GET", f"{base}/api/documents/{doc_id}", timeout=30)[0] == 200:
            seen[base] = time.time()
            return
        time.sleep(0.02)


def test_two_gunicorn_replicas_on_one_database_serve_a_new_upload_within_a_second(replicas):
    a, b, pg_url = replicas.a, replicas.b, replicas.url
    assert http_json("GET", f"{a}/api/stats")[1]["version"] == http_json("GET", f"{b}/api/stats")[1]["version"]
    body, content_type = multipart({}, {"file": ("replika.txt", NOTE)})
    status, queued, _ = http_json("POST", f"{a}/api/documents", body, {**AUTH, "Content-Type": content_type})
    assert status == 202, queued
    doc_id = queued["job"]["doc_id"]
    seen: dict[str, float] = {}
    stop = threading.Event()
    pollers = [threading.Thread(target=_first_served, args=(base, doc_id, seen, stop)) for base in (a, b)]
    for poller in pollers:
        poller.start()
    try:
        done = wait_for_job(b, queued["job"]["id"])  # the queue is in the database: any replica answers for it
    finally:
        for poller in pollers:
            poller.join(timeout=30)
        stop.set()
    assert done["state"] == "done", done
    with psycopg.connect(pg_url) as conn:
        finished = conn.execute("SELECT finished FROM jobs WHERE id = %s", (done["id"],)).fetchone()[0]
    lags = {base: round(seen[base] - finished, 3) for base in (a, b)}
    assert all(lag <= 1.0 for lag in lags.values()), lags
    for base in (a, b):
        stats = http_json("GET", f"{base}/api/stats")[1]
        assert stats["version"] == done["version"], (base, stats["version"], done["version"])
        hits = http_json("GET", f"{base}/api/search?q=" + quote("qvx7replika tillit") + "&k=5")[1]["results"]
        assert hits and hits[0]["doc_id"] == doc_id, hits[:2]
    print(f"served after the job ended: {lags} s")


# Slow: its own stack on PostgreSQL, an outage and the wait for serving to resume.
def test_a_database_that_refuses_connections_is_answered_503_and_serving_resumes(seed_index, pg_server, pg_url,
                                                                                tmp_path, monkeypatch):
    from webapp import create_app

    pour_into_postgres(seed_index, pg_url)
    # Writes on: the job list, one of the reads the outage answers 503, is a trainer's (the admin token).
    client = create_app({"index_dir": tmp_path / "local", "database_url": pg_url, "admin_token": ADMIN_TOKEN,
                         "TESTING": True}).test_client()
    assert client.get("/api/search?q=kundelojalitet").status_code == 200
    name, admin = conninfo_to_dict(pg_url)["dbname"], pg_server.get_uri()

    def allow(ok: bool) -> None:

        allow_connections(admin, name, ok)

    allow(False)
    try:
        for path in ("/api/search?q=kundelojalitet", "/api/jobs", "/healthz"):
            answer = client.get(path, headers=AUTH)
            assert answer.status_code == 503, (path, answer.get_json())
            error = answer.get_json()["error"]
            assert error["code"] == "store_unavailable" and "/tmp" not in error["message"]
    finally:
        allow(True)
    time.sleep(OUTAGE_RECHECK_S)  # during an outage, one request a second checks whether the database is back
    answer = client.get("/api/search?q=kundelojalitet")
    assert answer.status_code == 200 and answer.get_json()["results"]
    assert client.get("/healthz").status_code == 200


CONCEPT = {"id": "five-forces", "labels": {"en": "Five forces", "sv": "Fem krafter", "nl": "Vijf krachten"},
           "aliases": {"en": ["Porter's five forces"]},
           "definitions": {"en": "Porter's model of the five competitive forces that shape every industry."},
           "broader": None, "related": ["competitive-advantage"], "contrasts": []}


def _finished(pg_url: str, job_id: str) -> float:
    with psycopg.connect(pg_url) as conn:
        return conn.execute("SELECT finished FROM jobs WHERE id = %s", (job_id,)).fetchone()[0]


def _lag(base: str, served, since: float) -> float:
    """Seconds from `since` (epoch) until `served()` holds on a replica, polled for at most a second more."""
    while not served():
        assert time.time() - since <= 1.0, f"{base} does not serve the change 1 s after it was published"
        time.sleep(0.02)
    return round(time.time() - since, 3)


def _queued_and_served(a: str, b: str, pg_url: str, method: str, path: str, body: dict | None, served) -> float:
    """Send a change to replica a, wait for its job (asked of b), then the lag until b serves it."""
    data = json.dumps(body).encode() if body is not None else None
    status, queued, _ = http_json(method, f"{a}{path}", data, {**AUTH, "Content-Type": "application/json"})
    assert status == 202, queued
    done = wait_for_job(b, queued["job"]["id"])
    assert done["state"] == "done", done
    return _lag(b, served, _finished(pg_url, done["id"]))


def _concept(base: str, concept_id: str) -> tuple[int, dict]:
    status, body, _ = http_json("GET", f"{base}/api/concepts/{concept_id}")
    return status, body


def test_a_trainers_changes_on_one_replica_are_served_by_the_other_within_a_second(replicas, tmp_path):
    """Concept add, edit and remove over the API, a SKOS import with the CLI, an accepted suggestion: the
    catalogue and the decisions are data of the database, so the second replica serves each change."""
    a, b, pg_url = replicas.a, replicas.b, replicas.url
    lags = {}
    lags["add"] = _queued_and_served(a, b, pg_url, "POST", "/api/concepts", CONCEPT,
                                     lambda: _concept(b, "five-forces")[0] == 200)
    edited = {**CONCEPT, "labels": {**CONCEPT["labels"], "de": "Fünf Kräfte"}}
    lags["edit"] = _queued_and_served(a, b, pg_url, "PUT", "/api/concepts/five-forces", edited,
                                      lambda: _concept(b, "five-forces")[1]["labels"].get("de") == "Fünf Kräfte")
    lags["remove"] = _queued_and_served(a, b, pg_url, "DELETE", "/api/concepts/five-forces", None,
                                        lambda: _concept(b, "five-forces")[0] == 404)

    # SKOS: the served catalogue exported, one concept relabelled, imported with the CLI against the database.
    turtle = http_json("GET", f"{b}/api/concepts/export?format=skos-jsonld")[1]
    vocabulary = import_skos(json.dumps(turtle), "json-ld")
    loyalty = concept_body(vocabulary.get("customer-loyalty"))
    changed = check_change(vocabulary, ConceptChange("replace", "customer-loyalty",
                                                     {**loyalty, "labels": {**loyalty["labels"], "en": "Client loyalty"}}))
    path = tmp_path / "vocabulary.ttl"
    path.write_text(to_turtle(changed), encoding="utf-8")
    env = {**os.environ, "KB_DATABASE_URL": pg_url, "KB_INDEX_DIR": str(replicas.shared)}
    done = subprocess.run([sys.executable, "-m", "index", "concepts", "import", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    ended = time.time()
    assert done.returncode == 0 and "published" in done.stdout, done.stdout + done.stderr
    lags["skos import"] = _lag(b, lambda: _concept(b, "customer-loyalty")[1]["labels"]["en"] == "Client loyalty", ended)
    exported = http_json("GET", f"{b}/api/concepts/export?format=skos-jsonld")[1]
    assert import_skos(json.dumps(exported), "json-ld").digest == changed.digest

    # A suggestion computed by the database's writer, accepted on a: b lists it no more and serves its concept.
    listed = http_json("GET", f"{b}/api/suggestions")[1]["suggestions"]
    assert listed, "the PostgreSQL store suggests concepts"
    pick = listed[0]
    english = {"labels": {"en": f"Accepted {pick['id']}"}, "definitions": {"en": "Written by the trainer in English."}}
    status, accepted, _ = http_json("POST", f"{a}/api/suggestions/{pick['id']}/accept", json.dumps(english).encode(),
                                    {**AUTH, "Content-Type": "application/json"})
    assert status == 202, accepted
    done = wait_for_job(b, accepted["job"]["id"])  # the job records the decision once the concept is published
    assert done["state"] == "done", done
    concept_id = accepted["concept"]["id"]
    lags["accept"] = _lag(b, lambda: _concept(b, concept_id)[0] == 200, _finished(pg_url, done["id"]))
    assert pick["id"] not in {s["id"] for s in http_json("GET", f"{b}/api/suggestions")[1]["suggestions"]}
    assert http_json("GET", f"{b}/api/suggestions/{pick['id']}")[1]["decision"]["status"] == "accepted"
    print(f"served by the second replica after each change: {lags} s")
