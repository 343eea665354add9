"""Suggested concepts over the API: listing (per document), dismissing and accepting with the admin token.

Every answer is checked against /openapi.json; an accepted suggestion's concept job runs with the real runner.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

from index import suggestions
from ingest.engines import get_engine
from ingest.jobs.runner import Runner
from webapp import concept_writes, create_app

from conftest import ADMIN_TOKEN, sign_in  # tests/webapp/conftest.py (this folder is not a package)
from tests.configs import config_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def trainer(index_copy: Path, check_spec):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    client = app.test_client()

    def send(method: str, path: str, body=None, headers: dict | None = AUTH):
        data = json.dumps(body) if body is not None else None
        response = client.open(path, method=method, data=data, headers=headers or {},
                               content_type="application/json" if data is not None else None)
        answer = response.get_json()
        check_spec(path.split("?")[0], response.status_code, response.content_type, answer, method=method.lower())
        return response.status_code, answer

    send.client = client
    return send


def test_every_seed_document_has_cited_suggestions(api, kb):
    _, body = api("/api/suggestions", 200)
    assert body["suggestions"] and body["version"] == kb.version
    texts = {c["chunk_id"]: c for d in kb.documents() for c in kb.document(d["doc_id"])["chunks"]}
    for doc in kb.documents():
        _, mine = api(f"/api/suggestions?doc_id={doc['doc_id']}", 200)
        # A short article whose concepts the catalogue already names may get none: never padded with weak words.
        assert len(mine["suggestions"]) <= 20, doc["title"]
        scores = [next(d["score"] for d in s["documents"] if d["doc_id"] == doc["doc_id"]) for s in mine["suggestions"]]
        assert scores == sorted(scores, reverse=True)  # best in this document first
        for s in mine["suggestions"]:
            assert s["passages"], s["labels"]
            full = kb.document(s["passages"][0]["doc_id"])
            chunk = texts[s["passages"][0]["chunk_id"]]
            p = s["passages"][0]
            assert full["text"][chunk["start"]:chunk["end"]][p["start"]:p["end"]] == p["text"]
            # Grounded in whole sentences of the article, which the definition is drafted from.
            assert all(q["text"] in q["sentence"] for q in s["passages"])
            assert " ".join(p["sentence"].split()) in " ".join(full["text"].split())
            assert s["definitions"][p["lang"]] == p["sentence"]


def test_a_suggestion_never_repeats_a_catalogue_term(kb):
    known = {t.text.casefold() for t in kb.catalogue().all_terms()}
    assert not [s["labels"] for s in kb.suggestions() if any(v.casefold() in known for v in s["labels"].values())]


def test_unknown_document_and_suggestion_are_404(api, trainer):
    api("/api/suggestions?doc_id=nope", 404)
    api("/api/suggestions/s-000000000000", 404)
    assert trainer("POST", "/api/suggestions/s-000000000000/dismiss")[0] == 404


def test_dismissing_needs_the_token_and_hides_the_suggestion_for_good(trainer, index_copy):
    _, listed = trainer("GET", "/api/suggestions")
    first = listed["suggestions"][0]
    assert trainer("POST", f"/api/suggestions/{first['id']}/dismiss", headers={})[0] == 401
    assert trainer("POST", f"/api/suggestions/{first['id']}/dismiss", headers={"Authorization": "Bearer nope"})[0] == 403
    status, body = trainer("POST", f"/api/suggestions/{first['id']}/dismiss")
    assert status == 200 and body["decision"]["status"] == "dismissed"
    assert first["id"] not in {s["id"] for s in trainer("GET", "/api/suggestions")[1]["suggestions"]}
    assert trainer("GET", f"/api/suggestions/{first['id']}")[1]["decision"]["status"] == "dismissed"
    # A later computation with the same term is hidden too: decisions are kept by term, beside the versions.
    again = {**first, "id": "s-later"}
    assert suggestions.pending([again], suggestions.decisions(index_copy)) == []


def test_accepting_with_edited_labels_makes_a_grounded_concept(trainer, index_copy):
    _, listed = trainer("GET", "/api/suggestions")
    pick = next(s for s in listed["suggestions"] if "no" in s["labels"] and len(s["passages"]) >= 2)
    edits = {"labels": {**pick["labels"], "en": f"Suggested {pick['labels']['no']}"},
             "definitions": {"en": "A term the trainer defined."}}
    assert trainer("POST", f"/api/suggestions/{pick['id']}/accept", {"nonsense": 1})[0] == 400
    # Wrongly typed edits are the trainer's mistake, named in a 400, never a server error.
    for wrong in ({"labels": 5}, {"labels": "x"}, {"labels": [1]}, {"labels": {"en": 5}}, {"labels": {"en": None}},
                  {"labels": {"en": " "}}, {"definitions": 7}, {"definitions": ["a"]}):
        status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", wrong)
        assert (status, body["error"]["code"]) == (400, "invalid_concept"), wrong
    # A label far too long is named as such, and not echoed back whole (nor as the id made of it).
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept",
                           {"labels": {"en": "Ab " * 30_000}, "definitions": {"en": "A definition."}})
    assert status == 400 and "'labels.en' is longer than 200" in body["error"]["message"]
    assert len(body["error"]["message"]) < 500
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", edits)
    assert status == 202 and body["job"]["kind"] == "concept"
    concept_id = body["concept"]["id"]
    assert body["concept"]["labels"]["en"] == edits["labels"]["en"]
    assert Runner(config_for(index_copy), get_engine()).drain() == 1
    status, concept = trainer("GET", f"/api/concepts/{concept_id}")
    assert status == 200 and concept["labels"]["no"] == pick["labels"]["no"]
    assert concept["passages"], "the accepted concept is grounded in the article it came from"
    assert pick["id"] not in {s["id"] for s in trainer("GET", "/api/suggestions")[1]["suggestions"]}



def test_a_suggestion_becomes_one_concept_once_and_a_decision_is_not_overruled(trainer, index_copy):
    _, listed = trainer("GET", "/api/suggestions")
    first, second = listed["suggestions"][:2]

    def accept(pick: dict, label: str) -> tuple[int, dict]:
        return trainer("POST", f"/api/suggestions/{pick['id']}/accept",
                       {"labels": {"en": label}, "definitions": {"en": "The trainer's definition."}})

    # An id of the wrong type is the trainer's mistake, as on POST /api/concepts: 400, nothing queued.
    for wrong in (["a"], {"a": 1}, 5):
        status, body = trainer("POST", f"/api/suggestions/{first['id']}/accept",
                               {"id": wrong, "labels": {"en": "Typed id"}, "definitions": {"en": "A definition."}})
        assert (status, body["error"]["code"]) == (400, "invalid_concept"), wrong
    assert not open_jobs(index_copy)
    # Queued once: a second accept with other labels, or a dismissal, is refused while its job waits...
    status, body = accept(first, "Accepted first")
    assert status == 202
    for status, answer in (accept(first, "Accepted again"), trainer("POST", f"/api/suggestions/{first['id']}/dismiss")):
        assert (status, answer["error"]["code"]) == (409, "suggestion_decided"), answer
    assert Runner(config_for(index_copy), get_engine()).drain() == 1
    # ... and once it has run: one concept, the decision its job recorded.
    status, answer = accept(first, "Accepted later")
    assert (status, answer["error"]["code"]) == (409, "suggestion_decided")
    assert trainer("GET", f"/api/suggestions/{first['id']}")[1]["decision"]["concept_id"] == body["concept"]["id"]
    assert body["concept"]["id"] == "accepted-first" and trainer("GET", "/api/concepts/accepted-first")[0] == 200
    assert [trainer("GET", f"/api/concepts/{c}")[0] for c in ("accepted-again", "accepted-later")] == [404, 404]
    # A dismissed suggestion is not accepted later; dismissing it again answers as the first time.
    assert trainer("POST", f"/api/suggestions/{second['id']}/dismiss")[0] == 200
    status, answer = accept(second, "Accepted after dismissal")
    assert (status, answer["error"]["code"]) == (409, "suggestion_decided")
    status, answer = trainer("POST", f"/api/suggestions/{second['id']}/dismiss")
    assert status == 200 and answer["decision"]["status"] == "dismissed"


def test_an_accept_whose_suggestion_was_dismissed_while_it_waited_fails_and_the_dismissal_stands(trainer, index_copy,
                                                                                              monkeypatch):
    # The dismissal came between the accept's check and its job (a race the checks cannot close): the job sees it.
    pick = trainer("GET", "/api/suggestions")[1]["suggestions"][0]
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept",
                           {"labels": {"en": "Raced"}, "definitions": {"en": "The trainer's definition."}})
    assert status == 202
    monkeypatch.setattr(concept_writes, "accepting", lambda: [])  # as if the dismissal had not seen the job
    assert trainer("POST", f"/api/suggestions/{pick['id']}/dismiss")[0] == 200
    assert Runner(config_for(index_copy), get_engine()).drain() == 1
    _, job = trainer("GET", f"/api/jobs/{body['job']['id']}")
    assert job["state"] == "failed" and job["error"]["code"] == "suggestion_decided"
    assert trainer("GET", f"/api/concepts/{body['concept']['id']}")[0] == 404
    assert trainer("GET", f"/api/suggestions/{pick['id']}")[1]["decision"]["status"] == "dismissed"


def open_jobs(index_dir: Path) -> list:
    """The jobs queued or running in an index's queue."""
    from ingest.jobs import open_queue

    return [job for job in open_queue(config_for(index_dir)).recent() if job.state in ("queued", "running")]

def test_an_accepted_concept_takes_the_forms_its_passages_write_as_aliases():
    # Labelled in its base form, a term is found and grounded where the corpus writes it otherwise.
    from index.concepts import load_catalogue
    from index.suggestions import written_aliases

    passages = [{"lang": "no", "text": t} for t in ("Kundeprosessene", "kundeprosesser", "kundeprosess", "KUNDEPROSESSER")]
    passages += [{"lang": "so", "text": "macaamiil"}, {"lang": "sv", "text": "kundlojalitet"}]
    suggestion = {"labels": {"no": "kundeprosess", "so": "macaamiilka", "sv": "kundlojalitet"}, "passages": passages}
    # Not the label again, once per spelling, in the label's case; none a concept already has (kundlojalitet), none in
    # a language the catalogue lacks.
    assert written_aliases(suggestion, load_catalogue()) == {"no": ["kundeprosessene", "kundeprosesser"]}


def test_a_suggestion_whose_term_a_concept_names_since_is_no_longer_listed(trainer, index_copy):
    # A trainer who adds the term to a concept by hand (an alias of an accepted one, say) has decided on it too.
    _, listed = trainer("GET", "/api/suggestions")
    pick = next(s for s in listed["suggestions"] if len(s["terms"]) == 1)
    term = pick["terms"][0]
    labels = {"en": f"Named {pick['id']}", term["lang"]: term["label"]} if term["lang"] != "en" else {"en": term["label"]}
    concept = {"id": "named-since", "labels": labels, "definitions": {"en": "Added by hand after the suggestion."}}
    assert trainer("POST", "/api/concepts", concept)[0] == 202
    assert Runner(config_for(index_copy), get_engine()).drain() == 1
    assert pick["id"] not in {s["id"] for s in trainer("GET", "/api/suggestions")[1]["suggestions"]}
    assert trainer("GET", f"/api/suggestions/{pick['id']}")[1]["decision"] is None  # hidden, not decided


def test_a_suggestion_whose_concept_job_fails_stays_open(trainer, index_copy, monkeypatch):
    # The decision is the job's to record: a concept queued first with the same label makes the job fail. Queued
    # through a server that checks, it is refused at once; queued by one that does not (an older version, as if
    # unchecked), the accept's job fails.
    _, listed = trainer("GET", "/api/suggestions")
    pick = listed["suggestions"][0]
    label = f"Taken {pick['id']}"
    first = {"id": "taken-first", "labels": {"en": label}, "definitions": {"en": "Queued before the suggestion."}}
    assert trainer("POST", "/api/concepts", first)[0] == 202
    accept = {"labels": {"en": label}, "definitions": {"en": "The trainer's definition."}}
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", accept)
    assert status == 409 and body["error"]["code"] == "concept_conflict"
    assert trainer("GET", f"/api/suggestions/{pick['id']}")[1]["decision"] is None
    unchecked = concept_writes.submit_concept_change
    monkeypatch.setattr(concept_writes, "submit_concept_change", lambda queue, change, check: unchecked(queue, change))
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", accept)
    assert status == 202 and body["suggestion"]["decision"]["status"] == "accepted"
    assert Runner(config_for(index_copy), get_engine()).drain() == 2
    _, job = trainer("GET", f"/api/jobs/{body['job']['id']}")
    assert job["state"] == "failed" and job["error"]["code"] == "concept_conflict"
    assert trainer("GET", f"/api/concepts/{body['concept']['id']}")[0] == 404
    assert pick["id"] in {s["id"] for s in trainer("GET", "/api/suggestions")[1]["suggestions"]}
    assert trainer("GET", f"/api/suggestions/{pick['id']}")[1]["decision"] is None


def test_the_trainer_page_lists_suggestions_per_document_and_dismisses_with_the_form(index_copy):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    client = app.test_client()
    sign_in(client)
    page = client.get("/suggestions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    first = client.get("/api/suggestions").get_json()["suggestions"][0]
    assert f'id="suggestion-{first["id"]}"' in html and "Accept as a concept" in html
    refused = client.post(f"/suggestions/{first['id']}/dismiss", data={"token": "wrong"})
    assert refused.status_code == 403 and "Not done" in refused.get_data(as_text=True)
    done = client.post(f"/suggestions/{first['id']}/dismiss", data={"token": ADMIN_TOKEN})
    assert done.status_code == 303 and done.headers["Location"] == "/suggestions?decided=dismissed"  # a reload resends nothing
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Dismissed: it is not suggested again." in after and f'id="suggestion-{first["id"]}"' not in after
    unknown = client.get("/suggestions?decided=%3Cb%3Eforged").get_data(as_text=True)
    assert 'class="notice"' not in unknown  # only the page's own texts are shown, never the address's
    accepted = client.post(f"/suggestions/{client.get('/api/suggestions').get_json()['suggestions'][0]['id']}/accept",
                           data={"token": ADMIN_TOKEN, "label-en": "Trainer's term",
                                 "definition-en": "The trainer's definition."})
    assert accepted.status_code == 303 and "/jobs/" in accepted.headers["Location"]


def test_accepting_keeps_drafts_in_their_languages_and_never_makes_up_english(trainer, kb):
    _, listed = trainer("GET", "/api/suggestions")
    pick = max((s for s in listed["suggestions"] if "en" not in s["labels"]), key=lambda s: len(s["labels"]))
    # Without English, the answer names what is missing and offers the dictionary's gloss as something to check.
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", {})
    assert (status, body["error"]["code"]) == (400, "invalid_concept")
    assert "labels.en and definitions.en are required" in body["error"]["message"]
    assert "word-by-word gloss" in body["error"]["message"]
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", {"labels": {"en": "Trainer's name"}})
    assert status == 400 and "definitions.en is required" in body["error"]["message"]
    edits = {"labels": {"en": "Trainer's name"}, "definitions": {"en": "What the trainer wrote in English."}}
    status, body = trainer("POST", f"/api/suggestions/{pick['id']}/accept", edits)
    assert status == 202
    concept = body["concept"]
    assert concept["id"] == "trainer-s-name" and concept["labels"] == {**pick["labels"], "en": "Trainer's name"}
    best = pick["passages"][0]
    assert concept["definitions"] == {best["lang"]: best["sentence"], "en": edits["definitions"]["en"]}


def test_the_accept_form_offers_the_gloss_to_confirm_and_the_drafts_in_their_own_languages(index_copy):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    client = app.test_client()
    sign_in(client)
    html = client.get("/suggestions").get_data(as_text=True)
    pick = next(s for s in client.get("/api/suggestions").get_json()["suggestions"] if s["labels"] == {"sv": "intimitet"})
    form = html[html.index(f'id="suggestion-{pick["id"]}"'):]
    form = form[:form.index("</form>")]
    english = re.search(r'<input id="label-[^"]+-en" name="label-en"[^>]*>', form)[0]
    assert 'value=""' in english and "required" in english and f'list="gloss-{pick["id"]}"' in english
    assert f'<datalist id="gloss-{pick["id"]}"><option value="intimacy">' in form
    assert "no English term" in form
    sentence = escape(pick["passages"][0]["sentence"])
    assert re.search(rf'Definition \(Swedish, the source sentence\)</label>\s*<textarea [^>]*name="definition-sv" '
                     rf'lang="sv"[^>]*>{re.escape(sentence)}</textarea>', form)
    assert re.search(r'name="definition-en" lang="en"[^>]*required[^>]*></textarea>', form)


def test_the_page_lists_newest_documents_first_with_sentences_and_drafted_definitions(index_copy):
    app = create_app({"KB_INDEX_DIR": str(index_copy), "KB_ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True})
    client = app.test_client()
    sign_in(client)
    html = client.get("/suggestions").get_data(as_text=True)
    newest = sorted(client.get("/api/documents").get_json()["documents"], key=lambda d: d["added_at"], reverse=True)
    shown = [d["doc_id"] for d in newest if f'id="doc-{d["doc_id"]}"' in html]
    assert shown and sorted(shown, key=lambda d: html.index(f'id="doc-{d}"')) == shown
    first = client.get("/api/suggestions").get_json()["suggestions"][0]
    sentence = first["passages"][0]["sentence"]
    before, term, after = sentence.partition(first["passages"][0]["text"])
    assert f"{escape(before)}<mark>{escape(term)}</mark>{escape(after)}" in html
    form = html[html.index(f'id="suggestion-{first["id"]}"'):]
    for lang, label in first["labels"].items():
        assert f'name="label-{lang}" lang="{lang}" value="{escape(label)}"' in form
    assert f">{escape(first['definitions'][first['passages'][0]['lang']])}</textarea>" in form


@pytest.mark.parametrize("labels", [{"so": "xarunta dhexe", "sv": "centrallager"}, {"so": "xarunta"}])
def test_a_suggestion_from_a_language_the_catalogue_lacks_is_accepted_in_its_languages(index_copy, labels):
    """A document detected as Somali still gets suggestions; accepting one drafts labels and definitions only in
    languages a concept may have (it was refused: "unknown language 'so'"), the English given by the trainer."""
    from index.concepts.edit import ADD, ConceptChange
    from index.errors import InvalidConcept
    from webapp.kb import get_kb
    from webapp.suggestion_writes import concept_from

    found = {"id": "s-x", "labels": labels, "definitions": {},
             "passages": [{"lang": lang, "text": label, "sentence": f"{label}."} for lang, label in labels.items()]}
    english = {"labels": {"en": "Central warehouse"}, "definitions": {"en": "Where the goods wait."}}
    app = create_app({"KB_INDEX_DIR": str(index_copy), "TESTING": True})
    with app.app_context():
        with pytest.raises(InvalidConcept, match="labels.en and definitions.en are required"):
            concept_from(found, {})
        body = concept_from(found, english)
        assert "so" not in body["labels"] and "so" not in body["definitions"]
        assert body["labels"]["en"] == "Central warehouse" and body["definitions"]["en"] == "Where the goods wait."
        assert get_kb().check_concept_change(ConceptChange(ADD, body["id"], body)) == [body["id"]]
