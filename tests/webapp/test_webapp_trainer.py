"""Trainer sign-in and CSRF: the session cookie's flags, forged cross-site posts refused, no open redirects."""
from __future__ import annotations

import os
import re
import time
import types
from pathlib import Path

import pytest

from ingest.engines import get_engine
from ingest.jobs import open_queue
from ingest.jobs.runner import Runner
from webapp import create_app, trainer

from conftest import ADMIN_TOKEN, sign_in  # tests/webapp/conftest.py (this folder is not a package)
from tests.configs import config_for

FORM = {"id": "five-forces", "label_en": "Five forces", "label_sv": "Fem krafter", "label_nl": "Vijf krachten",
        "definition_en": "Porter's model of competition.", "related": ["competitive-advantage"]}


@pytest.fixture
def client(index_copy: Path):
    return create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True}).test_client()


def _sign_in(client) -> str:
    response = client.post("/signin", data={"token": ADMIN_TOKEN, "next": "/concepts/new"})
    assert response.status_code == 303 and response.headers["Location"] == "/concepts/new"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    page = client.get("/concepts/new").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page).group(1)


def _queued(index_dir: Path) -> int:
    return len(open_queue(config_for(index_dir)).recent()) if (index_dir / "jobs").exists() else 0


def test_concept_pages_need_a_signed_in_trainer(client):
    assert client.get("/concepts/new").headers["Location"] == "/signin?next=/concepts/new"
    assert client.get("/concepts/customer-loyalty/edit").status_code == 303
    assert client.post("/signin", data={"token": "wrong"}).status_code == 403
    assert "kb_trainer" not in client.get("/concepts").headers.get("Set-Cookie", "")


# What each page shows a trainer and no one else (a pattern of its write controls).
TRAINER_CONTROLS = {
    "/documents": ['name="file" type="file"', ">Delete<"],
    "/upload": ['name="file" type="file"'],
    "/documents/{doc}": ["Edit title, authors", 'name="authors"'],
    "/documents/{doc}/delete": ["Delete permanently"],
    "/suggestions": ["Accept or dismiss", "Accept as a concept", ">Dismiss<"],
    "/concepts": ["Add a concept"],
    "/concepts/customer-lock-on": ["Edit this concept", "Remove this concept"],
}


def test_only_a_signed_in_trainer_sees_write_controls_others_a_sign_in_link(client):
    doc = client.get("/api/documents").get_json()["documents"][0]["doc_id"]
    for path, controls in TRAINER_CONTROLS.items():
        page = client.get(path.format(doc=doc)).get_data(as_text=True)
        assert not [c for c in controls if c in page] and 'type="password"' not in page, path
        assert ">Sign in to edit</a>" in page, path
    assert ">Upload</a>" not in client.get("/documents").get_data(as_text=True)
    sign_in(client)
    for path, controls in TRAINER_CONTROLS.items():
        page = client.get(path.format(doc=doc)).get_data(as_text=True)
        assert all(c in page for c in controls) and "Sign in to edit" not in page, path
    # A server without writes offers neither.
    closed = create_app({"KB_INDEX_DIR": client.application.config["KB"].index_dir, "TESTING": True}).test_client()
    for path in ("/documents", f"/documents/{doc}", "/suggestions", "/concepts"):
        page = closed.get(path).get_data(as_text=True)
        assert "Sign in to edit" not in page and 'name="file"' not in page, path


def test_a_forged_cross_site_post_is_refused_and_changes_nothing(client, index_copy):
    csrf = _sign_in(client)
    for forged in ({**FORM}, {**FORM, "csrf_token": "0" * 64}, {**FORM, "csrf_token": csrf[:-1] + "x"}):
        response = client.post("/concepts/new", data=forged)
        assert response.status_code == 403 and "security token" in response.get_data(as_text=True)
    assert client.post("/concepts/customer-loyalty/delete", data={}).status_code == 403
    assert client.post("/upload", data={}).status_code == 403
    # The JSON API with the cookie but without the header is refused as well.
    assert client.delete("/api/concepts/customer-loyalty").status_code == 403
    assert _queued(index_copy) == 0
    response = client.post("/concepts/new", data={**FORM, "csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    assert _queued(index_copy) == 1


def test_a_refused_change_is_explained_on_the_form_as_typed(client, index_copy):
    csrf = _sign_in(client)
    response = client.post("/concepts/new", data={**FORM, "label_sv": "Kundintimitet", "csrf_token": csrf})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'role="alert"' in page and "customer-intimacy" in page
    assert 'value="Kundintimitet"' in page and 'value="Vijf krachten"' in page
    assert _queued(index_copy) == 0


def test_the_edit_form_saved_after_another_change_is_refused_not_written_over_it(client, index_copy):
    csrf = _sign_in(client)
    page = client.get("/concepts/customer-loyalty/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\w+)"', page).group(1)
    form = {"label_en": "Customer loyalty", "definition_en": "Customers who come back.", "csrf_token": csrf}
    stale = client.post("/concepts/customer-loyalty/edit", data={**form, "version": "0" * len(version)})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 412 and 'role="alert"' in text and "changed since it was read" in text
    assert 'value="Customers who come back."' in text or "Customers who come back." in text  # as typed
    assert _queued(index_copy) == 0
    saved = client.post("/concepts/customer-loyalty/edit", data={**form, "version": version})
    assert saved.status_code == 303 and _queued(index_copy) == 1


def test_a_concept_edited_again_before_its_first_edit_runs_is_saved_on_the_form_as_queued(client, index_copy):
    # The form shows the concept as the queued edit leaves it, and carries that version: saving it again is no
    # conflict (the check reads the concept as the queue leaves it), while the served version's is (412).
    csrf = _sign_in(client)
    served = re.search(r'name="version" value="(\w+)"', client.get("/concepts/customer-loyalty/edit")
                       .get_data(as_text=True)).group(1)
    form = {"label_en": "Customer loyalty", "definition_en": "Customers who come back.", "csrf_token": csrf}
    assert client.post("/concepts/customer-loyalty/edit", data={**form, "version": served}).status_code == 303
    page = client.get("/concepts/customer-loyalty/edit").get_data(as_text=True)
    queued = re.search(r'name="version" value="(\w+)"', page).group(1)
    assert queued != served and "Customers who come back." in page
    again = {**form, "definition_en": "Customers who come back, again and again."}
    assert client.post("/concepts/customer-loyalty/edit", data={**again, "version": served}).status_code == 412
    assert client.post("/concepts/customer-loyalty/edit", data={**again, "version": queued}).status_code == 303
    assert Runner(config_for(index_copy), get_engine()).drain() == 2
    concept = client.get("/api/concepts/customer-loyalty").get_json()
    assert concept["definitions"]["en"] == "Customers who come back, again and again."


def test_a_concept_whose_addition_is_queued_is_edited_on_its_form_as_queued(client, index_copy):
    csrf = _sign_in(client)
    assert client.post("/concepts/new", data={**FORM, "csrf_token": csrf}).status_code == 303
    opened = client.get("/concepts/five-forces")  # its page: the job's, until it is done
    assert opened.status_code == 303 and opened.headers["Location"].startswith("/jobs/")
    page = client.get("/concepts/five-forces/edit")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Vijf krachten"' in text  # its job has not run: the form as queued
    version = re.search(r'name="version" value="(\w+)"', text).group(1)
    form = {**{k: v for k, v in FORM.items() if k != "id"}, "label_de": "Fünf Kräfte", "csrf_token": csrf}
    assert client.post("/concepts/five-forces/edit", data={**form, "version": version}).status_code == 303
    assert Runner(config_for(index_copy), get_engine()).drain() == 2
    concept = client.get("/api/concepts/five-forces").get_json()
    assert concept["labels"]["de"] == "Fünf Kräfte" and concept["labels"]["nl"] == "Vijf krachten"
    assert client.get("/concepts/five-forces").status_code == 200
    assert client.get("/concepts/no-such-concept/edit").status_code == 404


def test_the_form_shows_english_and_the_concepts_languages_the_others_on_request(client):
    _sign_in(client)
    new = client.get("/concepts/new").get_data(as_text=True)
    shown, _, offered = new.partition('<details class="more-languages"')
    assert re.findall(r'id="label-(\w+)"', shown) == ["en"]
    assert {"sv", "nl", "de", "fr"} <= set(re.findall(r'id="label-(\w+)"', offered))
    edit = client.get("/concepts/customer-intimacy/edit").get_data(as_text=True)
    shown, _, offered = edit.partition('<details class="more-languages"')
    with_label = re.findall(r'id="label-(\w+)"[^>]* value="[^"]', edit)
    assert with_label[0] == "en" and set(with_label) <= set(re.findall(r'id="label-(\w+)"', shown))


def test_sign_out_needs_the_csrf_token_and_the_session_ends(client):
    csrf = _sign_in(client)
    assert client.post("/signout").status_code == 403
    page = client.get("/documents?page=1").get_data(as_text=True)
    assert 'name="next" value="/documents?page=1"' in page  # the sign-out form says where it was sent from
    out = client.post("/signout", data={"csrf_token": csrf, "next": "/documents?page=1"})
    assert out.status_code == 303 and out.headers["Location"] == "/documents?page=1"  # back where the trainer was
    assert client.get("/concepts/new").status_code == 303


@pytest.mark.parametrize("sent_from", ["/concepts/new", "/concepts/customer-loyalty/edit", "//evil.example/x",
                                       "/no/such/page", "/signout"])
def test_signing_out_on_a_trainer_page_or_from_elsewhere_lands_on_the_concepts_page(client, sent_from):
    csrf = _sign_in(client)
    out = client.post("/signout", data={"csrf_token": csrf, "next": sent_from})
    assert out.status_code == 303 and out.headers["Location"] == "/concepts"


OFF_SITE = ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/x", "/\r/x",
            "/ /evil.example", "/\u200b/evil.example", "/\u2028/x", "/\x00/x", "/\x85/x", "/%2F/evil.example",
            "/%5Cevil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "evil.example", "", " /x", "\\/evil"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_site(client, target):
    response = client.post("/signin", data={"token": ADMIN_TOKEN, "next": target})
    assert (response.status_code, response.headers["Location"]) == (303, "/concepts")
    page = client.get("/signin", query_string={"next": target})  # 400 for a control character in the URL itself
    assert page.status_code in (200, 400) and "evil" not in page.get_data(as_text=True)


# The form field as a browser percent-encodes it: what the issue sent (a tab became //evil.example, a newline a 500).
@pytest.mark.parametrize("raw", ["next=/%09/evil.example", "next=/%0A/x", "next=/%0D%0ASet-Cookie:x=1", "next=%2F%2Fevil"])
def test_sign_in_with_encoded_control_characters_falls_back_to_the_concepts_page(client, raw):
    response = client.post("/signin", data=f"token={ADMIN_TOKEN}&{raw}",
                           content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.headers["Location"]) == (303, "/concepts")


@pytest.mark.parametrize("target", ["/ok/path?x=1", "/concepts/new", "/concepts/kundn%C3%A4he/edit", "/search?q=a+b"])
def test_sign_in_returns_to_a_page_of_this_site(client, target):
    response = client.post("/signin", data={"token": ADMIN_TOKEN, "next": target})
    assert (response.status_code, response.headers["Location"]) == (303, target)


def test_a_session_from_another_token_is_not_valid(index_copy, client):
    _sign_in(client)
    cookie = client.get_cookie("kb_trainer").value
    other = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": "another-token", "TESTING": True})
    stranger = other.test_client()
    stranger.set_cookie("kb_trainer", cookie)
    assert stranger.get("/concepts/new").status_code == 303


def _dismissed(client, suggestion_id: str) -> bool:
    return client.get(f"/api/suggestions/{suggestion_id}").get_json()["decision"] is not None


def test_a_cookie_kept_from_before_sign_out_opens_no_trainer_page_and_makes_no_change(client, index_copy):
    csrf = _sign_in(client)
    cookie = client.get_cookie("kb_trainer").value
    assert client.get("/concepts/customer-lock-on/edit").status_code == 200
    suggestion = client.get("/api/suggestions").get_json()["suggestions"][0]["id"]
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 303
    assert client.get_cookie("kb_trainer") is None  # the browser forgets it; a copy is replayed below
    client.set_cookie("kb_trainer", cookie)
    page = client.get("/concepts/customer-lock-on/edit")
    assert (page.status_code, page.headers["Location"]) == (303, "/signin?next=/concepts/customer-lock-on/edit")
    assert client.post("/concepts/new", data={**FORM, "csrf_token": csrf}).headers["Location"].startswith("/signin")
    assert client.post(f"/suggestions/{suggestion}/dismiss", data={"csrf_token": csrf}).status_code == 401
    refused = client.delete("/api/concepts/customer-loyalty", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    assert not _dismissed(client, suggestion) and _queued(index_copy) == 0
    assert "Sign out" not in client.get("/concepts").get_data(as_text=True)


def test_signing_out_on_one_app_ends_the_session_on_every_app_sharing_the_index_folder(index_copy):
    apps = [create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
            for _ in range(2)]
    here, there = (app.test_client() for app in apps)
    csrf = _sign_in(here)
    there.set_cookie("kb_trainer", here.get_cookie("kb_trainer").value)
    assert there.get("/concepts/customer-lock-on/edit").status_code == 200
    assert here.post("/signout", data={"csrf_token": csrf}).status_code == 303
    assert there.get("/concepts/customer-lock-on/edit").status_code == 303
    suggestion = there.get("/api/suggestions").get_json()["suggestions"][0]["id"]
    assert there.post(f"/suggestions/{suggestion}/dismiss", data={"csrf_token": csrf}).status_code == 401
    assert not _dismissed(there, suggestion)


def test_signing_out_ends_only_that_session_and_forgets_markers_of_expired_ones(client, index_copy):
    _sign_in(client)
    other = client.application.test_client()
    csrf = _sign_in(other)
    revoked = index_copy / "sessions" / "revoked"
    old = revoked / ("0" * 32)
    old.parent.mkdir(parents=True)
    old.touch()
    os.utime(old, (time.time() - 9 * 3600,) * 2)  # signed out longer ago than a session lasts
    session_id = other.get_cookie("kb_trainer").value.split(".")[1]
    assert other.post("/signout", data={"csrf_token": csrf}).status_code == 303
    assert [p.name for p in revoked.iterdir()] == [session_id]
    assert client.get("/concepts/new").status_code == 200  # the other browser's session goes on


def test_a_session_ends_eight_hours_after_sign_in_however_busy(client, monkeypatch):
    _sign_in(client)
    cookie = client.get_cookie("kb_trainer").value
    signed_in_at = time.time()
    monkeypatch.setattr(trainer, "time", types.SimpleNamespace(time=lambda: signed_in_at + trainer.SESSION_S))
    client.set_cookie("kb_trainer", cookie)  # as a browser that ignored the cookie's Max-Age would send it
    assert client.get("/concepts/new").status_code == 303
