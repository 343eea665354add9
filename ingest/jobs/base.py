"""What a job is, and the queue protocol every queue implementation (SQLite, PostgreSQL) follows."""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Protocol

from index.errors import KBError, QueueFull

UPLOAD, DELETE, CONCEPT, METADATA = "upload", "delete", "concept", "metadata"
KINDS = (UPLOAD, DELETE, CONCEPT, METADATA)
# Writes that take seconds, not minutes: they may run while an upload prepares or embeds (see `JobQueue.claim`).
SHORT_KINDS = (DELETE, CONCEPT, METADATA)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)
PENDING = (QUEUED, RUNNING)
# Where a running job is: shown to users while the state is "running".
STAGES = ("waiting", "preparing", "embedding", "publishing", "finished")


class RunnerBusy(KBError):
    """Another runner already serves this index directory or this database."""

    code = "runner_busy"


def _iso(ts: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else None


@dataclass
class Job:
    """One write: an upload (its bytes wait in the spool), a deletion, a concept change or a document's metadata
    edit, and how far it got."""

    id: str
    kind: str
    key: str  # what makes two pending jobs the same: the upload's text hash, the deleted doc_id, a change's hash
    state: str = QUEUED
    stage: str = "waiting"
    doc_id: str | None = None
    file_name: str | None = None
    content_hash: str | None = None
    suffix: str | None = None
    chunks_done: int = 0
    chunks_total: int = 0
    version: str | None = None
    duplicate: bool = False
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    # JSON: a concept change (index.concepts.edit.ConceptChange); an upload's or an edit's metadata (index.docmeta)
    payload: str | None = None

    def to_dict(self) -> dict:
        """The job as the HTTP API shows it."""
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "stage": self.stage,
            "progress": {"done": self.chunks_done, "total": self.chunks_total},
            "doc_id": self.doc_id, "file_name": self.file_name, "version": self.version,
            "duplicate": self.duplicate,
            "error": {"code": self.error_code, "message": self.error_message or ""} if self.error_code else None,
            "attempts": self.attempts,
            "concept": self.concept(),
            "metadata": self.metadata(),
            "created": _iso(self.created), "started": _iso(self.started), "finished": _iso(self.finished),
        }

    def concept(self) -> dict | None:
        """A concept job's change as the API shows it: {action, id}; None for other jobs."""
        if self.kind != CONCEPT or not self.payload:
            return None
        change = json.loads(self.payload)
        return {"action": change["action"], "id": change["id"]}

    def metadata(self) -> dict | None:
        """The metadata an upload was given or an edit sets (`index.docmeta.FIELDS`); None for other jobs."""
        if self.kind not in (UPLOAD, METADATA) or not self.payload:
            return None
        return json.loads(self.payload)

    def row(self) -> dict:
        """Every field, for storage."""
        return asdict(self)


def narrowed(kind: str | None, doc_id: str | None, placeholder: str) -> tuple[str, tuple[str, ...]]:
    """The SQL conditions (" AND ...") and arguments that narrow pending jobs to a kind and a document, where given;
    `placeholder` is the driver's parameter mark."""
    given = [(column, value) for column, value in (("kind", kind), ("doc_id", doc_id)) if value is not None]
    return "".join(f" AND {column} = {placeholder}" for column, _ in given), tuple(value for _, value in given)


AFTER = " after "  # a key "K after J": the write K queued behind the pending job J, never merged with an older K


@dataclass(frozen=True)
class Follows:
    """The pending writes a new job is ordered behind: the newest of `kind` (any: None) on `doc_ids` (any document:
    empty) and on every document a pending job of the same write names (an upload's text under another file's id)."""

    kind: str | None = None
    doc_ids: tuple[str, ...] = ()


def followed(follows: Follows, job: Job, placeholder: str) -> tuple[str, tuple[str, ...]]:
    """The SQL conditions (" AND ...") and arguments that find the pending jobs `job` must follow."""
    where, args = narrowed(follows.kind, None, placeholder)
    if follows.doc_ids:
        marks, states = (", ".join(placeholder for _ in values) for values in (follows.doc_ids, PENDING))
        where += (f" AND (doc_id IN ({marks}) OR doc_id IN (SELECT doc_id FROM jobs WHERE state IN ({states})"
                  f" AND kind = {placeholder} AND (key = {placeholder} OR key LIKE {placeholder})))")
        args += (*follows.doc_ids, *PENDING, job.kind, job.key, job.key + AFTER + "%")
    return where, args


def claimable(short: bool, placeholder: str) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (" AND ...") and arguments that narrow queued jobs to those `claim(short)` may take: with
    `short`, a short write whose key follows no pending job (`in_order` names the job it follows)."""
    if not short:
        return "", ()
    kinds, states = (", ".join(placeholder for _ in values) for values in (SHORT_KINDS, PENDING))
    return (f" AND kind IN ({kinds}) AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p.state IN ({states})"
            f" AND jobs.key LIKE {placeholder} || p.id)"), (*SHORT_KINDS, *PENDING, "%" + AFTER)


def behind(job: Job, follows: Follows, newest: Callable[[str, tuple], Job | None],
           placeholder: str) -> tuple[Job, bool]:
    """(`job` keyed to run behind the pending writes it follows, True), or (the pending job it merges with, False);
    `newest(conditions, arguments)` reads the newest pending job those SQL conditions (" AND ...") narrow to."""
    where, args = followed(follows, job, placeholder)
    latest = newest(where, args)
    same = merged_past_edits(job, latest, lambda: newest(f"{where} AND kind <> {placeholder}", (*args, METADATA)))
    if same is not None:
        return same, False
    ordered = in_order(job, latest)
    return (latest, False) if ordered is None else (ordered, True)


def merged_past_edits(job: Job, latest: Job | None, before_edits: Callable[[], Job | None]) -> Job | None:
    """The pending upload of this very text that `job`, an upload, merges with although metadata edits of its
    document were queued since (`latest` one of them; `before_edits` finds the newest pending write that is none):
    the same text sent again with other metadata is an edit that follows them, never a second upload."""
    if job.kind != UPLOAD or latest is None or latest.kind != METADATA:
        return None
    before = before_edits()
    return before if before is not None and in_order(job, before) is None else None


def forgiven_beside_long_writes(placeholder: str) -> tuple[str, tuple[str, ...]]:
    """The SQL statement and arguments that give a dead runner's short writes back the attempt they were charged
    where a long write was running too: run inside it (see `Runner.run_short_writes`), they are not what stopped the
    runner, and an upload that kills it again and again must not use up theirs."""
    kinds = ", ".join(placeholder for _ in SHORT_KINDS)
    return (f"UPDATE jobs SET attempts = attempts - 1 WHERE state = {placeholder} AND attempts > 0"
            f" AND kind IN ({kinds}) AND EXISTS (SELECT 1 FROM jobs j WHERE j.state = {placeholder}"
            f" AND j.kind NOT IN ({kinds}))"), (RUNNING, *SHORT_KINDS, RUNNING, *SHORT_KINDS)


def in_order(job: Job, latest: Job | None) -> Job | None:
    """`job` keyed to run behind `latest`, the newest pending write it must follow; None when `latest` is this very
    write (a client's retry, to merge with). Merged with an older identical write, it would run ahead of the
    writes queued since (delete, upload, delete would end with the document back)."""
    if latest is None:
        return job
    if latest.kind == job.kind and latest.key.split(AFTER)[0] == job.key:
        return None
    return replace(job, key=f"{job.key}{AFTER}{latest.id}")


def full(max_pending: int) -> QueueFull:
    """The error a bounded queue answers a new job with once `max_pending` jobs are pending."""
    return QueueFull(f"the job queue is full ({max_pending} writes pending); retry in a few seconds")


class JobQueue(Protocol):
    """A durable FIFO of jobs shared by the web workers (submit, read) and the one runner (claim, update)."""

    def serving(self, wait_s: float = 5.0) -> contextlib.AbstractContextManager[None]:
        """Held by the runner for its life: its `recover` and `claim` raise RunnerBusy while another runner holds
        the queue for `wait_s` seconds (a queue the index folder's runner lock does not cover)."""
        ...

    def submit(self, job: Job, follows: Follows | None = None,
               check: Callable[[list[Job]], None] | None = None) -> tuple[Job, bool]:
        """Add `job` unless a pending job of the same kind has its key; (the pending job, whether it is new).

        With `follows`, first and in the same transaction: merge with the newest pending job it names when that is
        the same write, else queue `job` behind it (`in_order`). With `check`, in that transaction before `job` is
        added (not when it merges): `check(the pending jobs of its kind, oldest first)`, whose error refuses it, so
        no job queued meanwhile escapes the check. QueueFull when the queue was opened with `max_pending` and that
        many jobs are pending already.
        """
        ...

    def pending(self, kind: str, key: str) -> Job | None:
        """The queued or running job of this kind with this key, if any."""
        ...

    def latest_pending(self, kind: str | None, doc_id: str | None = None) -> Job | None:
        """The newest queued or running job of this kind (any kind: None) and of this document, if any."""
        ...

    def pending_of(self, kind: str, limit: int = 1000) -> list[Job]:
        """The queued and running jobs of this kind, oldest first (at most `limit`)."""
        ...

    def pending_count(self) -> int:
        """How many jobs are queued or running."""
        ...

    def get(self, job_id: str) -> Job | None:
        """One job by id."""
        ...

    def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first."""
        ...

    def pending_ids(self) -> set[str]:
        """Ids of queued and running jobs."""
        ...

    def claim(self, short: bool = False) -> Job | None:
        """Mark the oldest queued job running (one more attempt) and return it; None when none waits. With `short`,
        the oldest queued short write (`SHORT_KINDS`) that follows no pending job: one that may run while an upload
        prepares or embeds, ahead of it and of the uploads queued behind it, none of which it depends on."""
        ...

    def progress(self, job_id: str, stage: str, done: int = 0, total: int = 0) -> None:
        """Record how far a running job got."""
        ...

    def finish(self, job_id: str, version: str | None, doc_id: str | None, duplicate: bool = False) -> None:
        """Mark a job done with the version that serves its result."""
        ...

    def fail(self, job_id: str, code: str, message: str) -> None:
        """Mark a job failed with an error code and a message for the user."""
        ...

    def requeue(self, job_id: str, count_attempt: bool = True) -> None:
        """Put a running job back in the queue (its runner stopped); `count_attempt=False` forgives the attempt."""
        ...

    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a runner died: running jobs go back to the queue, or fail after `max_attempts`; (requeued, failed)."""
        ...
