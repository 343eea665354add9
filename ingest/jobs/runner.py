"""The one writer: claims jobs in order, runs them, records how they ended; survives any failing job.

Only one runner serves an index directory (it holds `<jobs dir>/runner.lock` for its life). Jobs found
running when it starts belonged to a runner that died: they run again from scratch (publishing is
atomic, so the index never holds half a job) until they have used `max_attempts`; so does a job that
failed with an unexpected error, up to `UNEXPECTED_ATTEMPTS` in all, and one that filled the disk, up to
`max_attempts`. An unreachable database or a full disk never stops it: it waits with backoff and resumes where it
was, and claims no job while the index directory's disk is below KB_MIN_FREE_MB.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import logging
import math
import os
import select
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

from index.config import Config
from index.errors import IndexBusy, InsufficientStorage, KBError, StoreUnavailable
from index.files import exclusive_lock, free_mb

from ..chunking import ChunkingConfig
from ..engines import IngestEngine
from . import jobs_dir, open_queue, spool
from .base import CONCEPT, DELETE, DONE, FAILED, METADATA, UPLOAD, Job, RunnerBusy
from .tasks import Context, Outcome, run_concept, run_delete, run_metadata, run_upload

log = logging.getLogger(__name__)

LOCK_FILE = "runner.lock"
# Touched every BEAT_EVERY_S by a thread of the serving runner: a runner that holds its lock but no longer beats is
# stopped (SIGSTOP), or its interpreter is held fast (a C call that never lets go), and runs no job.
BEAT_FILE = "runner.beat"
BEAT_EVERY_S = 2.0
POLL_S = 0.2
# A job whose runner dies this many times while running it is given up (it may be what kills it). Fewer gave up
# valid uploads whose runner was merely restarted often: 2 of 479 at a kill every 3-10 s with 3 attempts.
MAX_ATTEMPTS = 5
# A web worker killed between spooling an upload and queueing its job leaves bytes no job claims: swept this often.
SWEEP_EVERY_S = 60.0
PROGRESS_EVERY_S = 0.5
BUSY_BACKOFF_S = 1.0
# A job failing with an error nobody foresaw runs this many times in all before it is given up, its bytes kept
# meanwhile: the cause may lie outside the job and pass (what a killed writer left, a resource run short), while
# a job that fails this way every time costs only a few more runs.
UNEXPECTED_ATTEMPTS = 3
# While an upload prepares or embeds, the runner looks for short writes after this much of the upload's work, and
# starts them for this long at most: a trainer's edit waits seconds, not the upload's minutes, and a stream of edits
# (a second each on a small machine) still leaves the upload a third of the time.
SHORT_EVERY_S = 1.0
SHORT_FOR_S = 2.0
# While the queue or the index cannot be reached or written: wait 0.5 s, then twice as long each time, up to 5 s.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF): an I/O error (what a full disk gives
# when the WAL index cannot grow) and "database or disk is full".
SQLITE_IOERR, SQLITE_FULL = 10, 13
TASKS = {UPLOAD: run_upload, DELETE: run_delete, CONCEPT: run_concept, METADATA: run_metadata}
T = TypeVar("T")


class Stopped(Exception):
    """The runner was asked to stop while a job ran; the job goes back to the queue."""


def runner_lock(folder: Path, wait_s: float = 5.0) -> contextlib.AbstractContextManager[None]:
    """Hold the runner lock; RunnerBusy when another runner keeps it for `wait_s` seconds."""
    return exclusive_lock(folder / LOCK_FILE, wait_s, lambda: RunnerBusy(f"another job runner serves {folder.parent}"))


def runner_alive(index_dir: Path) -> bool:
    """Whether a runner holds the lock of this index directory now."""
    path = jobs_dir(index_dir) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def silence(index_dir: Path) -> float:
    """Seconds since a runner of this index directory last gave a sign of life (inf: none ever did)."""
    try:
        return time.time() - (jobs_dir(index_dir) / BEAT_FILE).stat().st_mtime
    except FileNotFoundError:
        return math.inf


def disk_full(exc: BaseException) -> bool:
    """Whether an error, or one it was raised from, means the disk is full (ENOSPC, or SQLite's SQLITE_FULL)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if _sqlite_code(exc) == SQLITE_FULL:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _sqlite_code(exc: BaseException) -> int:
    """SQLite's primary result code of an error; 0 for any other error."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _outage(exc: BaseException) -> bool:
    """Whether an error is the queue's or the index's resources failing (database, disk), not a job's."""
    return (isinstance(exc, (StoreUnavailable, InsufficientStorage, OSError)) or _sqlite_code(exc) == SQLITE_IOERR
            or disk_full(exc))


class Runner:
    """Runs the jobs of one index directory, one at a time, in the order they were queued; while an upload prepares
    and embeds (holding no lock), the short writes queued meanwhile that wait for nothing pending run between its
    steps."""

    def __init__(self, config: Config, engine: IngestEngine, chunking: ChunkingConfig = ChunkingConfig(),
                 poll_s: float = POLL_S, max_attempts: int = MAX_ATTEMPTS, lock_timeout: float = 5.0,
                 sweep_every_s: float = SWEEP_EVERY_S) -> None:
        self.index_dir = config.index_dir
        self.queue = open_queue(config)
        self.context = Context(config, jobs_dir(self.index_dir), engine, chunking, lock_timeout,
                               meanwhile=self.run_short_writes)
        self.poll_s = poll_s
        self.sweep_every_s = sweep_every_s
        self.max_attempts = max_attempts
        self.stopping = False
        self._in_job = False
        # Claimed, their ends not recorded yet (a short write run while an upload embeds, on top of the upload):
        # requeued after an outage.
        self._unrecorded: list[Job] = []
        self._short_checked = 0.0  # when `run_short_writes` last looked for a short write
        self.claimed = 0  # jobs claimed by this runner, short writes run inside an upload included
        self._wake: tuple[int, int] | None = None  # while serving, a pipe `stop()` writes to: a pause ends at once

    def stop(self, *_: object) -> None:
        """Stop the runner (a signal handler): between jobs, or now, putting the running job back in the queue.

        Interrupting a job anywhere is safe: it publishes atomically and runs again from scratch.
        """
        self.stopping = True
        if self._wake is not None:
            with contextlib.suppress(OSError):  # full: already woken
                os.write(self._wake[1], b"x")
        if self._in_job:
            self._in_job = False
            raise Stopped()

    def serve(self, once: bool = False) -> None:
        """Start the engine, recover after a dead runner, then run jobs as they come until `stop()` (or, `once`,
        until none waits). The engine starts before any job runs, so an unreachable cluster fails none."""
        with (runner_lock(self.context.jobs_dir), self.queue.serving(), self._waking(),
              _beating(self.context.jobs_dir / BEAT_FILE)):
            self.context.engine.start()
            self._outlast(self.recover)
            log.info("job runner serving %s", self.index_dir)
            swept = time.monotonic()
            while not self.stopping:
                if self._outlast(self.run_next) is None and not self.stopping:
                    if once:
                        break
                    self._pause(self.poll_s)
                if time.monotonic() - swept >= self.sweep_every_s:
                    self._outlast(self.sweep)
                    swept = time.monotonic()
        log.info("job runner stopped")

    @contextlib.contextmanager
    def _waking(self):
        """The pipe that lets `stop()` end a pause, for the life of `serve`."""
        read, write = os.pipe()
        os.set_blocking(write, False)
        self._wake = (read, write)
        try:
            yield
        finally:
            self._wake = None
            os.close(read)
            os.close(write)

    def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less where `stop()` comes meanwhile (a sleep would outlast the signal by its rest)."""
        if self.stopping:
            return
        if self._wake is None:
            time.sleep(seconds)
        else:
            select.select([self._wake[0]], [], [], seconds)

    def _outlast(self, step: Callable[[], T]) -> T | None:
        """Run `step`, waiting out an unreachable database or a full disk with backoff; None once stopping.

        Nothing is lost by waiting (the queue is durable), while exiting would only restart into the same
        outage. A job whose end could not be recorded goes back to the queue, its attempt forgiven.
        """
        delay, failing = RETRY_FIRST_S, False
        while not self.stopping:
            try:
                while self._unrecorded:
                    self.queue.requeue(self._unrecorded[-1].id, count_attempt=False)
                    log.info("job %s back in the queue after the outage", self._unrecorded.pop().id)
                result = step()
            except Exception as exc:
                if not _outage(exc):
                    raise
                if not failing:
                    log.warning("job queue or index unavailable (%s); retrying every %.1f-%.0f s", self._reason(exc),
                                RETRY_FIRST_S, RETRY_MAX_S)
                failing = True
                self._pause(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if failing:
                log.info("job queue and index available again; resuming")
            return result
        return None

    def _reason(self, exc: BaseException) -> str:
        """An outage's cause for the log."""
        if disk_full(exc):
            return f"no space left on the disk of {self.index_dir}"
        return f"{type(exc).__name__}: {exc}"

    def recover(self) -> None:
        """Requeue (or give up) jobs a dead runner left running; drop spool files nothing needs."""
        requeued, failed = self.queue.recover(self.max_attempts)
        for job_id in requeued:
            log.warning("job %s was running when its runner stopped; it runs again", job_id)
        for job_id in failed:
            log.error("job %s stopped its runner %d times; given up", job_id, self.max_attempts)
        self.sweep()

    def sweep(self) -> list[Path]:
        """Drop the spool files no pending job needs (see `spool.sweep`): at start, and every `sweep_every_s`."""
        return spool.sweep(self.context.jobs_dir, self.queue.pending_ids(), finished=self._ended)

    def _ended(self, job_id: str) -> bool:
        """Whether the queue records this job as ended; a job queued since the pending set was read is not."""
        job = self.queue.get(job_id)
        return job is not None and job.state in (DONE, FAILED)

    def drain(self) -> int:
        """Run queued jobs until none is left (or `stop()`); returns how many ran (short writes run inside an upload
        included)."""
        before = self.claimed
        while not self.stopping and self.run_next() is not None:
            pass
        return self.claimed - before

    def _short_of_room(self) -> str | None:
        """Why no job may be claimed now, or None: the index directory's disk is below KB_MIN_FREE_MB, the floor
        below which the server accepts no write (a job claimed then would fill the disk)."""
        floor, free = self.context.config.min_free_mb, free_mb(self.index_dir)
        if free >= floor:
            return None
        return f"{free:.0f} MB free on the disk of {self.index_dir}, below KB_MIN_FREE_MB ({floor:g} MB)"

    def run_next(self, short: bool = False) -> Job | None:
        """Claim and run the oldest queued job (`short`: short write, see `JobQueue.claim`); None when none waits.
        While the disk is below the free-space floor, none is claimed (InsufficientStorage: see `_outlast`)."""
        if short_of_room := self._short_of_room():
            raise InsufficientStorage(short_of_room)
        job = self.queue.claim(short)
        if job is None:
            return None
        self._unrecorded.append(job)
        self.claimed += 1
        if not short:
            self._short_checked = time.monotonic()  # short writes wait for SHORT_EVERY_S of this job's work
        started = time.perf_counter()
        try:
            self._in_job = True
            try:
                # A short write run inside an upload never waits for another writer's lock: the upload would wait.
                outcome = self._run(job, dataclasses.replace(self.context, lock_timeout=0.0) if short else self.context)
            finally:
                self._in_job = False
        except Stopped:
            self.queue.requeue(job.id, count_attempt=False)
            log.info("job %s back in the queue: the runner is stopping", job.id)
        except IndexBusy:
            # Another writer (a command-line ingest) holds the index: wait for it, this is no failure (a short write
            # waits in the queue, not in the upload it runs inside).
            self.queue.requeue(job.id, count_attempt=False)
            if not short:
                self._pause(BUSY_BACKOFF_S)
        except Exception as exc:  # a bug or an exhausted resource must not stop the other jobs
            if isinstance(exc, StoreUnavailable) or _sqlite_code(exc) == SQLITE_IOERR:
                raise  # the database or the queue's disk failed mid-job, not the job: it runs again once back
            full = isinstance(exc, InsufficientStorage) or disk_full(exc)
            reason = str(exc) if isinstance(exc, KBError) else f"no space left on device in {self.index_dir}"
            if full and job.attempts < self.max_attempts:
                # The disk filled up under the job: accepted, it is not lost but waits in the queue while the runner
                # waits for space (see `_outlast`); its attempt counts, so a job too big for the disk ends.
                self.queue.requeue(job.id)
                self._unrecorded.remove(job)
                log.warning("job %s back in the queue: %s", job.id, reason)
                raise InsufficientStorage(reason) from exc
            if full:
                self._failed(job, InsufficientStorage.code, reason)
            elif isinstance(exc, KBError):
                self._failed(job, exc.code, str(exc))
            elif job.attempts < min(UNEXPECTED_ATTEMPTS, self.max_attempts):
                log.exception("job %s failed unexpectedly (attempt %d); it runs again", job.id, job.attempts)
                self.queue.requeue(job.id)
                if not short:  # a short write waits in the queue, not in the upload it runs inside
                    self._pause(BUSY_BACKOFF_S * job.attempts)
            else:
                log.exception("job %s failed unexpectedly (attempt %d); given up", job.id, job.attempts)
                self._failed(job, "internal_error", f"internal error while running the job ({type(exc).__name__},"
                                                    f" {job.attempts} attempts)")
        else:
            self.queue.finish(job.id, outcome.version, outcome.doc_id, outcome.duplicate)
            if job.kind == UPLOAD:
                spool.remove(self.context.jobs_dir, job)
            log.info("job %s %s %r done in %.1fs: version %s, doc %s%s", job.id, job.kind, job.file_name,
                     time.perf_counter() - started, outcome.version, outcome.doc_id,
                     " (duplicate)" if outcome.duplicate else "")
        self._unrecorded.remove(job)
        return job

    def run_short_writes(self) -> None:
        """Run the short writes (edits, deletions, concept changes) queued that wait for no pending job: called by
        a long upload as it prepares and embeds, holding no lock, at most every `SHORT_EVERY_S`. A short write finding
        another writer's lock goes back to the queue at once, for the next look."""
        if self.stopping or len(self._unrecorded) != 1 or time.monotonic() - self._short_checked < SHORT_EVERY_S:
            return  # not from within a short write, nor outside a job
        if self._short_of_room():
            return  # they wait in the queue; the upload finds out for itself whether it fits
        # `stop()` interrupts a short write as it does any job, not this look for one (a claim would be lost).
        self._in_job = False
        started = time.monotonic()
        try:
            while time.monotonic() - started < SHORT_FOR_S and not self.stopping:
                try:
                    job = self.run_next(short=True)
                except Exception as exc:
                    if _outage(exc):
                        raise  # the queue or the index is down: both jobs go back to the queue (see `_outlast`)
                    # Recording the short write's end failed: that is no failure of the upload it ran inside.
                    log.exception("a short write run inside job %s could not be recorded; it runs again",
                                  self._unrecorded[0].id)
                    for nested in self._unrecorded[1:]:
                        with contextlib.suppress(Exception):
                            self.queue.requeue(nested.id, count_attempt=False)
                    del self._unrecorded[1:]
                    break
                if job is None or not self._ended(job.id):  # none waits, or it went back (another writer's lock)
                    break
        finally:
            self._short_checked = time.monotonic()
            self._in_job = not self.stopping  # back in the upload, which `stop()` interrupts as before

    def _failed(self, job: Job, code: str, message: str) -> None:
        self.queue.fail(job.id, code, message)
        if job.kind == UPLOAD:
            spool.remove(self.context.jobs_dir, job)
        log.warning("job %s %s %r failed: %s", job.id, job.kind, job.file_name, message)

    def _run(self, job: Job, context: Context) -> Outcome:
        task = TASKS.get(job.kind)
        if task is None:
            raise KBError(f"unknown job kind {job.kind!r}")
        last = [0.0, ""]

        def report(stage: str, done: int, total: int) -> None:
            if self.stopping:
                raise Stopped()
            now = time.monotonic()
            if stage != last[1] or now - last[0] >= PROGRESS_EVERY_S or done == total:
                last[:] = [now, stage]
                self.queue.progress(job.id, stage, done, total)

        return task(job, context, report)


@contextlib.contextmanager
def _beating(path: Path):
    """A thread that touches `path` every BEAT_EVERY_S while the block runs (see `silence`)."""
    done = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(OSError):  # a full disk or a lost folder: no beat, which `silence` shows
                path.touch()
                now = time.time()
                os.utime(path, (now, now))  # this host's clock, not a file server's: the launcher reads it here
            if done.wait(BEAT_EVERY_S):
                return

    thread = threading.Thread(target=beat, name="runner-beat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
