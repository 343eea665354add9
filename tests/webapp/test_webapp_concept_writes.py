"""Trainers' concept changes over the API: token, validation in the request (400/404/409, nothing queued), jobs.

Every answer is checked against /openapi.json; the queued jobs run with the real runner in this process.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from index import versions
from ingest.engines import get_engine
from ingest.jobs import open_queue
from ingest.jobs.runner import Runner
from webapp import create_app

from conftest import ADMIN_TOKEN  # tests/webapp/conftest.py (this folder is not a package)
from tests.configs import config_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BODY = {
    "id": "five-forces",
    "labels": {"en": "Five forces", "sv": "Fem krafter", "nl": "Vijf krachten"},
    "aliases": {"en": ["Porter's five forces"]},
    "definitions": {"en": "Porter's model of the five competitive forces that shape every industry."},
    "broader": None,
    "related": ["competitive-advantage"],
    "contrasts": [],
}


class Trainer:
    """A test client with the token, checking each answer against the spec."""

    def __init__(self, client, check_spec) -> None:
        self.client, self.check_spec = client, check_spec

    def send(self, method: str, path: str, body=None, headers: dict | None = AUTH, raw: str | None = None,
             content_type: str = "application/json"):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.client.open(path, method=method, data=data, headers=headers or {},
                                    content_type=content_type if data is not None else None)
        answer = response.get_json()
        self.check_spec(path.split("?")[0], response.status_code, response.content_type, answer, method=method.lower())
        return response.status_code, answer, response.headers

    def drain(self) -> int:
        return Runner(config_for(self.client.application.config["KB"].index_dir), get_engine()).drain()


@pytest.fixture
def trainer(index_copy: Path, check_spec) -> Trainer:
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    return Trainer(app.test_client(), check_spec)


def test_a_change_made_on_a_version_since_changed_is_refused_with_412(trainer, index_copy):
    """Two trainers read one concept; the second to save is told it changed (If-Match) at once, though the first's
    edit is still queued (its check reads the concept as the queued changes leave it), and no edit is lost."""
    status, concept, headers = trainer.send("GET", "/api/concepts/customer-loyalty")
    tag = headers["ETag"]
    assert status == 200 and tag.startswith('"') and trainer.send("GET", "/api/concepts/customer-loyalty")[2]["ETag"] == tag
    body = {k: concept[k] for k in BODY}
    first = {**body, "aliases": {**body["aliases"], "en": ["first trainer's alias"]}}
    second = {**body, "aliases": {**body["aliases"], "en": ["second trainer's alias"]}}
    one = trainer.send("PUT", "/api/concepts/customer-loyalty", first, {**AUTH, "If-Match": tag})
    two = trainer.send("PUT", "/api/concepts/customer-loyalty", second, {**AUTH, "If-Match": f"W/{tag}"})
    assert (one[0], two[0], two[1]["error"]["code"]) == (202, 412, "precondition_failed")  # both on the served one
    assert trainer.drain() == 1
    status, now, headers = trainer.send("GET", "/api/concepts/customer-loyalty")
    assert now["aliases"]["en"] == ["first trainer's alias"] and headers["ETag"] != tag
    status, answer, _ = trainer.send("PUT", "/api/concepts/customer-loyalty", second, {**AUTH, "If-Match": tag})
    assert (status, answer["error"]["code"]) == (412, "precondition_failed") and "read it again" in answer["error"]["message"]
    assert trainer.send("DELETE", "/api/concepts/customer-loyalty", None, {**AUTH, "If-Match": tag})[0] == 412
    for malformed in ('"a", "b"', f"{tag};q=1", f"{tag} \"x\"", tag[:-1], '""', '"', ",", "*, " + tag, "",
                      tag.strip('"'), f"{tag}, {tag}", '"\u00e9"'.encode().decode("latin-1")):  # bare, twice, not ASCII
        status, answer, _ = trainer.send("PUT", "/api/concepts/customer-loyalty", second, {**AUTH, "If-Match": malformed})
        assert (status, answer["error"]["code"]) == (400, "invalid_concept"), malformed  # never as if none were sent
    assert trainer.send("PUT", "/api/concepts/customer-loyalty", second, {**AUTH, "If-Match": headers["ETag"]})[0] == 202
    assert trainer.send("DELETE", "/api/concepts/collective-intimacy", None, {**AUTH, "If-Match": "*"})[0] == 202
    assert trainer.drain() == 2 and trainer.send("GET", "/api/concepts/collective-intimacy")[0] == 404
    assert trainer.send("GET", "/api/concepts/customer-loyalty")[1]["aliases"]["en"] == ["second trainer's alias"]


def _nothing_queued(index_dir: Path) -> bool:
    return not (index_dir / "jobs").exists() or not open_queue(config_for(index_dir)).recent()


def test_a_concept_is_added_edited_and_removed_through_jobs(trainer, index_copy):
    status, body, headers = trainer.send("POST", "/api/concepts", BODY)
    assert status == 202 and body["concepts"] == ["five-forces"]
    assert body["job"]["kind"] == "concept" and body["job"]["concept"] == {"action": "add", "id": "five-forces"}
    assert headers["Location"] == f"/api/jobs/{body['job']['id']}"
    assert trainer.client.get("/api/concepts/five-forces").status_code == 404  # not before its job ran
    assert trainer.drain() == 1
    job = trainer.send("GET", f"/api/jobs/{body['job']['id']}")[1]
    assert job["state"] == "done" and job["version"] == versions.current_name(index_copy)
    status, concept, _ = trainer.send("GET", "/api/concepts/five-forces")
    assert status == 200 and {k: concept[k] for k in BODY} == BODY  # GET answers what POST took
    for label in BODY["labels"].values():
        matches = trainer.send("GET", f"/api/concepts/lookup?q={quote(label)}")[1]["matches"]
        assert matches[0]["id"] == "five-forces", (label, matches)

    edited = {**concept, "labels": {**BODY["labels"], "de": "Fünf Kräfte"}}  # the GET answer, changed, goes back
    status, body, _ = trainer.send("PUT", "/api/concepts/five-forces", edited)
    assert status == 202 and body["job"]["concept"] == {"action": "replace", "id": "five-forces"}
    trainer.drain()
    assert trainer.send("GET", "/api/concepts/five-forces")[1]["labels"]["de"] == "Fünf Kräfte"
    assert trainer.send("GET", "/api/concepts/lookup?q=F%C3%BCnf%20Kr%C3%A4fte")[1]["matches"][0]["id"] == "five-forces"

    status, body, _ = trainer.send("DELETE", "/api/concepts/five-forces")
    assert status == 202 and body["concepts"] == ["five-forces"]
    trainer.drain()
    assert trainer.send("GET", "/api/concepts/five-forces")[0] == 404
    assert all(c["id"] != "five-forces" for c in trainer.send("GET", "/api/concepts")[1]["concepts"])


def test_trainers_adding_one_label_at_the_same_moment_are_not_all_told_yes(index_copy):
    # Checked in the queue's transaction: of four clients sending at once, one is queued, the others refused.
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    start = threading.Barrier(4)

    def post(n: int) -> int:
        client = app.test_client()
        start.wait()
        body = {"id": f"blarg-{n}", "labels": {"en": "Blarg metric"}, "definitions": {"en": "A test concept."}}
        return client.post("/api/concepts", json=body, headers=AUTH).status_code

    with ThreadPoolExecutor(4) as pool:
        answers = sorted(pool.map(post, range(4)))
    assert answers == [202, 409, 409, 409]
    assert len(open_queue(config_for(index_copy)).pending_of("concept")) == 1


def test_a_check_sees_a_concept_whose_job_finished_while_the_request_waited_for_the_queue(trainer):
    # A request loads the served version as it starts, then waits for the queue's lock (seconds under load); a job
    # the runner marks done meanwhile is no longer queued, so the check must read the newest published catalogue.
    from index.concepts.edit import ADD, ConceptChange
    from index.errors import ConceptConflict
    from webapp.kb import get_kb

    assert trainer.send("POST", "/api/concepts", BODY)[0] == 202
    with trainer.client.application.app_context():
        kb = get_kb()  # as the waiting request loaded it: before the addition's version
        assert "five-forces" not in kb.catalogue()
        assert trainer.drain() == 1  # published and marked done: no longer among the queued changes
        twin = {**BODY, "id": "porter", "aliases": {}}  # another id, the same label
        with pytest.raises(ConceptConflict, match="Five forces"):
            kb.check_concept_change(ConceptChange(ADD, "porter", twin), queued=[])


def test_edits_made_on_one_version_are_refused_at_once_but_the_first(trainer):
    # Six clients read one version and each send an edit with its ETag: the first is queued; the others were made on
    # the version that queued edit replaces, so they are refused now (412), not when their jobs run.
    tag = trainer.send("GET", "/api/concepts/customer-loyalty")[2]["ETag"]
    body = trainer.send("GET", "/api/concepts/customer-loyalty")[1]
    edit = {key: body[key] for key in ("labels", "aliases", "definitions", "broader", "related", "contrasts")}
    answers = [trainer.send("PUT", "/api/concepts/customer-loyalty",
                            {**edit, "labels": {**edit["labels"], "de": f"Kundentreue {n}"}},
                            headers={**AUTH, "If-Match": tag})[:2] for n in range(6)]
    assert [status for status, _ in answers] == [202] + [412] * 5
    assert all(answer["error"]["code"] == "precondition_failed" for _, answer in answers[1:])
    assert trainer.drain() == 1
    assert trainer.send("GET", "/api/concepts/customer-loyalty")[1]["labels"]["de"] == "Kundentreue 0"


def test_a_concept_change_beyond_the_most_queued_is_refused_not_checked_against_some(trainer, monkeypatch):
    # Each queued change is applied before a new one is checked: past the bound, 429 with Retry-After, nothing
    # queued, rather than a check against only the first ones (which said yes to a label a later one takes).
    from webapp import concept_writes

    monkeypatch.setattr(concept_writes, "MAX_AHEAD", 2)

    def concept(n: int) -> dict:
        return {"id": f"queued-{n}", "labels": {"en": f"Queued concept {n}"}, "definitions": {"en": "A test concept."}}

    assert [trainer.send("POST", "/api/concepts", concept(n))[0] for n in range(2)] == [202, 202]
    status, answer, headers = trainer.send("POST", "/api/concepts", concept(2))
    assert (status, answer["error"]["code"]) == (429, "queue_full") and int(headers["Retry-After"]) > 0
    assert "2 concept changes are queued" in answer["error"]["message"]
    assert trainer.drain() == 2
    assert trainer.send("POST", "/api/concepts", concept(2))[0] == 202


def test_the_spec_requires_an_id_to_add_a_concept_but_not_to_replace_one(spec):
    def required(method: str, path: str) -> list[str]:
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["required"]
    assert required("post", "/api/concepts") == ["id", "labels", "definitions"]
    assert required("put", "/api/concepts/{concept_id}") == ["labels", "definitions"]


def test_a_concept_whose_addition_is_queued_can_be_edited_and_removed_at_once(trainer, index_copy):
    """Changes are checked against the catalogue the queued ones will make, not only the one served."""
    status, first, _ = trainer.send("POST", "/api/concepts", BODY)
    again = trainer.send("POST", "/api/concepts", BODY)
    assert status == again[0] == 202 and again[1]["job"]["id"] == first["job"]["id"]  # sent twice: one job
    edited = {**BODY, "labels": {**BODY["labels"], "de": "Fünf Kräfte"}}
    status, body, _ = trainer.send("PUT", "/api/concepts/five-forces", edited)
    assert status == 202 and body["concepts"] == ["five-forces"]
    # Refused at once where the queued addition makes it wrong: its id or label taken by another concept.
    status, answer, _ = trainer.send("POST", "/api/concepts", {**BODY, "labels": {"en": "Porter"}})
    assert (status, answer["error"]["code"]) == (409, "concept_conflict")
    status, answer, _ = trainer.send("POST", "/api/concepts", {**BODY, "id": "porter", "labels": {"en": "Five forces"}})
    assert (status, answer["error"]["code"]) == (409, "concept_conflict")
    assert trainer.drain() == 2
    assert trainer.send("GET", "/api/concepts/five-forces")[1]["labels"]["de"] == "Fünf Kräfte"
    porter = {"id": "porter-model", "labels": {"en": "Porter model"}, "definitions": {"en": "A model of Porter's."}}
    assert trainer.send("POST", "/api/concepts", porter)[0] == 202
    assert trainer.send("DELETE", "/api/concepts/porter-model")[0] == 202
    assert trainer.drain() == 2 and trainer.send("GET", "/api/concepts/porter-model")[0] == 404


@pytest.mark.parametrize("method, path, body, status, code, words", [
    ("POST", "/api/concepts", {**BODY, "id": "customer-loyalty"}, 409, "concept_conflict", ["customer-loyalty"]),
    ("POST", "/api/concepts", {**BODY, "labels": {"en": "Five forces", "sv": "Kundlojalitet"}}, 409,
     "concept_conflict", ["five-forces", "sv", "customer-loyalty"]),
    ("POST", "/api/concepts", {**BODY, "labels": {"sv": "Fem krafter"}}, 400, "invalid_concept", ["labels.en"]),
    ("POST", "/api/concepts", {**BODY, "labels": {"en": "Five forces", "tlh": "x"}}, 400, "invalid_concept",
     ["five-forces", "'tlh'"]),
    ("POST", "/api/concepts", {**BODY, "broader": "five-forces"}, 400, "invalid_concept", ["five-forces", "cycle"]),
    ("POST", "/api/concepts", {**BODY, "related": ["ghost"]}, 400, "invalid_concept", ["five-forces", "ghost"]),
    ("POST", "/api/concepts", {**BODY, "id": "lookup"}, 400, "invalid_concept", ["lookup", "reserved"]),
    ("POST", "/api/concepts", [BODY], 400, "invalid_concept", ["JSON object"]),
    ("POST", "/api/concepts", {k: v for k, v in BODY.items() if k != "id"}, 400, "invalid_concept", ["'id'"]),
    ("PUT", "/api/concepts/value-disciplines", {**BODY, "id": "value-disciplines", "broader": "product-leadership"},
     400, "invalid_concept", ["value-disciplines", "cycle"]),
    ("PUT", "/api/concepts/customer-loyalty", BODY, 400, "invalid_concept", ["cannot change"]),
    ("PUT", "/api/concepts/no-such-concept", BODY, 404, "not_found", ["no-such-concept"]),
    ("DELETE", "/api/concepts/no-such-concept", None, 404, "not_found", ["no-such-concept"]),
    ("DELETE", "/api/concepts/value-disciplines", None, 409, "concept_conflict", ["narrower"]),
])
def test_a_refused_change_is_answered_at_once_and_queues_nothing(trainer, index_copy, method, path, body, status,
                                                                  code, words):
    got, answer, _ = trainer.send(method, path, body)
    assert (got, answer["error"]["code"]) == (status, code), answer
    for word in words:
        assert word in answer["error"]["message"]
    assert _nothing_queued(index_copy)


@pytest.mark.parametrize("method, path", [("POST", "/api/concepts"), ("PUT", "/api/concepts/customer-loyalty"),
                                          ("POST", "/api/suggestions/s-0/accept")])
def test_deep_or_oversized_json_bodies_are_refused_clearly(trainer, index_copy, method, path):
    status, answer, _ = trainer.send(method, path, raw="[" * 100_000 + "]" * 100_000)
    assert (status, answer["error"]["code"]) == (400, "invalid_json") and "32 levels" in answer["error"]["message"]
    status, answer, _ = trainer.send(method, path, raw='{"a": ' * 100_000)  # unbalanced, as deep
    assert (status, answer["error"]["code"]) == (400, "invalid_json")
    status, answer, _ = trainer.send(method, path, raw=json.dumps({**BODY, "padding": "x" * 2_000_000}))
    assert (status, answer["error"]["code"]) == (413, "request_entity_too_large")
    # Brackets inside strings are text, not depth.
    status, answer, _ = trainer.send(method, path, raw=json.dumps({**BODY, "id": "[" * 1000 + '\\"{'}))
    assert status in (400, 404) and answer["error"]["code"] != "invalid_json"
    assert _nothing_queued(index_copy)


@pytest.mark.parametrize("method, path", [("POST", "/api/concepts"), ("PUT", "/api/concepts/customer-loyalty"),
                                          ("POST", "/api/suggestions/s-0/accept"),
                                          ("PATCH", "/api/documents/0000000000000000")])
@pytest.mark.parametrize("escape, named", [("\\ud800", "surrogate U+D800"), ("\\udfff", "surrogate U+DFFF"),
                                           ("\\u0000", "control character U+0000"),
                                           ("\\u001b", "control character U+001B")])
def test_json_text_no_encoder_writes_is_refused_not_a_500(trainer, index_copy, method, path, escape, named):
    """A lone surrogate passes json.loads but fails every later encode (hashing the change: a 500); a control
    character is refused as in query parameters. Keys are read like values."""
    for raw in (json.dumps(BODY)[:-1] + f', "title": "bad {escape} text"}}',
                '{"labels": {"en": ["x", "' + escape + '"]}}', '{"' + escape + '": 1}'):
        status, answer, _ = trainer.send(method, path, raw=raw)
        assert (status, answer["error"]["code"]) == (400, "invalid_json") and named in answer["error"]["message"]
    assert _nothing_queued(index_copy)
    # A character outside the BMP, escaped as a surrogate pair, is text.
    status, answer, _ = trainer.send(method, path, raw=json.dumps({**BODY, "title": "\U0001F600"}))
    assert "invalid_json" not in json.dumps(answer)


def test_bodies_that_are_not_json_and_missing_tokens_are_refused(trainer, index_copy):
    assert trainer.send("POST", "/api/concepts", raw="id=x", content_type="application/x-www-form-urlencoded")[0] == 415
    status, answer, _ = trainer.send("POST", "/api/concepts", raw="{not json")
    assert (status, answer["error"]["code"]) == (400, "invalid_json")
    for constant in ("NaN", "Infinity", "-Infinity"):  # Python's parser takes them; JSON has none
        status, answer, _ = trainer.send("POST", "/api/concepts", raw=json.dumps(BODY)[:-1] + f', "x": {constant}}}')
        assert (status, answer["error"]["code"]) == (400, "invalid_json") and constant in answer["error"]["message"]
    # A member given twice (which one holds?) and a number of 5,000 digits are named, not Python's own limits.
    for raw, named in ((json.dumps(BODY)[:-1] + ', "id": "other"}', "'id' is given more than once"),
                       (json.dumps(BODY)[:-1] + ', "x": ' + "9" * 5000 + "}", "5000 digits")):
        status, answer, _ = trainer.send("POST", "/api/concepts", raw=raw)
        assert (status, answer["error"]["code"]) == (400, "invalid_json") and named in answer["error"]["message"]
        assert "set_int_max_str_digits" not in answer["error"]["message"]
    assert trainer.send("POST", "/api/concepts", BODY, headers=None)[0] == 401
    assert trainer.send("PUT", "/api/concepts/customer-loyalty", BODY, headers={"Authorization": "Bearer x"})[0] == 403
    assert trainer.send("DELETE", "/api/concepts/customer-loyalty", headers=None)[0] == 401
    assert _nothing_queued(index_copy)


def test_concept_writes_are_403_when_writes_are_off(index_copy, check_spec):
    client = create_app({"KB_INDEX_DIR": str(index_copy), "TESTING": True}).test_client()
    status, answer, _ = Trainer(client, check_spec).send("POST", "/api/concepts", BODY)
    assert (status, answer["error"]["code"]) == (403, "writes_disabled")
