"""Ingest jobs: the queue battery (every implementation), the runner over a real index, orphans, recovery."""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from index import uploads, versions
from index.errors import ConceptConflict, DocumentError, InsufficientStorage, QueueFull
from index.service import KnowledgeBase
from index.concepts.edit import ConceptChange
from ingest.engines import get_engine
from ingest.jobs import CONCEPT, DELETE, DONE, FAILED, METADATA, QUEUED, RUNNING, UPLOAD, Job, jobs_dir, open_queue, spool
from ingest.jobs.base import Follows
from ingest.jobs.postgres import PostgresQueue
from ingest.jobs import runner as runner_module
from ingest.jobs.runner import Runner, RunnerBusy, runner_alive, runner_lock
from ingest.jobs.sqlite import SqliteQueue
from ingest.pipeline import doc_id_for
from ingest.jobs.submit import check_upload, submit_concept_change, submit_delete, submit_metadata, submit_upload
from tests.conftest import fill
from tests.configs import config_for, store_for

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"sqlite": SqliteQueue, "postgres": PostgresQueue}
NOTE = ("Kundelojalitet i praksis\n\nEn lojal kunde kommer tilbake fordi opplevelsen er god, ikke fordi det er "
        "vanskelig å bytte leverandør. Quorvexian tillit bygges over tid.\n").encode("utf-8")
CONCEPT_BODY = {"id": "porter-five-forces", "labels": {"en": "Five forces", "sv": "Fem krafter"},
                "definitions": {"en": "Porter's model of the five forces of competition in an industry."}}


def a_job(kind: str = UPLOAD, key: str | None = None) -> Job:
    return Job(id=uuid.uuid4().hex, kind=kind, key=key or uuid.uuid4().hex, file_name="a.txt", suffix=".txt")


# -- the queue battery, run against every implementation ---------------------------------------------------------

@pytest.fixture(params=sorted(QUEUES))
def queue_place(request, tmp_path) -> tuple[str, str]:
    """(implementation, where its queue lives): a folder for SQLite, a fresh database's URL for PostgreSQL."""
    if request.param == "postgres":
        return request.param, request.getfixturevalue("pg_url")
    return request.param, str(tmp_path / "jobs")


@pytest.fixture
def queue(queue_place):
    kind, place = queue_place
    return QUEUES[kind](place)


def test_queue_runs_jobs_first_in_first_out_and_records_their_end(queue):
    first, second, third = a_job(), a_job(DELETE), a_job()
    for job in (first, second, third):
        assert queue.submit(job) == (job, True)
    claimed = queue.claim()
    assert (claimed.id, claimed.state, claimed.attempts) == (first.id, RUNNING, 1) and claimed.started
    queue.progress(first.id, "embedding", 3, 10)
    got = queue.get(first.id)
    assert (got.stage, got.chunks_done, got.chunks_total) == ("embedding", 3, 10)
    queue.finish(first.id, "v000009", "doc1")
    done = queue.get(first.id)
    assert (done.state, done.version, done.doc_id, done.chunks_done) == (DONE, "v000009", "doc1", 10)
    assert done.to_dict()["error"] is None and done.to_dict()["finished"]
    assert queue.claim().id == second.id
    queue.fail(second.id, "invalid_document", "a.txt: binary content")
    failed = queue.get(second.id).to_dict()
    assert failed["state"] == FAILED and failed["error"] == {"code": "invalid_document", "message": "a.txt: binary content"}
    assert queue.claim().id == third.id
    assert queue.claim() is None
    assert [j.id for j in queue.recent(2)] == [third.id, second.id]
    assert queue.get("no-such-job") is None


def test_queue_refuses_a_second_pending_job_with_the_same_key_only_while_pending(queue):
    job = a_job(key="text-hash")
    assert queue.submit(job) == (job, True)
    same, created = queue.submit(a_job(key="text-hash"))
    assert same.id == job.id and not created
    assert queue.submit(a_job(DELETE, key="text-hash"))[1]  # another kind is another job
    queue.claim()
    assert queue.submit(a_job(key="text-hash"))[0].id == job.id  # still pending while running
    queue.finish(job.id, "v1", "d")
    assert queue.submit(a_job(key="text-hash"))[1]


def test_queue_finds_pending_jobs_by_key_and_counts_them(queue):
    job, deletion = a_job(key="text-hash"), a_job(DELETE, key="doc1")
    assert queue.pending(UPLOAD, "text-hash") is None and queue.pending_count() == 0
    queue.submit(job)
    queue.submit(deletion)
    assert queue.pending(UPLOAD, "text-hash").id == job.id and queue.pending(DELETE, "text-hash") is None
    assert queue.pending_count() == 2
    queue.claim()
    assert queue.pending(UPLOAD, "text-hash").id == job.id and queue.pending_count() == 2  # running is pending
    queue.finish(job.id, "v1", "d")
    assert queue.pending(UPLOAD, "text-hash") is None and queue.pending_count() == 1


def test_queue_finds_the_pending_jobs_of_a_kind_and_document(queue):
    first, second = (dataclasses.replace(a_job(METADATA), doc_id=doc) for doc in ("d1", "d2"))
    assert queue.latest_pending(METADATA) is None
    queue.submit(first)
    queue.submit(second)
    queue.submit(a_job())
    assert queue.latest_pending(METADATA).id == second.id
    assert queue.latest_pending(METADATA, "d1").id == first.id and queue.latest_pending(METADATA, "d3") is None
    assert [j.id for j in queue.pending_of(METADATA)] == [first.id, second.id]  # oldest first
    assert [j.id for j in queue.pending_of(METADATA, limit=1)] == [first.id] and queue.pending_of(DELETE) == []
    queue.claim()
    queue.finish(queue.claim().id, "v1", "d2")  # the first is running: still pending; the second is done
    assert queue.latest_pending(METADATA).id == first.id
    assert [j.id for j in queue.pending_of(METADATA)] == [first.id]
    deletion = dataclasses.replace(a_job(DELETE), doc_id="d1")
    queue.submit(deletion)
    assert queue.latest_pending(None, "d1").id == deletion.id and queue.latest_pending(None, "d2") is None


def test_a_repeated_edit_merges_only_with_the_newest_pending_one(queue):
    # Edit A, delete, edit A again: merged with the first A, the last edit would run before the deletion.
    change, removal = ConceptChange("replace", "x", {"id": "x"}), ConceptChange("remove", "x")
    first, created = submit_concept_change(queue, change)
    assert created and submit_concept_change(queue, change) == (first, False)  # a retry
    removed, _ = submit_concept_change(queue, removal)
    again, created = submit_concept_change(queue, change)
    assert created and again.id not in (first.id, removed.id)
    assert submit_concept_change(queue, change) == (again, False)
    assert [queue.claim().id for _ in range(3)] == [first.id, removed.id, again.id] and queue.claim() is None
    edit = {"title": "Kundereisen"}
    one, _ = submit_metadata(queue, "d1", edit)
    submit_metadata(queue, "d1", {"title": "Other"})
    assert submit_metadata(queue, "d2", edit)[1] and submit_metadata(queue, "d1", edit)[0].id != one.id


def test_a_checked_job_is_checked_in_the_submit_against_the_pending_jobs_of_its_kind(queue):
    seen = []

    def check(pending):
        seen.append([job.id for job in pending])
        if len(pending) >= 2:
            raise ConceptConflict("two are enough")

    first, created = queue.submit(a_job(CONCEPT, "a"), Follows(CONCEPT), check)
    queue.submit(a_job(METADATA), Follows(None, ("d1",)))  # another kind: not shown to the check
    second, _ = queue.submit(a_job(CONCEPT, "b"), Follows(CONCEPT), check)
    assert created and seen == [[], [first.id]]
    assert queue.submit(a_job(CONCEPT, "b"), Follows(CONCEPT), check) == (second, False)  # merged: not checked again
    with pytest.raises(ConceptConflict):
        queue.submit(a_job(CONCEPT, "c"), Follows(CONCEPT), check)
    assert seen[-1] == [first.id, second.id] and [j.id for j in queue.pending_of(CONCEPT)] == [first.id, second.id]


def test_an_upload_sent_again_merges_with_its_pending_upload_past_edits_but_not_past_a_deletion(queue):
    upload = dataclasses.replace(a_job(UPLOAD, "text"), doc_id="d1")
    follows = Follows(None, ("d1",))
    assert queue.submit(upload, follows) == (upload, True)
    submit_metadata(queue, "d1", {"title": "Second"})
    again = dataclasses.replace(a_job(UPLOAD, "text"), doc_id="d1")
    assert queue.submit(again, follows) == (upload, False)  # its edit follows the others: no second upload
    other = dataclasses.replace(a_job(UPLOAD, "other text"), doc_id="d1")
    assert queue.submit(other, follows)[1]  # another text of the document is queued behind the edit
    deletion, _ = submit_delete(queue, "d2")
    later, created = queue.submit(dataclasses.replace(a_job(UPLOAD, "text2"), doc_id="d2"), Follows(None, ("d2",)))
    assert created and later.key.endswith(deletion.id)  # queued behind the deletion
    submit_metadata(queue, "d2", {"title": "Edited"})
    assert queue.submit(dataclasses.replace(a_job(UPLOAD, "text2"), doc_id="d2"), Follows(None, ("d2",))) \
        == (later, False)
    # Upload, delete, edit: the same text again is queued anew behind them (it must come back after the deletion).
    submit_delete(queue, "d2")
    submit_metadata(queue, "d2", {"title": "Edited again"})
    assert queue.submit(dataclasses.replace(a_job(UPLOAD, "text2"), doc_id="d2"), Follows(None, ("d2",)))[1]


def test_a_short_write_is_claimed_ahead_of_uploads_only_where_it_follows_no_pending_job(queue, tmp_path):
    # While an upload embeds, the runner takes short writes that wait for nothing pending (see Runner).
    upload, _ = submit_upload(queue, tmp_path, NOTE, check_upload(NOTE, "note.txt"))
    later_upload = a_job()
    queue.submit(later_upload)
    own_edit, _ = submit_metadata(queue, upload.doc_id, {"title": "T"})  # follows the upload
    other_edit, _ = submit_metadata(queue, "d2", {"title": "Other"})
    deletion, _ = submit_delete(queue, "d3")
    first_change, _ = submit_concept_change(queue, ConceptChange("replace", "x", {"id": "x"}))
    second_change, _ = submit_concept_change(queue, ConceptChange("remove", "x"))  # follows the first
    assert queue.claim().id == upload.id
    assert [queue.claim(short=True).id for _ in range(3)] == [other_edit.id, deletion.id, first_change.id]
    assert queue.claim(short=True) is None  # the second change waits for the first, the edit for its upload
    queue.finish(first_change.id, "v2", None)
    assert queue.claim(short=True).id == second_change.id and queue.claim(short=True) is None
    queue.finish(upload.id, "v3", upload.doc_id)
    assert queue.claim(short=True).id == own_edit.id
    assert queue.claim(short=True) is None and queue.claim().id == later_upload.id  # never an upload


def test_a_repeated_metadata_edit_merges_only_while_it_is_the_documents_newest_pending_write(queue, tmp_path):
    # Found racing clients on the served stack: edit, delete, upload the same file again, the same edit again was
    # merged with the first edit, which ran before the deletion: the re-uploaded document ended without the edit
    # the client sent last.
    first, _ = submit_upload(queue, tmp_path, NOTE, check_upload(NOTE, "note.txt"))
    edit = {"title": "Kundereisen"}
    edited, created = submit_metadata(queue, first.doc_id, edit)
    assert created and submit_metadata(queue, first.doc_id, edit) == (edited, False)  # a retry
    deletion, _ = submit_delete(queue, first.doc_id)
    again, created = submit_upload(queue, tmp_path, NOTE, check_upload(NOTE, "again.txt"))
    assert created and again.doc_id == first.doc_id
    last, created = submit_metadata(queue, first.doc_id, edit)
    assert created and last.id != edited.id and submit_metadata(queue, first.doc_id, edit) == (last, False)
    assert [queue.claim().id for _ in range(5)] == [first.id, edited.id, deletion.id, again.id, last.id]
    assert queue.claim() is None


def test_a_repeated_deletion_merges_only_while_it_is_the_documents_newest_pending_write(queue):
    # Delete, upload the document's text again, delete again: merged with the first, the upload would run last.
    first, created = submit_delete(queue, "d1")
    assert created and submit_delete(queue, "d1") == (first, False)  # a retry
    upload = dataclasses.replace(a_job(), doc_id="d1", key=f"text after {first.id}")
    queue.submit(upload)
    again, created = submit_delete(queue, "d1")
    assert created and again.id != first.id and submit_delete(queue, "d1") == (again, False)
    assert [queue.claim().id for _ in range(3)] == [first.id, upload.id, again.id] and queue.claim() is None


def test_an_upload_merges_only_while_its_text_is_its_documents_newest_pending_write(queue, tmp_path):
    # Found by a race in CI: upload, delete (queued behind it), upload again answered "already pending" with the
    # first upload, which ran before the deletion: the client's last write was an upload and the document ended
    # deleted.
    def upload(data: bytes, name: str) -> tuple[Job, bool]:
        return submit_upload(queue, tmp_path, data, check_upload(data, name))

    first, created = upload(NOTE, "note.txt")
    assert created and upload(NOTE, "retry.txt") == (first, False)
    deletion, _ = submit_delete(queue, first.doc_id)
    again, created = upload(NOTE, "again.txt")
    assert created and again.id != first.id and again.doc_id == first.doc_id
    assert upload(NOTE, "retry.txt") == (again, False)
    crlf = NOTE.replace(b"\n", b"\r\n")  # the same text under another file's id
    assert doc_id_for(uploads.source_for(check_upload(crlf, "crlf.txt").content_hash, ".txt")) != first.doc_id
    assert upload(crlf, "crlf.txt") == (again, False)
    last, _ = submit_delete(queue, first.doc_id)
    assert [queue.claim().id for _ in range(4)] == [first.id, deletion.id, again.id, last.id]
    assert queue.claim() is None


def test_writes_racing_on_one_document_run_in_the_order_they_were_answered(queue, tmp_path):
    # Each merge decision and its insert are one transaction: a write answered after another was answered (the
    # calls did not overlap) names a job that runs no earlier, whichever clients sent them.
    first, _ = submit_upload(queue, tmp_path, NOTE, check_upload(NOTE, "note.txt"))
    calls: list[tuple[float, float, str]] = []  # (sent, answered, job id)
    lock = threading.Lock()

    def client() -> None:
        for n in range(30):
            sent = time.monotonic()
            job = (submit_delete(queue, first.doc_id) if n % 2 == 0 else
                   submit_upload(queue, tmp_path, NOTE, check_upload(NOTE, "again.txt")))[0]
            with lock:
                calls.append((sent, time.monotonic(), job.id))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order = {job.id: n for n, job in enumerate(iter(queue.claim, None))}
    assert len(order) > 2 and {job for _, _, job in calls} <= set(order)
    late = [(a, b) for a in calls for b in calls if b[0] > a[1] and order[b[2]] < order[a[2]]]
    assert not late, f"{len(late)} writes run before one answered earlier"


def test_a_bounded_queue_refuses_new_jobs_while_full_but_still_merges_pending_ones(queue_place):
    kind, place = queue_place
    queue = QUEUES[kind](place, max_pending=2)
    first, second = a_job(key="a"), a_job(key="b")
    queue.submit(first)
    queue.submit(second)
    with pytest.raises(QueueFull, match="2 writes pending"):
        queue.submit(a_job(key="c"))
    assert queue.submit(a_job(key="a")) == (queue.get(first.id), False)  # the same write adds nothing: no refusal
    assert queue.pending_count() == 2 and QUEUES[kind](place).submit(a_job(key="c"))[1]  # unbounded: accepted
    queue.claim()
    queue.finish(first.id, "v1", "d")
    queue.claim()
    queue.fail(second.id, "invalid_document", "x")
    assert queue.submit(a_job(key="d"))[1]
    with pytest.raises(QueueFull):
        queue.submit(a_job(key="e"))


def test_a_short_write_run_inside_a_long_one_is_not_charged_for_the_runners_death(queue):
    upload, deletion = a_job(), dataclasses.replace(a_job(DELETE, "d9"), doc_id="d9")
    queue.submit(upload)
    queue.submit(deletion)
    assert queue.claim().id == upload.id and queue.claim(short=True).id == deletion.id
    assert queue.recover(max_attempts=1) == ([deletion.id], [upload.id])  # the upload used its one attempt
    assert queue.get(deletion.id).attempts == 0
    assert queue.claim().id == deletion.id
    assert queue.recover(max_attempts=1) == ([], [deletion.id])  # alone, it is charged


def test_queue_requeues_jobs_of_a_dead_runner_and_gives_up_after_max_attempts(queue):
    job = a_job()
    queue.submit(job)
    for attempt in (1, 2):
        assert queue.claim().attempts == attempt
        assert queue.recover(max_attempts=3) == ([job.id], [])
        assert queue.get(job.id).state == QUEUED
    queue.claim()
    assert queue.recover(max_attempts=3) == ([], [job.id])
    assert queue.get(job.id).to_dict()["error"]["code"] == "runner_stopped"
    stopped = a_job()
    queue.submit(stopped)
    queue.claim()
    queue.requeue(stopped.id, count_attempt=False)
    assert (queue.get(stopped.id).state, queue.get(stopped.id).attempts) == (QUEUED, 0)
    assert queue.pending_ids() == {stopped.id}


def test_a_second_runner_on_one_database_takes_no_job_of_the_serving_one(pg_url):
    """Two runners on one database (machines whose shared folder carries no lock between them): the second must not
    take the first's running job for a dead runner's and run it again beside it; it is refused, as on one folder."""
    first, second, job = PostgresQueue(pg_url), PostgresQueue(pg_url), a_job()
    first.submit(job)
    with first.serving():
        assert first.claim().id == job.id
        with second.serving(wait_s=0.2), pytest.raises(RunnerBusy, match="another job runner serves this database"):
            second.recover(max_attempts=5)
        assert first.get(job.id).state == RUNNING
    with second.serving():  # the first runner is gone, and its lock with it: its job runs again
        assert second.recover(max_attempts=5) == ([job.id], [])


def _claim_all(kind: str, place: str, out) -> None:
    q = QUEUES[kind](place)
    claimed = []
    while (job := q.claim()) is not None:
        claimed.append(job.id)
    out.put(claimed)


def test_queue_never_hands_a_job_to_two_processes(queue, queue_place):
    ids = {queue.submit(a_job())[0].id for _ in range(60)}
    out = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(target=_claim_all, args=(*queue_place, out))
             for _ in range(3)]
    for proc in procs:
        proc.start()
    claimed = [job_id for _ in procs for job_id in out.get(timeout=60)]
    for proc in procs:
        proc.join()
    assert sorted(claimed) == sorted(ids)


# -- the runner over a real index ------------------------------------------------------------------------------------

@pytest.fixture
def runner(index_copy: Path) -> Runner:
    return Runner(config_for(index_copy), get_engine())


def submit(index_dir: Path, data: bytes, name: str) -> Job:
    job, created = submit_upload(open_queue(config_for(index_dir)), jobs_dir(index_dir), data, check_upload(data, name))
    assert created
    return job


def test_upload_then_delete_leaves_exactly_the_indexed_files(runner, index_copy):
    before = versions.current_name(index_copy)
    queue = open_queue(config_for(index_copy))
    job = submit(index_copy, NOTE, "../../etc/kunde nærhet.txt")
    assert spool.path_of(jobs_dir(index_copy), job).read_bytes() == NOTE
    assert not uploads.stored(index_copy)  # pending bytes never sit in uploads/
    copy = NOTE.replace(b"\n", b"\r\n")
    same, created = submit_upload(queue, jobs_dir(index_copy), copy, check_upload(copy, "copy.txt"))
    assert not created and same.id == job.id  # the same text, laid out otherwise, is pending already
    assert runner.drain() == 1
    done = queue.get(job.id)
    assert done.state == DONE and done.version != before and done.version == versions.current_name(index_copy)
    kb = KnowledgeBase(config_for(index_copy))
    assert kb.search("Quorvexian tillit", k=1).results[0].doc_id == done.doc_id
    doc = kb.document(done.doc_id)
    assert doc["title"] == "Kundelojalitet i praksis" and doc["source"].startswith("uploads/")
    assert [p.name for p in uploads.stored(index_copy)] == [doc["source"].split("/")[1]]
    assert (index_copy / doc["source"]).read_bytes() == NOTE
    assert not list(spool.folder(jobs_dir(index_copy)).iterdir())

    deletion, _ = submit_delete(queue, done.doc_id)
    assert submit_delete(queue, done.doc_id)[0].id == deletion.id
    runner.drain()
    gone = queue.get(deletion.id)
    assert gone.state == DONE and gone.version == versions.current_name(index_copy)
    assert KnowledgeBase(config_for(index_copy)).stats()["documents"] == 5
    assert uploads.stored(index_copy) == [] and uploads.orphans(index_copy, store_for(index_copy)) == []


def test_an_unexpected_failure_runs_the_job_again_with_its_bytes(runner, index_copy, monkeypatch):
    queue = open_queue(config_for(index_copy))
    job = submit(index_copy, NOTE, "note.txt")
    real, attempts = runner_module.TASKS[UPLOAD], []

    def flaky(job, context, report):
        attempts.append(job.attempts)
        if len(attempts) == 1:
            raise OSError("a resource ran short")  # no fault of the job's: it passes
        return real(job, context, report)

    monkeypatch.setitem(runner_module.TASKS, UPLOAD, flaky)
    monkeypatch.setattr(runner_module, "BUSY_BACKOFF_S", 0.0)
    assert runner.drain() == 2
    done = queue.get(job.id)
    assert done.state == DONE and attempts == [1, 2]
    assert KnowledgeBase(config_for(index_copy)).search("Quorvexian tillit", k=1).results[0].doc_id == done.doc_id


def test_an_upload_run_again_embeds_only_what_it_had_not_embedded(runner, index_copy, monkeypatch):
    # A runner stopped mid-embedding (a kill, a crash) keeps what it embedded: the job run again embeds the rest.
    monkeypatch.setattr(spool, "KEEP_EVERY", 2)
    monkeypatch.setattr(runner_module, "BUSY_BACKOFF_S", 0.0)
    words = ["Zorbenik", "Quelvastra", "Primoxel", "Dravinthu", "Kelmorast", "Vintaroq"]
    text = "\n\n".join(f"Kapittel {i}. {word} handler om kundelojalitet, tillit og hvordan kunder kommer tilbake "
                        f"fordi opplevelsen er god, ikke fordi det er vanskelig å bytte leverandør."
                        for i, word in enumerate(words))
    job = submit(index_copy, text.encode(), "kapitler.txt")
    engine, calls = runner.context.engine, []
    real = engine.embed

    def stopped_once(texts, embedder, progress=None):
        calls.append(len(texts))
        if len(calls) == 2:
            raise OSError("the runner's machine went away")  # after the first block was kept
        return real(texts, embedder, progress)

    monkeypatch.setattr(engine, "embed", stopped_once)
    assert runner.drain() == 2
    done = open_queue(config_for(index_copy)).get(job.id)
    assert done.state == DONE and done.chunks_total >= 4
    assert calls[0] == 2 and sum(calls[2:]) == done.chunks_total - 2, calls
    assert not list(spool.folder(jobs_dir(index_copy)).iterdir())  # the kept vectors went with the job
    kb = KnowledgeBase(config_for(index_copy))
    for word in words:  # every passage, the kept vectors' too, is found
        assert kb.search(word, k=1, mode="hybrid").results[0].doc_id == done.doc_id, word
    snapshot = kb._state.snapshot
    chunks = snapshot.chunks_of(done.doc_id)
    stored = snapshot.vectors([c.chunk_id for c in chunks])
    fresh = real([c.text for c in chunks], kb.embedder.name)  # the kept vectors are the ones the text has
    assert np.allclose(stored, fresh, atol=1e-5)


def test_an_upload_embeds_without_holding_the_writer_lock(runner, index_copy, monkeypatch):
    # An upload embedding for many minutes must not keep a command-line ingest or gc waiting all that time.
    engine, free = runner.context.engine, []
    real = engine.embed

    def embed_and_try_the_lock(texts, embedder, progress=None):
        with versions.writer_lock(index_copy, timeout=0.5):  # IndexBusy if the job held it
            free.append(True)
        return real(texts, embedder, progress)

    monkeypatch.setattr(engine, "embed", embed_and_try_the_lock)
    job = submit(index_copy, NOTE, "note.txt")
    assert runner.drain() == 1
    assert open_queue(config_for(index_copy)).get(job.id).state == DONE and free == [True]
    assert KnowledgeBase(config_for(index_copy)).search("Quorvexian tillit", k=1).results[0].doc_id == \
        open_queue(config_for(index_copy)).get(job.id).doc_id


def test_short_writes_queued_while_an_upload_embeds_run_before_it_ends_and_every_write_is_read_back(
        runner, index_copy, monkeypatch):
    # Found by an attack: a 10 MB upload kept a trainer's metadata edit and concept change queued for 40 minutes.
    queue, engine, real = open_queue(config_for(index_copy)), runner.context.engine, runner.context.engine.embed
    kb = KnowledgeBase(config_for(index_copy))
    edited, deleted = (d["doc_id"] for d in kb.documents()[:2])
    meanwhile: list[Job] = []

    def embed_while_clients_write(texts, embedder, progress=None):
        if not meanwhile:  # clients write while the upload embeds
            upload = queue.get(next(iter(queue.pending_ids())))
            meanwhile.extend([submit_metadata(queue, edited, {"title": "Edited meanwhile"})[0],
                              submit_delete(queue, deleted)[0],
                              submit_concept_change(queue, ConceptChange("add", "porter-five-forces", CONCEPT_BODY))[0],
                              submit_metadata(queue, upload.doc_id, {"title": "The upload, edited"})[0]])
        return real(texts, embedder, progress)

    monkeypatch.setattr(engine, "embed", embed_while_clients_write)
    monkeypatch.setattr(runner_module, "SHORT_EVERY_S", 0.0)
    monkeypatch.setattr(runner_module, "SHORT_FOR_S", 600.0)  # all in the one look this small upload gives
    job = submit(index_copy, NOTE, "note.txt")
    assert runner.run_next().id == job.id
    upload = queue.get(job.id)
    *short, own_edit = (queue.get(j.id) for j in meanwhile)
    assert upload.state == DONE and all(j.state == DONE and j.finished < upload.finished for j in short)
    assert own_edit.state == QUEUED  # it follows the upload: it runs after it, never ahead
    assert runner.drain() == 1 and queue.get(own_edit.id).state == DONE
    # Every write is read back from the version served last: none undid another.
    kb = KnowledgeBase(config_for(index_copy))
    titles = {d["doc_id"]: d["title"] for d in kb.documents()}
    assert titles[edited] == "Edited meanwhile" and deleted not in titles
    assert titles[upload.doc_id] == "The upload, edited"
    assert kb.search("Quorvexian tillit", k=1).results[0].doc_id == upload.doc_id
    assert kb.concept("porter-five-forces")["labels"]["en"] == "Five forces"


def test_a_short_write_finding_another_writers_lock_inside_an_upload_waits_in_the_queue_not_in_the_upload(
        index_copy, monkeypatch):
    # Found by an attack: with a command-line writer holding the lock, each look for short writes waited the lock
    # timeout and a back-off twice, and the upload embedded 12 times slower.
    runner = Runner(config_for(index_copy), get_engine(), lock_timeout=30.0)
    queue, engine, real = open_queue(config_for(index_copy)), runner.context.engine, runner.context.engine.embed
    edited = KnowledgeBase(config_for(index_copy)).documents()[0]["doc_id"]
    waited: list[float] = []
    real_edit = runner_module.TASKS[METADATA]

    def edit(job, context, report):
        waited.append(context.lock_timeout)
        return real_edit(job, context, report)

    def embed_while_another_writer_holds_the_lock(texts, embedder, progress=None):
        submit_metadata(queue, edited, {"title": "Edited after the lock"})
        with versions.writer_lock(index_copy, timeout=1.0):
            return real(texts, embedder, progress)

    monkeypatch.setitem(runner_module.TASKS, METADATA, edit)
    monkeypatch.setattr(engine, "embed", embed_while_another_writer_holds_the_lock)
    monkeypatch.setattr(runner_module, "SHORT_EVERY_S", 0.0)
    monkeypatch.setattr(runner_module, "BUSY_BACKOFF_S", 30.0)
    job = submit(index_copy, NOTE, "note.txt")
    assert runner.run_next().id == job.id and queue.get(job.id).state == DONE
    pending = queue.latest_pending(METADATA, edited)
    assert waited and set(waited) == {0.0} and pending.state == QUEUED and pending.attempts == 0  # tried, forgiven
    assert runner.drain() == 1 and waited[-1] == 30.0 and queue.get(pending.id).state == DONE
    titles = {d["doc_id"]: d["title"] for d in KnowledgeBase(config_for(index_copy)).documents()}
    assert titles[edited] == "Edited after the lock" and titles[queue.get(job.id).doc_id]


def test_a_short_write_whose_end_cannot_be_recorded_is_no_failure_of_the_upload_it_ran_inside(
        runner, index_copy, monkeypatch):
    queue, engine, real = runner.queue, runner.context.engine, runner.context.engine.embed
    edited = KnowledgeBase(config_for(index_copy)).documents()[0]["doc_id"]
    edits: list[Job] = []
    real_finish = queue.finish

    def embed_while_a_client_edits(texts, embedder, progress=None):
        edits.append(submit_metadata(queue, edited, {"title": "Recorded at last"})[0])
        return real(texts, embedder, progress)

    def finish(job_id, *args, **kwargs):
        if len(edits) == 1 and job_id == edits[0].id:
            edits.append(edits[0])  # once
            raise RuntimeError("a bug recording the end")
        return real_finish(job_id, *args, **kwargs)

    monkeypatch.setattr(engine, "embed", embed_while_a_client_edits)
    monkeypatch.setattr(queue, "finish", finish)
    monkeypatch.setattr(runner_module, "SHORT_EVERY_S", 0.0)
    job = submit(index_copy, NOTE, "note.txt")
    assert runner.run_next().id == job.id and queue.get(job.id).state == DONE  # the upload, not failed for it
    assert queue.get(edits[0].id).state == QUEUED and runner.drain() == 1 and queue.get(edits[0].id).state == DONE
    titles = {d["doc_id"]: d["title"] for d in KnowledgeBase(config_for(index_copy)).documents()}
    assert titles[edited] == "Recorded at last"


def test_vectors_that_cannot_be_kept_do_not_stop_the_upload(runner, index_copy, monkeypatch):
    import errno

    def full(target, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    job = submit(index_copy, NOTE, "note.txt")
    monkeypatch.setattr(spool, "KEEP_EVERY", 1)
    monkeypatch.setattr(spool, "write_atomically", full)  # every block kept: the spool's disk is full by now
    assert runner.drain() == 1
    done = open_queue(config_for(index_copy)).get(job.id)
    assert done.state == DONE
    assert KnowledgeBase(config_for(index_copy)).search("Quorvexian tillit", k=1).results[0].doc_id == done.doc_id


def test_a_job_failing_unexpectedly_every_time_is_given_up(runner, index_copy, monkeypatch):
    queue = open_queue(config_for(index_copy))
    job = submit(index_copy, NOTE, "note.txt")

    def broken(job, context, report):
        raise RuntimeError("a bug")

    monkeypatch.setitem(runner_module.TASKS, UPLOAD, broken)
    monkeypatch.setattr(runner_module, "BUSY_BACKOFF_S", 0.0)
    assert runner.drain() == runner_module.UNEXPECTED_ATTEMPTS
    failed = queue.get(job.id)
    assert failed.state == FAILED and failed.error_code == "internal_error"
    assert f"{runner_module.UNEXPECTED_ATTEMPTS} attempts" in failed.error_message
    assert not list(spool.folder(jobs_dir(index_copy)).iterdir())
    assert versions.current_name(index_copy) == "v000001"


def test_an_upload_queued_after_a_deletion_of_its_copy_runs_after_it_and_is_kept(runner, index_copy):
    queue = open_queue(config_for(index_copy))
    first = submit(index_copy, NOTE, "note.txt")
    runner.drain()
    doc_id = queue.get(first.id).doc_id
    early = submit(index_copy, NOTE, "early.txt")  # pending before the deletion (a runner died after publishing it)
    deletion, _ = submit_delete(queue, doc_id)
    late, created = submit_upload(queue, jobs_dir(index_copy), NOTE, check_upload(NOTE, "late.txt"), indexed_as=doc_id)
    assert created and late.id != early.id  # not merged with the upload that runs before the deletion
    assert runner.drain() == 3
    assert [queue.get(j.id).state for j in (early, deletion, late)] == [DONE, DONE, DONE]
    assert queue.get(early.id).doc_id == doc_id and queue.get(late.id).doc_id == doc_id
    kb = KnowledgeBase(config_for(index_copy))
    assert kb.search("Quorvexian tillit", k=1).results[0].doc_id == doc_id
    assert (index_copy / kb.document(doc_id)["source"]).read_bytes() == NOTE


def test_a_failing_job_is_marked_failed_and_the_next_one_still_runs(runner, index_copy):
    queue = open_queue(config_for(index_copy))
    lost = submit(index_copy, NOTE, "lost.txt")
    spool.path_of(jobs_dir(index_copy), lost).unlink()  # its bytes vanished (a disk cleaner, say)
    unknown, _ = queue.submit(Job(id=uuid.uuid4().hex, kind="reindex-everything", key="x"))
    gone, _ = submit_delete(queue, "no-such-doc")
    good = submit(index_copy, NOTE + "Tilliten vokser.\n".encode(), "note.txt")
    assert runner.drain() == 4
    assert queue.get(lost.id).to_dict()["error"] == {
        "code": "invalid_document", "message": "lost.txt: the uploaded bytes are gone from the spool"}
    assert queue.get(unknown.id).state == FAILED and "unknown job kind" in queue.get(unknown.id).error_message
    assert queue.get(gone.id).state == DONE  # deleting what is not there is done, not an error
    assert queue.get(good.id).state == DONE
    assert len(uploads.stored(index_copy)) == 1


def test_bad_uploads_are_refused_before_anything_is_queued_or_stored(index_copy):
    queue = open_queue(config_for(index_copy))
    for name, data, reason in [("evil.exe", b"MZ\x90\x00", "unsupported file type .exe"),
                               ("disguised.txt", b"\x7fELF\x02\x01\x01" + bytes(200), "binary content"),
                               ("disguised.pdf", b"\x7fELF" + bytes(200), "not a readable PDF")]:
        with pytest.raises(DocumentError, match=reason):
            submit_upload(queue, jobs_dir(index_copy), data, check_upload(data, name))
    assert queue.recent() == [] and not list(spool.folder(jobs_dir(index_copy)).glob("*"))


def test_an_upload_that_fills_the_disk_waits_in_the_queue_and_is_never_lost(index_copy, monkeypatch):
    import errno
    from index.segments.writer import SegmentWriter

    job = submit(index_copy, NOTE, "note.txt")
    commit, calls = SegmentWriter.commit, []

    def full_once(self):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return commit(self)

    monkeypatch.setattr(SegmentWriter, "commit", full_once)
    runner = Runner(config_for(index_copy), get_engine())
    with pytest.raises(InsufficientStorage):  # the runner waits for space (see Runner._outlast), the job queued
        runner.run_next()
    queue = open_queue(config_for(index_copy))
    assert queue.get(job.id).state == QUEUED and spool.path_of(jobs_dir(index_copy), job).exists()
    assert uploads.orphans(index_copy, store_for(index_copy)) == []  # its stored copy went with the failed write
    assert runner.drain() == 1
    done = queue.get(job.id)
    assert (done.state, done.attempts) == (DONE, 2)
    assert KnowledgeBase(config_for(index_copy)).search("Quorvexian tillit", k=1).results[0].doc_id == done.doc_id

    # A job that fills the disk every time it runs ends, naming the disk, after the runner's attempts.
    again = submit(index_copy, NOTE.replace(b"Quorvexian", b"Zentravian"), "other.txt")
    monkeypatch.setattr(SegmentWriter, "commit", lambda self: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    runner = Runner(config_for(index_copy), get_engine(), max_attempts=2)
    with pytest.raises(InsufficientStorage):
        runner.run_next()
    assert runner.run_next().id == again.id  # its last attempt: failed, the runner goes on
    failed = queue.get(again.id)
    assert (failed.state, failed.error_code) == (FAILED, "insufficient_storage") and "no space left" in failed.error_message
    assert not spool.path_of(jobs_dir(index_copy), again).exists()


def test_no_job_is_claimed_while_the_disk_is_below_the_free_space_floor(index_copy):
    job = submit(index_copy, NOTE, "note.txt")
    runner = Runner(config_for(index_copy, min_free_mb=1e12), get_engine())
    with pytest.raises(InsufficientStorage, match="below KB_MIN_FREE_MB"):
        runner.run_next()
    waiting = open_queue(config_for(index_copy)).get(job.id)
    assert (waiting.state, waiting.attempts) == (QUEUED, 0)


@pytest.mark.parametrize("wait", ["outage", "retry"])
def test_stop_ends_a_runners_wait_at_once(runner, index_copy, monkeypatch, wait):
    # Waits of a minute: a stop that slept them out would fail the join below.
    if wait == "outage":
        monkeypatch.setattr(runner_module, "RETRY_FIRST_S", 60.0)
        monkeypatch.setattr(runner.queue, "claim",
                            lambda short=False: (_ for _ in ()).throw(InsufficientStorage("disk full")))
    else:
        monkeypatch.setattr(runner_module, "BUSY_BACKOFF_S", 60.0)
        monkeypatch.setitem(runner_module.TASKS, UPLOAD, lambda job, context, report: 1 / 0)
        job = submit(index_copy, NOTE, "note.txt")
    serving = threading.Thread(target=runner.serve)
    serving.start()
    deadline = time.monotonic() + 30
    while runner._wake is None or (wait == "retry" and open_queue(config_for(index_copy)).get(job.id).state != QUEUED):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # well inside the wait
    runner.stop()
    serving.join(timeout=10)
    assert not serving.is_alive()
    if wait == "retry":  # requeued, its bytes kept, for the next runner
        assert open_queue(config_for(index_copy)).get(job.id).state == QUEUED
        assert spool.path_of(jobs_dir(index_copy), job).exists()


def test_a_stopping_runner_puts_its_job_back_unharmed(runner, index_copy):
    queue = open_queue(config_for(index_copy))
    job = submit(index_copy, NOTE, "note.txt")
    before = versions.current_name(index_copy)
    runner.stop()
    assert runner.run_next().id == job.id
    back = queue.get(job.id)
    assert (back.state, back.attempts) == (QUEUED, 0) and versions.current_name(index_copy) == before
    runner.stopping = False
    runner.drain()
    assert queue.get(job.id).state == DONE


def test_one_runner_per_index_and_its_liveness_is_visible(index_copy):
    assert not runner_alive(index_copy)
    with runner_lock(jobs_dir(index_copy)):
        assert runner_alive(index_copy)
        with pytest.raises(RunnerBusy):
            with runner_lock(jobs_dir(index_copy), wait_s=0.2):
                pass
        proc = subprocess.run([sys.executable, "-m", "ingest.jobs", "--index-dir", str(index_copy), "--once"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 3 and "another job runner" in proc.stderr
    assert not runner_alive(index_copy)


def test_a_spool_write_on_a_full_disk_names_it_and_leaves_no_partial_file(small_disk):
    folder = small_disk / "jobs"
    fill(small_disk, leave=16 * 1024)
    with pytest.raises(InsufficientStorage, match=f"no space left on device in {spool.folder(folder)}"):
        spool.write(folder, a_job(), b"x" * 100_000)
    assert list(spool.folder(folder).iterdir()) == []  # its .part file went too
    spool.write(folder, a_job(), b"x" * 1000)  # what fits still works


def test_spool_sweep_keeps_young_and_pending_files(tmp_path):
    folder = tmp_path / "jobs"
    pending, stale, young = a_job(), a_job(), a_job()
    for job in (pending, stale, young):
        spool.write(folder, job, b"x")
    old = time.time() - 3600
    for job in (pending, stale):
        os.utime(spool.path_of(folder, job), (old, old))
    assert spool.sweep(folder, {pending.id}) == [spool.path_of(folder, stale)]
    assert spool.path_of(folder, pending).exists() and spool.path_of(folder, young).exists()
    # A young file of a job known to have ended (its runner killed between recording it and removing the bytes).
    assert spool.sweep(folder, {pending.id}, finished=lambda job_id: job_id == young.id) == [spool.path_of(folder, young)]


def test_a_restarted_runner_keeps_the_bytes_of_an_upload_queued_while_it_sweeps(runner, index_copy, monkeypatch):
    folder = jobs_dir(index_copy)
    ended = submit(index_copy, NOTE, "ended.txt")
    runner.drain()
    spool.write(folder, runner.queue.get(ended.id), NOTE)  # left behind by a runner killed after recording its job
    before = runner.queue.pending_ids()  # the sweep reads the pending jobs, then a web worker queues an upload
    racing = submit(index_copy, NOTE + "Tilliten vokser.\n".encode(), "racing.txt")
    monkeypatch.setattr(runner.queue, "pending_ids", lambda: before)
    runner.recover()
    assert not spool.path_of(folder, runner.queue.get(ended.id)).exists()
    assert spool.path_of(folder, racing).read_bytes() == NOTE + "Tilliten vokser.\n".encode()
    monkeypatch.undo()
    assert runner.drain() == 1 and runner.queue.get(racing.id).state == DONE


def test_a_serving_runner_sweeps_bytes_no_job_claims(index_copy):
    runner = Runner(config_for(index_copy), get_engine(), poll_s=0.02, sweep_every_s=0.1)
    folder = jobs_dir(index_copy)
    # A web worker killed while spooling (a .part file) and one killed before queueing the spooled upload.
    stray = [spool.write(folder, a_job(), b"x"), spool.folder(folder) / f".{uuid.uuid4().hex}.txt.part"]
    stray[1].write_bytes(b"x")
    serving = threading.Thread(target=runner.serve)
    serving.start()
    try:
        time.sleep(0.3)
        assert all(p.exists() for p in stray)  # young: a worker may still queue its job
        old = time.time() - 3600
        for path in stray:
            os.utime(path, (old, old))
        deadline = time.monotonic() + 10
        while any(p.exists() for p in stray) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(p.exists() for p in stray)
    finally:
        runner.stop()
        serving.join(timeout=30)
    assert not serving.is_alive()


def test_verify_reports_orphaned_uploads_and_gc_removes_them(index_copy):
    stray = uploads.folder(index_copy) / "0123456789abcdef0123456789abcdef.txt"
    stray.parent.mkdir()
    stray.write_bytes(b"left behind")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "index", "--index-dir", str(index_copy), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    verify = cli("verify")
    assert verify.returncode == 1 and f"orphan: uploads/{stray.name}" in verify.stdout
    gc = cli("gc")
    assert gc.returncode == 0 and "removed 1 orphaned upload" in gc.stdout
    assert not stray.exists()
    assert cli("verify").returncode == 0


def _index_cli(index_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "index", "--index-dir", str(index_dir), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_verify_reports_an_upload_whose_bytes_changed(runner, index_copy):
    job = submit(index_copy, NOTE, "note.txt")
    runner.drain()
    stored = uploads.folder(index_copy) / f"{job.content_hash[:uploads.HASH_CHARS]}.txt"
    assert _index_cli(index_copy, "verify").returncode == 0
    stored.write_bytes(stored.read_bytes() + b"garbage")
    verify = _index_cli(index_copy, "verify")
    assert verify.returncode == 1 and f"altered: uploads/{stored.name}" in verify.stdout
    # A folder where the upload's bytes should be is no upload either: reported, not a traceback.
    stored.unlink()
    stored.mkdir()
    verify = _index_cli(index_copy, "verify")
    assert verify.returncode == 1 and f"altered: uploads/{stored.name}" in verify.stdout, verify.stderr


def test_a_damaged_current_version_refuses_writes_keeps_its_uploads_until_rolled_back(runner, index_copy):
    job = submit(index_copy, NOTE, "note.txt")
    runner.drain()
    damaged = versions.current_name(index_copy)
    stored = uploads.folder(index_copy) / f"{job.content_hash[:uploads.HASH_CHARS]}.txt"
    catalogue = versions.versions_dir(index_copy) / damaged / "catalogue.json"
    catalogue.write_bytes(catalogue.read_bytes().replace(b"Value disciplines", b"Value disciplinez"))

    # Reads fall back to the version before; the upload only the damaged one names is no orphan.
    verify = _index_cli(index_copy, "verify")
    assert verify.returncode == 1 and "DAMAGED" in verify.stdout and "uploads: not checked" in verify.stdout
    gc = _index_cli(index_copy, "gc")
    assert gc.returncode == 0 and "uploads kept" in gc.stdout and stored.exists()

    # A write on the older version would drop the damaged one's document without a word: refused, and said why.
    second = submit(index_copy, "Lojalitet og tillit hos Zentrovask.\n".encode(), "second.txt")
    runner.drain()
    ended = open_queue(config_for(index_copy)).get(second.id)
    assert ended.state == FAILED and ended.error_code == "index_corrupt" and "rollback" in ended.error_message
    assert versions.current_name(index_copy) == damaged

    rollback = _index_cli(index_copy, "rollback")
    assert rollback.returncode == 0 and f"damaged-{damaged}" in rollback.stdout
    assert (versions.versions_dir(index_copy) / f"damaged-{damaged}").is_dir()
    assert _index_cli(index_copy, "rollback").returncode == 1  # nothing damaged now
    again = submit(index_copy, "Lojalitet og tillit hos Zentrovask, igjen.\n".encode(), "again.txt")
    runner.drain()
    assert open_queue(config_for(index_copy)).get(again.id).state == DONE
    # The number the damaged version had is never given again: a server that read it must not take the new one
    # for it.
    assert versions.current_name(index_copy) > damaged
    assert _index_cli(index_copy, "gc").returncode == 0 and not stored.exists()
    assert _index_cli(index_copy, "verify").returncode == 0


def test_runner_cli_runs_the_queue_once_and_exits(index_copy):
    job = submit(index_copy, NOTE, "note.txt")
    proc = subprocess.run([sys.executable, "-m", "ingest.jobs", "--index-dir", str(index_copy), "--once"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert open_queue(config_for(index_copy)).get(job.id).state == DONE
    assert subprocess.run([sys.executable, "-m", "ingest.jobs", "--poll", "0"], cwd=ROOT,
                          capture_output=True).returncode == 2


def _open_at(folder: str, start, errors) -> None:
    start.wait()
    try:
        SqliteQueue(Path(folder)).submit(a_job())
    except Exception as exc:  # reported by the test
        errors.put(repr(exc))


def test_processes_opening_a_new_sqlite_queue_at_the_same_moment_all_succeed(tmp_path):
    # A first start: the web workers and the job runner each open the queue that none of them has created yet.
    for round_ in range(5):
        folder = tmp_path / f"jobs{round_}"
        context = multiprocessing.get_context("fork")
        start, errors = context.Event(), context.Queue()
        procs = [context.Process(target=_open_at, args=(str(folder), start, errors)) for _ in range(8)]
        for proc in procs:
            proc.start()
        start.set()
        for proc in procs:
            proc.join(60)
        assert errors.empty(), errors.get()
        assert SqliteQueue(folder).pending_count() == 8
