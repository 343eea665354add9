"""Uploads and deletions: token auth, refused files, duplicates, 413/415, jobs, the no-JS UI, XSS in the browser.

Every write test runs over a private copy of the seed index; every JSON answer is checked against /openapi.json.
Writes are queued as jobs; these tests run them with the real runner in this process (`drain`).
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from markupsafe import escape
from playwright.sync_api import expect

from index import versions
from index.errors import InsufficientStorage
from ingest.engines import get_engine
from ingest.pipeline import ingest
from ingest.jobs import KINDS, jobs_dir, open_queue
from ingest.jobs.runner import Runner
from index.service import KnowledgeBase
from tests.conftest import copy_index, fill
from tests.ingest.files import make_image_only_pdf
from webapp import create_app

from conftest import ADMIN_TOKEN, sign_in, watch  # tests/webapp/conftest.py (this folder is not a package)
from tests.configs import config_for, store_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOTE = ("Kundelojalitet i praksis\n\nEn lojal kunde kommer tilbake fordi opplevelsen er god, ikke fordi det er "
        "vanskelig å bytte leverandør. Quorvexian tillit bygges over tid.\n").encode("utf-8")


def snapshot(index_dir: Path) -> tuple[str | None, int, int]:
    """Published version, its document count and the stored upload files: what a refused write must not change."""
    version, _ = versions.open_current(index_dir)
    uploads = index_dir / "uploads"
    return version.name, version.manifest["documents"], len(list(uploads.iterdir())) if uploads.exists() else 0


@pytest.fixture
def writer(index_copy: Path, check_spec):
    """A test client of an app with writes on, and helpers that check every answer against the spec."""
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    return Writer(app.test_client(), check_spec)


class Writer:
    def __init__(self, client, check_spec) -> None:
        self.client, self.check_spec = client, check_spec

    def _checked(self, response, path: str, method: str):
        body = response.get_json()
        self.check_spec(path, response.status_code, response.content_type, body, method=method)
        return response.status_code, body, response.headers

    def upload(self, data: bytes | None, name: str = "note.txt", headers: dict | None = AUTH, form: dict | None = None):
        fields = dict(form or {})
        if data is not None:
            fields["file"] = (io.BytesIO(data), name)
        response = self.client.post("/api/documents", data=fields, headers=headers or {},
                                    content_type="multipart/form-data")
        return self._checked(response, "/api/documents", "post")

    def delete(self, doc_id: str, headers: dict | None = AUTH):
        response = self.client.delete(f"/api/documents/{doc_id}", headers=headers or {})
        return self._checked(response, f"/api/documents/{doc_id}", "delete")

    def job(self, job_id: str):
        response = self.client.get(f"/api/jobs/{job_id}")
        return self._checked(response, f"/api/jobs/{job_id}", "get")[:2]

    def drain(self) -> int:
        """Run every queued job with the real runner, as `python -m ingest.jobs` would, configured as the app is."""
        return Runner(self.client.application.config["KB"], get_engine()).drain()

    def count(self) -> int:
        return self.client.get("/api/stats").get_json()["documents"]


def a_doc_id(index_dir: Path) -> str:
    from index.service import KnowledgeBase

    return KnowledgeBase(config_for(index_dir)).documents()[0]["doc_id"]


# -- switched off, missing and wrong tokens --------------------------------------------------------------------

def test_writes_are_403_when_no_token_is_configured(index_copy, check_spec):
    client = create_app({"KB_INDEX_DIR": str(index_copy), "TESTING": True}).test_client()
    before = snapshot(index_copy)
    writer = Writer(client, check_spec)
    for status, body, _ in (writer.upload(NOTE), writer.delete(a_doc_id(index_copy))):
        assert status == 403 and body["error"]["code"] == "writes_disabled"
        assert "KB_ADMIN_TOKEN" in body["error"]["message"]
    assert client.get("/healthz").get_json()["writes_enabled"] is False
    page = client.get("/documents").get_data(as_text=True)
    assert 'type="file"' not in page and "Delete" not in page and ">Upload<" not in page
    assert client.get("/upload").status_code == 403
    assert snapshot(index_copy) == before


@pytest.mark.parametrize("headers, status, code", [
    (None, 401, "unauthorized"),
    ({"Authorization": "Basic " + ADMIN_TOKEN}, 401, "unauthorized"),
    ({"Authorization": "Bearer "}, 401, "unauthorized"),
    ({"Authorization": "Bearer wrong-token"}, 403, "invalid_token"),
    ({"Authorization": f"Bearer {ADMIN_TOKEN}x"}, 403, "invalid_token"),
    ({"Authorization": "Bearer tøken-ünicode"}, 403, "invalid_token"),
])
def test_writes_without_the_right_token_are_refused_and_change_nothing(writer, index_copy, headers, status, code):
    before = snapshot(index_copy)
    for got, body, response_headers in (writer.upload(NOTE, headers=headers),
                                        writer.delete(a_doc_id(index_copy), headers=headers)):
        assert (got, body["error"]["code"]) == (status, code)
        if status == 401:
            assert response_headers["WWW-Authenticate"].startswith("Bearer")
    assert writer.count() == 5
    assert snapshot(index_copy) == before


def test_token_in_a_form_field_is_checked_too(writer, index_copy):
    before = snapshot(index_copy)
    status, body, _ = writer.upload(NOTE, headers=None, form={"token": "wrong"})
    assert (status, body["error"]["code"]) == (403, "invalid_token")
    assert snapshot(index_copy) == before


# -- refused files ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, status, reason", [
    ("empty.txt", b"", 400, "empty file"),
    ("blank.md", b" \n\t\n", 400, "empty file"),
    ("tool.exe", b"MZ\x90\x00" + bytes(100), 415, "unsupported file type .exe"),
    ("noext", b"plain words", 415, "unsupported file type (none)"),
    ("disguised.txt", b"\x7fELF\x02\x01\x01" + bytes(200), 400, "binary content"),
    ("disguised.pdf", b"\x7fELF\x02\x01\x01" + bytes(200), 400, "not a readable PDF"),
    ("disguised.docx", b"\x89PNG\r\n\x1a\n" + bytes(200), 400, "not a readable DOCX"),
    ("scan.pdf", make_image_only_pdf(), 400, "no text"),
])
def test_bad_uploads_get_a_clear_4xx_and_change_nothing(writer, index_copy, name, data, status, reason):
    before = snapshot(index_copy)
    got, body, _ = writer.upload(data, name)
    assert got == status, body
    assert reason in body["error"]["message"] and name in body["error"]["message"]
    assert "uploads/" not in body["error"]["message"]  # named as the client knows it
    assert snapshot(index_copy) == before


def test_upload_without_a_file_field_is_400(writer, index_copy):
    before = snapshot(index_copy)
    status, body, _ = writer.upload(None, form={"other": "x"})
    assert (status, body["error"]["code"]) == (400, "no_file")
    assert "'file'" in body["error"]["message"]
    assert snapshot(index_copy) == before


def test_an_upload_whose_file_name_is_not_utf8_is_told_so(writer, index_copy):
    before = snapshot(index_copy)
    body = (b'--BB\r\nContent-Disposition: form-data; name="file"; filename="x\xff.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nKundelojalitet handler om tillit.\r\n--BB--\r\n")
    response = writer.client.post("/api/documents", data=body, headers=AUTH,
                                  content_type="multipart/form-data; boundary=BB")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["error"]["message"]
    assert snapshot(index_copy) == before


def test_a_long_file_name_is_cut_in_its_stem_keeping_its_type(writer, index_copy):
    name = "Kundelojalitet " + "a" * 300 + ".md"
    status, body, _ = writer.upload(b"# Kundelojalitet\n\nTillit er grunnlaget for lojalitet.\n", name)
    assert status == 202, body
    assert len(body["job"]["file_name"]) == 200 and body["job"]["file_name"].endswith("aaa.md")


def test_oversized_upload_is_413_and_changes_nothing(index_copy, check_spec):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "MAX_CONTENT_LENGTH": 2048})
    before = snapshot(index_copy)
    status, body, _ = Writer(app.test_client(), check_spec).upload(b"word " * 1000, "big.txt")
    assert (status, body["error"]["code"]) == (413, "request_entity_too_large")
    assert "2048" in body["error"]["message"]
    assert snapshot(index_copy) == before


def test_writes_never_wait_for_another_writer(writer, index_copy):
    before = snapshot(index_copy)
    with versions.writer_lock(index_copy):  # another writer (think: a long CLI ingest) holds the lock
        status, queued, headers = writer.upload(NOTE)
        assert status == 202 and queued["job"]["state"] == "queued"
        assert headers["Location"] == f"/api/jobs/{queued['job']['id']}"
        status, deleting, _ = writer.delete(a_doc_id(index_copy))
        assert status == 202 and deleting["job"]["kind"] == "delete"
        runner = Runner(config_for(index_copy), get_engine(), lock_timeout=0.2)
        assert runner.run_next().id == queued["job"]["id"]
        assert writer.job(queued["job"]["id"])[1]["state"] == "queued"  # it waits, it does not fail
        assert snapshot(index_copy) == before
    assert writer.drain() == 2
    for job_id in (queued["job"]["id"], deleting["job"]["id"]):
        assert writer.job(job_id)[1]["state"] == "done"
    assert writer.count() == 5  # one added, one removed


def test_unknown_job_is_404_and_jobs_are_listed(writer):
    status, body = writer.job("no-such-job")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = writer.job("x" * 300)
    assert status == 404
    response = writer.client.get("/api/jobs", headers=AUTH)
    writer.check_spec("/api/jobs", response.status_code, response.content_type, response.get_json())
    assert response.get_json() == {"jobs": [], "runner": {"alive": False}}


def test_a_job_read_alone_says_whether_a_runner_is_there_to_run_it(writer, index_copy):
    # A program following a queued job by its Location learns that it waits for no runner, as /healthz says.
    job = writer.upload(NOTE, "wartend.txt")[1]["job"]
    status, body = writer.job(job["id"])
    assert status == 200 and body["state"] == "queued" and body["runner"] == {"alive": False}
    assert writer.drain() == 1  # run in this process: no runner holds the index, before or after
    status, body = writer.job(job["id"])
    assert body["state"] == "done" and body["runner"] == {"alive": False}


# -- successful writes --------------------------------------------------------------------------------------------

def test_upload_is_queued_then_searchable_duplicates_are_not_stored_twice_delete_works(writer, index_copy):
    version0, count0, _ = snapshot(index_copy)
    status, queued, headers = writer.upload(NOTE, "../../etc/kunde\u202elojalitet.txt")
    job = queued["job"]
    assert status == 202 and queued["duplicate"] is False and headers["Location"] == f"/api/jobs/{job['id']}"
    assert job["file_name"] == "kundelojalitet.txt" and job["kind"] == "upload" and job["state"] == "queued"
    status, pending, _ = writer.upload(NOTE, "another-name.txt")  # the same content, still in the queue
    assert status == 200 and pending["duplicate"] is True and pending["job"]["id"] == job["id"]
    assert snapshot(index_copy) == (version0, count0, 0)  # nothing published or stored before the job runs

    assert writer.drain() == 1
    status, done = writer.job(job["id"])
    assert done["state"] == "done" and done["version"] == versions.current_name(index_copy) != version0
    assert done["progress"]["done"] == done["progress"]["total"] >= 1 and done["error"] is None
    # The very next request serves the job's version (every request checks CURRENT).
    hits = writer.client.get("/api/search?q=" + quote("Quorvexian tillit") + "&k=3").get_json()["results"]
    assert hits[0]["doc_id"] == done["doc_id"]
    assert writer.count() == count0 + 1
    doc = writer.client.get(f"/api/documents/{done['doc_id']}").get_json()
    assert doc["title"] == "Kundelojalitet i praksis" and doc["source"].startswith("uploads/")

    status, again, headers = writer.upload(NOTE, "copy.txt")
    assert status == 200 and again["duplicate"] is True and again["job"] is None and "Location" not in headers
    assert again["document"]["doc_id"] == done["doc_id"]
    assert snapshot(index_copy) == (done["version"], count0 + 1, 1)

    status, deleting, headers = writer.delete(done["doc_id"])
    assert status == 202 and deleting["job"]["doc_id"] == done["doc_id"]
    writer.drain()
    status, deleted = writer.job(deleting["job"]["id"])
    assert deleted["state"] == "done" and deleted["version"] not in (version0, done["version"])
    assert writer.count() == count0
    assert writer.client.get(f"/api/documents/{done['doc_id']}").status_code == 404
    assert snapshot(index_copy) == (deleted["version"], count0, 0)  # its stored upload went with it

    status, body, _ = writer.delete(done["doc_id"])
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_duplicate_upload_with_other_metadata_is_kept_as_an_edit(writer, index_copy):
    status, queued, _ = writer.upload(NOTE, form={"title": "First title"})
    assert status == 202 and queued["job"]["kind"] == "upload"
    doc_id = queued["job"]["doc_id"]
    # The same text again while its upload waits, with another title and an author: an edit queued behind it.
    status, edit, _ = writer.upload(NOTE, "again.txt", form={"title": "Second title", "authors": "Kari Nordmann"})
    assert status == 202 and edit["duplicate"] is True
    assert (edit["job"]["kind"], edit["job"]["doc_id"]) == ("metadata", doc_id)
    # Again, with edits queued behind the upload: merged with it, an edit again (not a second upload); and the
    # first title once more, which the queued edits changed: an edit back to it, the last sent kept.
    status, third, _ = writer.upload(NOTE, "third.txt", form={"title": "Third title"})
    assert status == 202 and third["duplicate"] is True and third["job"]["kind"] == "metadata"
    status, fourth, _ = writer.upload(NOTE, "fourth.txt", form={"title": "Second title"})
    assert status == 202 and fourth["duplicate"] is True and fourth["job"]["kind"] == "metadata"
    assert writer.drain() == 4
    doc = writer.client.get(f"/api/documents/{doc_id}").get_json()
    assert (doc["title"], doc["authors"]) == ("Second title", ["Kari Nordmann"])
    # Indexed now: the same metadata is a plain duplicate; other metadata an edit of the indexed document.
    status, plain, _ = writer.upload(NOTE, form={"title": "Second title"})
    assert status == 200 and plain["job"] is None and plain["document"]["doc_id"] == doc_id
    status, later, _ = writer.upload(NOTE, form={"date": "2021-03-04"})
    assert status == 202 and later["document"]["doc_id"] == doc_id and later["job"]["kind"] == "metadata"
    count = writer.count()
    assert writer.drain() == 1 and writer.count() == count
    doc = writer.client.get(f"/api/documents/{doc_id}").get_json()
    assert (doc["title"], doc["date"]) == ("Second title", "2021-03-04")


def test_an_upload_found_a_duplicate_when_it_runs_keeps_its_metadata(writer, index_copy, tmp_path):
    # Queued with a title; before it runs, a folder ingest indexes the same text: the upload is then a duplicate of
    # that document, and the title it was sent with is kept as an edit of it.
    status, queued, _ = writer.upload(NOTE, "note.txt", form={"title": "Sent title", "authors": "Kari Nordmann"})
    assert status == 202
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "same-text.txt").write_bytes(NOTE)
    report = ingest([folder], store_for(index_copy), progress=False)
    assert report.added == 1
    count = writer.count()
    assert writer.drain() == 1
    done = writer.job(queued["job"]["id"])[1]
    assert done["state"] == "done" and done["duplicate"] is True and writer.count() == count
    doc = writer.client.get(f"/api/documents/{done['doc_id']}").get_json()
    assert (doc["title"], doc["authors"]) == ("Sent title", ["Kari Nordmann"])


def _indexed_once(writer: Writer, doc_id: str) -> bool:
    """The document is listed and answers the note's question, once."""
    listed = [d["doc_id"] for d in writer.client.get("/api/documents").get_json()["documents"]]
    hits = writer.client.get("/api/search?q=" + quote("Quorvexian tillit") + "&k=3").get_json()["results"]
    return listed.count(doc_id) == 1 and hits[0]["doc_id"] == doc_id


def test_an_upload_after_a_pending_delete_of_its_copy_is_queued_behind_it_and_kept(writer, index_copy):
    status, queued, _ = writer.upload(NOTE)
    writer.drain()
    doc_id = writer.job(queued["job"]["id"])[1]["doc_id"]
    count = writer.count()
    for _ in range(2):
        status, deleting, _ = writer.delete(doc_id)
        assert status == 202
        status, again, _ = writer.upload(NOTE, "again.txt")  # before the delete runs: not a duplicate of doc_id
        assert status == 202 and again["duplicate"] is False and again["job"]["doc_id"] == doc_id
        status, same, _ = writer.upload(NOTE.replace(b"\n", b"\r\n"), "same-text.txt")  # merged with that upload
        assert status == 200 and same["job"]["id"] == again["job"]["id"]
        assert writer.drain() == 2
        assert writer.job(deleting["job"]["id"])[1]["state"] == writer.job(again["job"]["id"])[1]["state"] == "done"
        assert _indexed_once(writer, doc_id) and writer.count() == count
        assert snapshot(index_copy)[2] == 1  # its stored upload is back too


def test_delete_upload_delete_before_any_runs_ends_deleted(writer, index_copy):
    status, queued, _ = writer.upload(NOTE)
    writer.drain()
    doc_id = writer.job(queued["job"]["id"])[1]["doc_id"]
    count = writer.count()
    first = writer.delete(doc_id)[1]["job"]["id"]
    again = writer.upload(NOTE, "again.txt")[1]["job"]["id"]
    status, last, _ = writer.delete(doc_id)  # acknowledged after the upload: it runs after it, not merged before
    assert status == 202 and last["job"]["id"] not in (first, again)
    assert writer.drain() == 3 and writer.job(last["job"]["id"])[1]["state"] == "done"
    assert writer.count() == count - 1 and writer.client.get(f"/api/documents/{doc_id}").status_code == 404


def test_a_delete_sent_before_its_uploads_job_ran_is_queued_behind_it_and_the_document_ends_deleted(writer):
    # Found by an attack: the upload's 202 names the document's id, but a DELETE of that id before the runner had
    # published the upload answered 404 "no document", and the upload then published the document the client had
    # deleted. An edit of its metadata was refused the same way.
    count = writer.count()
    status, queued, _ = writer.upload(NOTE)
    assert status == 202
    doc_id = queued["job"]["doc_id"]
    response = writer.client.patch(f"/api/documents/{doc_id}", json={"title": "Lojalitet"}, headers=AUTH)
    assert response.status_code == 202, response.get_json()
    status, deleting, _ = writer.delete(doc_id)
    assert status == 202, deleting
    assert writer.drain() == 3
    assert writer.job(deleting["job"]["id"])[1]["state"] == "done"
    assert writer.count() == count and writer.client.get(f"/api/documents/{doc_id}").status_code == 404
    assert not [r for r in writer.client.get("/api/search?q=Quorvexian&mode=lexical").get_json()["results"]
                if r["doc_id"] == doc_id]
    assert writer.delete(doc_id)[0] == 404  # nothing served or pending: still a 404
    assert writer.delete("0123456789abcdef")[0] == 404


def test_a_delete_whose_uploads_job_ends_while_it_is_checked_is_queued_not_refused(writer, monkeypatch):
    # Found attacking the queue's order: a DELETE sent after its upload's 202 loads the version served before the
    # runner published the upload, and asks the queue for a pending upload after the runner recorded it done: it
    # saw the document nowhere and answered 404, and the document the client deleted stayed.
    status, queued, _ = writer.upload(NOTE)
    assert status == 202
    doc_id = queued["job"]["doc_id"]
    jobs = writer.client.application.extensions["jobs"]
    asked = jobs.latest_pending

    def after_the_runner(kind, doc=None):
        monkeypatch.setattr(jobs, "latest_pending", asked)
        assert writer.drain() == 1  # the upload publishes and ends between the request's two looks
        return asked(kind, doc)

    monkeypatch.setattr(jobs, "latest_pending", after_the_runner)
    status, body, _ = writer.delete(doc_id)
    assert status == 202, body
    assert writer.drain() == 1 and writer.client.get(f"/api/documents/{doc_id}").status_code == 404


def test_deletes_and_uploads_of_one_file_racing_a_running_runner_never_lose_it(writer, index_copy):
    status, queued, _ = writer.upload(NOTE)
    writer.drain()
    doc_id = writer.job(queued["job"]["id"])[1]["doc_id"]
    count = writer.count()
    stop, answers = threading.Event(), []

    def run_jobs() -> None:  # the real runner, claiming jobs as they come (what `python -m ingest.jobs` does)
        runner = Runner(config_for(index_copy), get_engine())
        while not stop.is_set():
            if runner.run_next() is None:
                time.sleep(0.02)

    def delete_then_upload() -> None:  # each client deletes the file and puts it back: it must stay indexed
        client = writer.client.application.test_client()
        for _ in range(3):
            answers.append(client.delete(f"/api/documents/{doc_id}", headers=AUTH).status_code)
            while True:  # a worker checks one upload at a time and one more waits: a third is told to retry
                upload = client.post("/api/documents", data={"file": (io.BytesIO(NOTE), "again.txt")}, headers=AUTH,
                                     content_type="multipart/form-data")
                if upload.status_code != 503 or upload.get_json()["error"]["code"] != "overloaded":
                    break
                time.sleep(0.05)
            answers.append(upload.status_code)

    runner = threading.Thread(target=run_jobs)
    runner.start()
    clients = [threading.Thread(target=delete_then_upload) for _ in range(3)]
    try:
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    finally:
        stop.set()
        runner.join()
    writer.drain()
    assert set(answers) <= {200, 202, 404} and 202 in answers
    assert _indexed_once(writer, doc_id) and writer.count() == count


def test_a_full_queue_answers_429_with_retry_after_and_keeps_nothing(index_copy, check_spec):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "KB_MAX_PENDING_JOBS": 2})
    writer = Writer(app.test_client(), check_spec)
    assert writer.upload(NOTE)[0] == 202
    assert writer.delete(a_doc_id(index_copy))[0] == 202
    for status, body, headers in (writer.upload(b"En helt annan text om kundresan och lojalitet i dag.", "b.txt"),
                                  writer.delete(KnowledgeBase(config_for(index_copy)).documents()[1]["doc_id"])):
        assert (status, body["error"]["code"]) == (429, "queue_full") and int(headers["Retry-After"]) > 0
    assert writer.upload(NOTE, "same.txt")[0] == 200  # the same upload again adds nothing: not refused
    assert len(list((jobs_dir(index_copy) / "spool").iterdir())) == 1  # the refused upload left no bytes
    assert open_queue(config_for(index_copy)).pending_count() == 2
    assert writer.drain() == 2
    assert writer.upload(b"En helt annan text om kundresan och lojalitet i dag.", "b.txt")[0] == 202


def test_a_full_disk_answers_507_naming_it_keeps_no_partial_file_and_the_index_serves_on(small_disk, index_copy,
                                                                                      check_spec):
    index_dir = copy_index(index_copy, small_disk / "index")
    app = create_app({"KB_INDEX_DIR": str(index_dir), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "KB_MIN_FREE_MB": 0})  # no early refusal
    writer = Writer(app.test_client(), check_spec)
    before = snapshot(index_dir)
    open_queue(config_for(index_dir))  # the runner made it when it started
    filler = fill(small_disk)
    status, body, _ = writer.upload(NOTE * 200, "big.txt")
    assert (status, body["error"]["code"]) == (507, "insufficient_storage")
    assert "no space left on device" in body["error"]["message"] and str(index_dir) in body["error"]["message"]
    assert not [p for p in index_dir.rglob("*") if p.name.endswith(".part")]
    assert snapshot(index_dir) == before
    assert writer.client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"]
    filler.unlink()
    status, queued, _ = writer.upload(NOTE)
    assert status == 202
    writer.drain()
    assert writer.job(queued["job"]["id"])[1]["state"] == "done" and writer.count() == before[1] + 1


def test_a_job_that_fills_the_disk_waits_for_space_and_the_served_version_stays(small_disk, index_copy,
                                                                                 check_spec):
    index_dir = copy_index(index_copy, small_disk / "index")
    (index_copy / "jobs").mkdir()
    (index_dir / "jobs").symlink_to(index_copy / "jobs")  # the queue on another disk: only the index's is full
    app = create_app({"KB_INDEX_DIR": str(index_dir), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "KB_MIN_FREE_MB": 0})  # no early refusal
    writer = Writer(app.test_client(), check_spec)
    before = snapshot(index_dir)
    status, queued, _ = writer.upload(NOTE * 200, "big.txt")
    assert status == 202
    filler = fill(small_disk)
    with pytest.raises(InsufficientStorage, match=f"no space left on device in {index_dir}"):
        writer.drain()  # a served runner waits here (Runner._outlast) with the job back in the queue
    status, job = writer.job(queued["job"]["id"])
    assert (job["state"], job["attempts"], job["error"]) == ("queued", 1, None)  # accepted, so never dropped
    assert snapshot(index_dir) == before
    assert not [p for p in index_dir.rglob("*") if p.name.endswith(".part")]
    assert writer.client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"]
    filler.unlink()
    writer.drain()
    assert writer.job(queued["job"]["id"])[1]["state"] == "done" and writer.count() == before[1] + 1


def test_a_read_only_index_directory_refuses_writes_in_json_and_serves_reads(index_copy, tmp_path, check_spec):
    mount = tmp_path / "read-only"
    mount.mkdir()
    bound = subprocess.run(["mount", "--bind", str(index_copy), str(mount)], capture_output=True, text=True)
    if bound.returncode:
        pytest.skip(f"cannot bind-mount a read-only copy: {bound.stderr.strip() or bound.returncode}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        writer = Writer(create_app({"KB_INDEX_DIR": str(mount), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
                        .test_client(), check_spec)
        for status, body, headers in (writer.upload(NOTE), writer.delete(a_doc_id(index_copy))):
            assert (status, body["error"]["code"]) == (503, "index_read_only") and headers["Retry-After"], body
        health = writer.client.get("/healthz").get_json()  # not "queued and applied once the runner is back"
        assert [r["code"] for r in health["reasons"]] == ["index_read_only"], health
        assert writer.client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"]
        runner = subprocess.run([sys.executable, "-m", "ingest.jobs", "--index-dir", str(mount), "--once"],
                                capture_output=True, text=True, timeout=120)
        assert runner.returncode == 1 and runner.stderr.strip().splitlines()[-1].startswith(
            "error: cannot open the job queue"), runner.stderr[-2000:]
        assert "Traceback" not in runner.stderr
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_damaged_current_version_is_served_from_the_sound_one_and_refuses_writes_at_once(index_copy, check_spec):
    # Before, /healthz said ok and an upload got 202, its job failing later with index_corrupt.
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    writer = Writer(app.test_client(), check_spec)
    assert writer.upload(NOTE)[0] == 202
    writer.drain()
    good, damaged = versions.published(index_copy)[-2:]
    assert versions.current_name(index_copy) == damaged
    (versions.versions_dir(index_copy) / damaged / "catalogue.json").write_text("{}")
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    writer = Writer(app.test_client(), check_spec)
    health = writer.client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["version"] == good, health
    assert [r["code"] for r in health["reasons"]][:1] == ["index_damaged"] and "rollback" in health["reasons"][0]["message"]
    status, body, headers = writer.upload(NOTE + b" Once more.", "again.txt")
    assert (status, body["error"]["code"]) == (503, "index_corrupt") and headers["Retry-After"], body
    assert writer.client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"]


def test_a_damaged_job_queue_refuses_writes_in_json_and_the_runner_says_why_in_one_line(index_copy, check_spec):
    # Its first bytes overwritten (a disk fault): before, an upload got a 500 and the runner a traceback each restart.
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    writer = Writer(app.test_client(), check_spec)
    assert writer.upload(NOTE)[0] == 202
    queue_file = index_copy / "jobs" / "jobs.sqlite"
    with open(queue_file, "r+b") as handle:
        handle.write(b"\0" * 100)
    status, body, _ = writer.upload(NOTE + b" Once more.", "again.txt")
    assert (status, body["error"]["code"]) == (503, "index_corrupt") and "job queue" in body["error"]["message"], body
    assert writer.client.get("/api/search?q=customer+intimacy&k=1").get_json()["results"]
    runner = subprocess.run([sys.executable, "-m", "ingest.jobs", "--index-dir", str(index_copy), "--once"],
                            capture_output=True, text=True, timeout=120)
    assert runner.returncode != 0 and "Traceback" not in runner.stderr, runner.stderr[-2000:]
    assert runner.stderr.strip().splitlines()[-1].startswith("error: the job queue"), runner.stderr[-2000:]


# -- the UI without JavaScript ---------------------------------------------------------------------------------------

def test_ui_upload_and_delete_forms_work_without_javascript(writer, index_copy):
    client = writer.client
    sign_in(client)
    page = client.get("/documents").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'name="file" type="file"' in page
    assert page.count(">Delete<") == 5
    csp = client.get("/documents").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp

    refused = client.post("/upload", data={"token": "wrong", "file": (io.BytesIO(NOTE), "note.txt")},
                          content_type="multipart/form-data")
    assert refused.status_code == 403 and "token is not valid" in refused.get_data(as_text=True)
    bad = client.post("/upload", data={"token": ADMIN_TOKEN, "file": (io.BytesIO(b""), "empty.txt")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "empty file" in bad.get_data(as_text=True)

    added = client.post("/upload", data={"token": ADMIN_TOKEN, "file": (io.BytesIO(NOTE), "note.txt"),
                                         "authors": "Kari Nordmann; Ola Hansen", "date": "2024-05-01"},
                        content_type="multipart/form-data")
    assert added.status_code == 303 and added.headers["Location"].startswith("/jobs/")
    job_page = added.headers["Location"]
    waiting = client.get(job_page).get_data(as_text=True)
    assert "Queued" in waiting and "job-page.js" in waiting and "data-job-poll" in waiting and "note.txt" in waiting
    assert "http-equiv" not in waiting  # no timed refresh a reader cannot stop (axe: meta-refresh)
    assert "No job runner is running" in waiting  # nobody would run it: said plainly
    writer.drain()
    finished = client.get(job_page).get_data(as_text=True)
    assert "Added" in finished and "Kundelojalitet i praksis" in finished and "job-page.js" not in finished
    # The trainer sees what the upload will be cited as: its authors, date and file.
    assert "Kari Nordmann; Ola Hansen" in finished and "2024-05-01" in finished and "file “note.txt”" in finished
    form = client.get("/upload").get_data(as_text=True)
    assert "Recent writes" in form and f'href="{job_page}"' in form and "Upload of “note.txt”</a>" in form
    doc_id = next(d["doc_id"] for d in client.get("/api/documents").get_json()["documents"]
                  if d["title"] == "Kundelojalitet i praksis")
    again = client.post("/upload", data={"token": ADMIN_TOKEN, "file": (io.BytesIO(NOTE), "copy.txt")},
                        content_type="multipart/form-data")
    assert again.status_code == 200 and "Already present" in again.get_data(as_text=True)
    # The same file with another title typed: the form changes nothing unasked, and offers the change to save.
    retitled = client.post("/upload", data={"token": ADMIN_TOKEN, "file": (io.BytesIO(NOTE), "copy.txt"),
                                            "title": "Lojalitet, omdøpt"}, content_type="multipart/form-data")
    offer = retitled.get_data(as_text=True)
    assert retitled.status_code == 200 and "Already present" in offer and "nothing was changed" in offer
    assert f'action="/documents/{doc_id}/metadata"' in offer and 'value="Lojalitet, omdøpt"' in offer
    assert 'value="Kari Nordmann; Ola Hansen"' in offer and 'value="2024-05-01"' in offer  # the rest as held
    assert client.get(f"/api/documents/{doc_id}").get_json()["title"] == "Kundelojalitet i praksis"
    assert writer.drain() == 0  # nothing was queued
    saved = client.post(f"/documents/{doc_id}/metadata", data={
        "token": ADMIN_TOKEN, "title": "Lojalitet, omdøpt", "authors": "Kari Nordmann; Ola Hansen",
        "date": "2024-05-01", "publisher": "", "language": "nb"})
    assert saved.status_code == 303
    writer.drain()
    assert client.get(f"/api/documents/{doc_id}").get_json()["title"] == "Lojalitet, omdøpt"

    confirm = client.get(f"/documents/{doc_id}/delete")
    assert confirm.status_code == 200 and 'name="csrf_token"' in confirm.get_data(as_text=True)
    assert client.post(f"/documents/{doc_id}/delete", data={"token": "nope"}).status_code == 403
    gone = client.post(f"/documents/{doc_id}/delete", data={"token": ADMIN_TOKEN})
    assert gone.status_code == 303
    writer.drain()
    assert "Document deleted" in client.get(gone.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/documents/{doc_id}/delete").status_code == 404
    assert writer.count() == 5
    assert client.get("/jobs/no-such-job").status_code == 404


def test_a_refused_upload_keeps_what_was_typed_and_asks_for_the_file_again(writer, index_copy):
    client = writer.client
    csrf = sign_in(client)
    typed = {"title": "Kundelojalitet & praksis", "authors": "Kari Nordmann; Ola Nordmann", "date": "2024-13",
             "publisher": "Handelshøyskolen", "language": "nb"}
    refused = client.post("/upload", data={"csrf_token": csrf, **typed, "file": (io.BytesIO(NOTE), "note.txt")},
                          content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "is not a calendar date" in page
    for name, value in typed.items():
        assert f'name="{name}"' in page and f'value="{escape(value)}"' in page, name
    assert "choose the file\n  again" in page
    assert snapshot(index_copy)[1] == 5 and not writer.drain()
    # The browser refuses a month or day that no calendar has before anything is sent.
    pattern = re.search(r'name="date" pattern="([^"]+)"', page)[1]
    for good in ("2024", "2024-12", "2024-02-29", "1999-10-31"):
        assert re.fullmatch(pattern, good), good
    for bad in ("2024-13", "2024-00", "2024-12-32", "2024-1", "2024-12-00", "24-12"):
        assert not re.fullmatch(pattern, bad), bad


def test_recent_writes_name_each_job_by_its_kind(writer):
    doc_id = writer.client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    writer.upload(NOTE)
    patched = writer.client.patch(f"/api/documents/{doc_id}", json={"title": "Renamed"}, headers=AUTH)
    concept = {"id": "five-forces", "labels": {"en": "Five forces"}, "definitions": {"en": "Porter's model."}}
    added = writer.client.post("/api/concepts", json=concept, headers=AUTH)
    assert (patched.status_code, added.status_code, writer.delete(doc_id)[0]) == (202, 202, 202)
    sign_in(writer.client)
    listed = writer.client.get("/upload").get_data(as_text=True)
    written = " ".join(listed[listed.index("Recent writes"):].split())
    title_now = writer.client.get(f"/api/documents/{doc_id}").get_json()["title"]  # the edit is queued, not run
    for title in ("Upload of “note.txt”", f"Metadata change of “{title_now}”", "Concept “five-forces”: addition",
                  f"Deletion of “{title_now}”"):
        assert f"{title}</a>: queued" in written, title
    assert written.count("</a>: queued") == len(KINDS) == 4  # a new kind needs its own title too


def test_recent_writes_and_their_file_names_are_shown_to_a_trainer_only(writer, index_copy):
    secret = "lönesamtal-2025-konfidentiellt.txt"
    assert writer.upload(NOTE, name=secret)[0] == 202
    client = writer.client
    # Signed out: the page asks to sign in and lists no job, names no file, says nothing of the runner.
    anonymous = client.get("/upload")
    page = anonymous.get_data(as_text=True)
    assert anonymous.status_code == 200 and ">Sign in to edit</a>" in page and 'name="file" type="file"' not in page
    assert "Recent writes" not in page and secret not in page and 'href="/jobs/' not in page
    assert "No job runner is running" not in page
    # Nor does the JSON API's job list: 401 without the token, 403 with a wrong one, as for a write.
    for headers, status, code in (({}, 401, "unauthorized"), ({"Authorization": "Bearer wrong"}, 403, "invalid_token")):
        refused = client.get("/api/jobs", headers=headers)
        writer.check_spec("/api/jobs", refused.status_code, refused.content_type, refused.get_json())
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (status, code)
        assert secret not in refused.get_data(as_text=True)
    listed = client.get("/api/jobs", headers=AUTH).get_json()
    assert [job["file_name"] for job in listed["jobs"]] == [secret]
    # Signed in: the page lists the job by its file name, and the session alone (no CSRF token: a read) lists it too.
    csrf = sign_in(client)
    page = " ".join(client.get("/upload").get_data(as_text=True).split())
    assert "Recent writes" in page and f"Upload of “{secret}”</a>: queued" in page and "No job runner is running" in page
    assert client.get("/api/jobs").get_json()["jobs"][0]["file_name"] == secret
    # Signed out again, hidden again; a server without writes has no job list to show.
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 303
    assert secret not in client.get("/upload").get_data(as_text=True)
    assert client.get("/api/jobs").status_code == 401
    closed = create_app({"KB_INDEX_DIR": str(index_copy), "TESTING": True}).test_client()
    assert (closed.get("/api/jobs").status_code, closed.get("/upload").status_code) == (403, 403)


# -- XSS in the browser ------------------------------------------------------------------------------------------------

XSS_TEXT = ("Zyxwarble kundeinnsikt og markup\n\nDenne teksten om zyxwarble kunder inneholder "
            "<script>alert(1)</script> og <img src=x onerror=alert(1)> som vanlig tekst.\n")


@pytest.mark.browser
@pytest.mark.slow
def test_uploaded_markup_is_shown_literally_and_never_runs(browser, write_server):
    base, _ = write_server
    context = browser.new_context(base_url=base)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors = watch(page)
    try:
        # Upload through the UI's form, as a user without JavaScript-specific help would.
        page.goto("/signin?next=/upload")
        page.get_by_label("Admin token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("File").set_input_files(
            {"name": "markup.txt", "mimeType": "text/plain", "buffer": XSS_TEXT.encode()})
        page.get_by_role("button", name="Upload").click()
        # The job page reloads itself (no JavaScript needed) until the runner has published the upload.
        expect(page.locator("main")).to_contain_text("Added", timeout=120_000)

        # Glosses off: the check is on the passage's own characters, not on glosses set above them.
        page.goto("/?glosses=off&q=" + quote("zyxwarble kunder"))
        first = page.locator("article.passage").filter(has_text="zyxwarble").first
        expect(first).to_contain_text("<script>alert(1)</script>")
        expect(first).to_contain_text("<img src=x onerror=alert(1)>")
        first.get_by_role("link", name="Read in the document").click()
        text = page.locator(".document-text")
        expect(text).to_contain_text("<script>alert(1)</script>")
        expect(text).to_contain_text("<img src=x onerror=alert(1)>")
        assert page.locator("main script, main img").count() == 0
        page.wait_for_timeout(300)
        assert dialogs == [], dialogs
        assert not errors, errors
    finally:
        context.close()


def test_small_text_uploads_arriving_together_are_all_taken(writer, monkeypatch):
    # A note costs a few MB for milliseconds: four clients uploading at the same moment are all answered 202.
    import webapp.writes

    real = webapp.writes.check_upload

    def slowed(data, name):  # the real check, slow enough for the four to overlap
        time.sleep(0.2)
        return real(data, name)

    monkeypatch.setattr(webapp.writes, "check_upload", slowed)
    notes = [NOTE + f"Notat nummer {i} om kundetilfredshet.\n".encode() for i in range(4)]
    answers = [None] * 4
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, writer.upload(notes[i], f"n-{i}.txt")))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a[0] for a in answers] == [202] * 4, answers
    assert writer.drain() == 4


def test_a_worker_checks_one_upload_at_a_time_one_more_waits_and_the_rest_are_503(writer, monkeypatch):
    # Extracting a 10 MB file holds 200-270 MB: four at once in one worker would pass a GB.
    import webapp.writes

    inside, most = [0], [0]
    real = webapp.writes.check_upload

    def watched(data, name):  # the real check, counted while it runs
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.2)  # long enough for the others to arrive while this one is checked
            return real(data, name)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(webapp.writes, "check_upload", watched)
    monkeypatch.setattr(webapp.writes, "SMALL_TEXT_BYTES", 0)  # the line, as a large file meets it
    notes = [NOTE + f"Notat nummer {i} om kundelojalitet.\n".encode() for i in range(4)]
    answers = [None] * 4

    def send(i: int) -> None:
        answers[i] = writer.upload(notes[i], f"note-{i}.txt")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [a[0] for a in answers]
    # A waiting upload holds a server thread: past one waiting, an upload is told to come back instead.
    assert set(statuses) <= {202, 503} and statuses.count(202) >= 2 and most[0] == 1, statuses
    for i, status in enumerate(statuses):
        if status == 503:
            assert answers[i][2]["Retry-After"] == "1"
            assert writer.upload(notes[i], f"note-{i}.txt")[0] == 202  # nothing lost: it is taken on retry

    monkeypatch.setattr(webapp.writes, "CHECK_WAIT_S", 0.1)
    turns = writer.client.application.extensions["upload_checks"]
    turns.turn.acquire()  # another upload is being checked
    try:
        status, body, headers = writer.upload(NOTE, "waiting.txt")
    finally:
        turns.turn.release()
    assert status == 503 and body["error"]["code"] == "overloaded" and "waiting.txt" in body["error"]["message"]
    assert headers["Retry-After"] == "1"
