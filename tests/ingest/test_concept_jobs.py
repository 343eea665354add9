"""Concept jobs: a trainer's catalogue change, queued, run by the runner and published with fresh groundings."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index import versions
from index.concepts.edit import ConceptChange
from index.service import KnowledgeBase
from index.stores import IndexSettings
from ingest.engines import get_engine
from ingest.jobs import CONCEPT, DONE, FAILED, jobs_dir, open_queue
from ingest.jobs.runner import Runner
from ingest.jobs.sqlite import FILE
from ingest.jobs.submit import submit_concept_change
from tests.configs import config_for, store_for

SETTINGS = IndexSettings(embedder="hash:64")
BODY = {
    "id": "porter-five-forces",
    "labels": {"en": "Five forces", "sv": "Fem krafter", "nl": "Vijf krachten"},
    "definitions": {"en": "Porter's model of the five forces of competition in an industry."},
    "related": ["competitive-advantage"],
}


@pytest.fixture(scope="module")
def hashed_index(tmp_path_factory, seeds_dir) -> Path:
    from ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("concept-jobs") / "index"
    ingest([seeds_dir], store_for(index_dir), settings=SETTINGS, progress=False)
    return index_dir


@pytest.fixture
def index_dir(hashed_index, tmp_path) -> Path:
    import shutil

    return shutil.copytree(hashed_index, tmp_path / "index")


def test_concept_jobs_add_edit_and_remove_in_order_and_a_stale_change_fails_alone(index_dir):
    queue = open_queue(config_for(index_dir))
    add, created = submit_concept_change(queue, ConceptChange("add", BODY["id"], BODY))
    assert created and add.kind == CONCEPT and add.to_dict()["concept"] == {"action": "add", "id": BODY["id"]}
    assert submit_concept_change(queue, ConceptChange("add", BODY["id"], BODY))[0].id == add.id  # the same change
    clash, _ = submit_concept_change(queue, ConceptChange("add", BODY["id"], {**BODY, "labels": {"en": "Forces"}}))
    edited = {**BODY, "aliases": {"en": ["Porter's five forces"]}}
    edit, _ = submit_concept_change(queue, ConceptChange("replace", BODY["id"], edited))
    assert Runner(config_for(index_dir), get_engine()).drain() == 3
    assert queue.get(add.id).state == DONE and queue.get(edit.id).state == DONE
    failed = queue.get(clash.id).to_dict()
    assert failed["state"] == FAILED and failed["error"]["code"] == "concept_conflict"
    assert BODY["id"] in failed["error"]["message"]
    kb = KnowledgeBase(config_for(index_dir, embedder=SETTINGS.embedder))
    assert kb.version == queue.get(edit.id).version
    assert kb.concept(BODY["id"])["aliases"] == {"en": ["Porter's five forces"]}
    assert [m["id"] for m in kb.lookup("Fem krafter", k=1)] == [BODY["id"]]

    remove, _ = submit_concept_change(queue, ConceptChange("remove", BODY["id"]))
    Runner(config_for(index_dir), get_engine()).drain()
    assert queue.get(remove.id).state == DONE
    assert BODY["id"] not in KnowledgeBase(config_for(index_dir, embedder=SETTINGS.embedder)).catalogue()


def test_a_queue_from_before_concept_jobs_is_upgraded(index_dir):
    folder = jobs_dir(index_dir)
    folder.mkdir()
    conn = sqlite3.connect(folder / FILE)
    conn.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,"
                 " stage TEXT NOT NULL, doc_id TEXT, file_name TEXT, content_hash TEXT, suffix TEXT,"
                 " chunks_done INTEGER NOT NULL DEFAULT 0, chunks_total INTEGER NOT NULL DEFAULT 0, version TEXT,"
                 " duplicate INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_message TEXT,"
                 " attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, started REAL, finished REAL, seq INTEGER)")
    conn.commit()
    conn.close()
    job, created = submit_concept_change(open_queue(config_for(index_dir)), ConceptChange("remove", "collective-intimacy"))
    assert created
    before = versions.current_name(index_dir)
    Runner(config_for(index_dir), get_engine()).drain()
    assert open_queue(config_for(index_dir)).get(job.id).state == DONE and versions.current_name(index_dir) != before


def test_a_concept_job_run_again_after_its_runner_died_past_publishing_ends_done(index_dir):
    # The runner publishes, then records the job: killed in between, the job runs again on an index that has it.
    queue = open_queue(config_for(index_dir))
    add, _ = submit_concept_change(queue, ConceptChange("add", BODY["id"], BODY))
    remove, _ = submit_concept_change(queue, ConceptChange("remove", "collective-intimacy"))
    assert Runner(config_for(index_dir), get_engine()).drain() == 2
    published = versions.current_name(index_dir)
    for job in (add, remove):
        with sqlite3.connect(jobs_dir(index_dir) / FILE) as conn:  # as a dead runner's job is found and queued again
            conn.execute("UPDATE jobs SET state = 'queued', attempts = 1 WHERE id = ?", (job.id,))
        Runner(config_for(index_dir), get_engine()).drain()
        assert queue.get(job.id).state == DONE and versions.current_name(index_dir) == published
    other = {**BODY, "labels": {"en": "Other forces"}}
    clash, _ = submit_concept_change(queue, ConceptChange("add", BODY["id"], other))  # not the same concept
    Runner(config_for(index_dir), get_engine()).drain()
    assert queue.get(clash.id).state == FAILED
