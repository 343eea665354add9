"""Metadata in, metadata kept: an upload's form fields, checked at once; a trainer's later edit, as a job that every
read path (document, list, search result, course pack) shows once it is done."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest

from conftest import sign_in  # tests/webapp/conftest.py (this folder is not a package)
from test_webapp_writes import AUTH, NOTE, Writer, writer  # noqa: F401 - the fixture, shared

from index import versions


def patch(writer: Writer, doc_id: str, body, headers: dict | None = AUTH):
    response = writer.client.patch(f"/api/documents/{doc_id}", json=body, headers=headers or {})
    return writer._checked(response, f"/api/documents/{doc_id}", "patch")


def test_an_upload_keeps_the_metadata_it_was_given_and_its_own_file_name(writer):
    form = {"title": "Tillit i praksis", "authors": "Kari Nordmann; Ola Nordmann", "date": "2024-05",
            "publisher": "Ledernytt", "language": "nb"}
    status, queued, _ = writer.upload(NOTE, "kunde/tillit.txt", form=form)
    assert status == 202 and queued["job"]["metadata"] == {
        "title": "Tillit i praksis", "authors": ["Kari Nordmann", "Ola Nordmann"], "date": "2024-05",
        "publisher": "Ledernytt", "lang": "no"}
    writer.drain()
    _, done = writer.job(queued["job"]["id"])
    doc = writer.client.get(f"/api/documents/{done['doc_id']}").get_json()
    assert (doc["title"], doc["authors"], doc["date"], doc["publisher"], doc["lang"]) == (
        "Tillit i praksis", ["Kari Nordmann", "Ola Nordmann"], "2024-05", "Ledernytt", "no")
    assert doc["original_name"] == "tillit.txt" and doc["source"].startswith("uploads/")
    assert doc["citation"]["text"].startswith("Kari Nordmann; Ola Nordmann (2024-05). Tillit i praksis. Ledernytt.")
    page = writer.client.get("/documents").get_data(as_text=True)
    listed = list(dict.fromkeys(re.findall(r'href="/documents/([0-9a-f]{16})"', page)))
    assert listed[0] == done["doc_id"] and len(listed) > 1  # the newest first


def test_an_upload_without_metadata_is_titled_by_its_first_line_not_its_file_name(writer):
    _, queued, _ = writer.upload(NOTE, "zz-scan-0042.txt")
    writer.drain()
    doc = writer.client.get(f"/api/documents/{writer.job(queued['job']['id'])[1]['doc_id']}").get_json()
    assert doc["title"] == "Kundelojalitet i praksis" and doc["authors"] == [] and doc["date"] is None


@pytest.mark.parametrize("form, message", [
    ({"date": "May 2024"}, "date must be an ISO date"), ({"date": "2024-02-30"}, "not a calendar date"),
    ({"language": "Norwegian"}, "language must be a known language code"), ({"language": "zz"}, "not 'zz'"),
    ({"title": "x" * 201}, "title is longer than 200"), ({"isbn": "1"}, "unknown metadata field 'isbn'"),
    ({"title": ["A", "B"]}, "title is given more than once"), ({"language": "nl", "lang": "sv"}, "not both"),
])
def test_bad_upload_metadata_is_a_json_400_and_queues_nothing(writer, index_copy, form, message):
    status, body, _ = writer.upload(NOTE, "note.txt", form=form)
    assert status == 400 and body["error"]["code"] == "invalid_metadata" and message in body["error"]["message"]
    assert writer.client.get("/api/jobs", headers=AUTH).get_json()["jobs"] == []


def test_form_fields_that_are_not_utf8_and_a_second_file_are_400s_and_queue_nothing(writer, index_copy):
    boundary = "kb-test-boundary"
    parts = [b'Content-Disposition: form-data; name="authors"\r\n\r\nM\xfcller, J\xf6rg',
             b'Content-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n'
             + NOTE]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts) + b"--kb-test-boundary--\r\n"
    response = writer.client.post("/api/documents", data=body, headers=AUTH,
                                  content_type=f"multipart/form-data; boundary={boundary}")
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "invalid_metadata" and "authors" in error["message"]
    two = writer.client.post("/api/documents", headers=AUTH, content_type="multipart/form-data",
                             data={"file": [(io.BytesIO(NOTE), "a.txt"), (io.BytesIO(NOTE + b" Mer."), "b.txt")]})
    assert two.status_code == 400 and "one file per upload" in two.get_json()["error"]["message"]
    assert writer.client.get("/api/jobs", headers=AUTH).get_json()["jobs"] == []


def edited_version(writer: Writer, job: dict) -> str:
    return writer.job(job["id"])[1]["version"]


def test_a_trainer_edits_metadata_as_a_job_and_every_read_path_shows_it(writer, index_copy):
    docs = writer.client.get("/api/documents").get_json()["documents"]
    doc = next(d for d in docs if d["lang"] == "sv")
    version0 = versions.current_name(index_copy)
    change = {"authors": ["Michael Treacy", "Fred Wiersema"], "date": "1993-01", "publisher": "Harvard Business Review",
              "title": "Customer intimacy and other value disciplines"}
    status, queued, headers = patch(writer, doc["doc_id"], change)
    job = queued["job"]
    assert status == 202 and job["kind"] == "metadata" and headers["Location"] == f"/api/jobs/{job['id']}"
    assert versions.current_name(index_copy) == version0  # nothing changes before the job runs
    writer.drain()
    _, done = writer.job(job["id"])
    assert done["state"] == "done" and done["version"] != version0 and done["doc_id"] == doc["doc_id"]

    edited = writer.client.get(f"/api/documents/{doc['doc_id']}").get_json()
    assert {k: edited[k] for k in change} == change and edited["lang"] == "sv" and edited["text"]
    assert edited["chunks"] == writer.client.get(f"/api/documents/{doc['doc_id']}").get_json()["chunks"]
    listed = next(d for d in writer.client.get("/api/documents").get_json()["documents"] if d["doc_id"] == doc["doc_id"])
    assert listed["citation"] == edited["citation"] and listed["chunks"] == doc["chunks"]
    hits = writer.client.get("/api/search?q=" + quote("vad är kundintimitet") + "&lang=sv").get_json()["results"]
    assert hits and hits[0]["citation"]["authors"] == change["authors"] and hits[0]["title"] == change["title"]
    ris = writer.client.get(f"/api/pack?items=passage:{doc['doc_id']}:0&format=ris").get_data(as_text=True)
    assert "AU  - Treacy, Michael" in ris and "PY  - 1993" in ris and "PB  - Harvard Business Review" in ris

    # The same metadata again: the job is done without publishing a version that changes nothing.
    _, again, _ = patch(writer, doc["doc_id"], {"title": change["title"], "authors": change["authors"]})
    writer.drain()
    _, done = writer.job(again["job"]["id"])
    assert done["state"] == "done" and done["version"] == versions.current_name(index_copy) == edited_version(writer, job)

    # Clearing is an edit too; an empty title or an unknown field is refused at once.
    patch(writer, doc["doc_id"], {"date": None, "publisher": ""})
    writer.drain()
    cleared = writer.client.get(f"/api/documents/{doc['doc_id']}").get_json()
    assert cleared["date"] is None and cleared["publisher"] is None and cleared["authors"] == change["authors"]


@pytest.mark.parametrize("body, status, code", [
    ({"title": ""}, 400, "invalid_metadata"), ({"isbn": "1"}, 400, "invalid_metadata"), ({}, 400, "invalid_metadata"),
    (["title"], 400, "invalid_metadata"), ({"language": ""}, 400, "invalid_metadata"),
    ({"date": "1993-1-1"}, 400, "invalid_metadata"), ({"language": "xx"}, 400, "invalid_metadata"),
    ({"authors": ["", " "]}, 400, "invalid_metadata"),  # no name at all: a mistake, not a wish to clear them
])
def test_bad_metadata_edits_are_json_400s_and_queue_nothing(writer, body, status, code):
    doc_id = writer.client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    answer, error, _ = patch(writer, doc_id, body)
    assert (answer, error["error"]["code"]) == (status, code)
    assert writer.client.get("/api/jobs", headers=AUTH).get_json()["jobs"] == []


def test_metadata_edits_need_the_token_and_a_known_document(writer):
    doc_id = writer.client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    assert patch(writer, doc_id, {"title": "x"}, headers=None)[0] == 401
    assert patch(writer, "0123456789abcdef", {"title": "x"})[0] == 404
    response = writer.client.patch(f"/api/documents/{doc_id}", data="title=x", headers=AUTH,
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_the_document_page_edits_metadata_without_javascript(writer):
    doc = writer.client.get("/api/documents").get_json()["documents"][0]
    sign_in(writer.client)
    page = writer.client.get(f"/documents/{doc['doc_id']}").get_data(as_text=True)
    assert 'name="authors"' in page and f'value="{doc["title"]}"' in page
    form = {"token": AUTH["Authorization"].split()[1], "title": doc["title"], "authors": "Jane Doe; John Roe",
            "date": "2020", "publisher": "", "language": doc["lang"]}
    response = writer.client.post(f"/documents/{doc['doc_id']}/metadata", data=form)
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    writer.drain()
    page = writer.client.get(f"/documents/{doc['doc_id']}").get_data(as_text=True)
    assert "Jane Doe; John Roe" in page and "Cite as: Jane Doe; John Roe (2020)." in page
