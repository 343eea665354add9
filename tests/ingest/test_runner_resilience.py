"""The job runner (`python -m ingest.jobs`, the real process) on a disk that fills up while it runs a job: it never
exits; the job waits in the queue and runs again once space is back; the next job runs."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.service import KnowledgeBase
from ingest.jobs import DONE, RUNNING, jobs_dir, open_queue
from ingest.jobs.submit import check_upload, submit_upload
from tests.conftest import copy_index, fill
from webapp.serve import die_with_parent
from tests.configs import config_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def note(marker: str) -> bytes:
    return (f"Notat om full disk\n\nKunder som stoler på leverandøren kommer tilbake. Dette notatet handler om "
            f"tillit og kundeopplevelse over tid (merke {marker}).\n").encode()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_disk_filling_up_mid_job_never_stops_the_runner(seed_index, small_disk, tmp_path):
    index_dir = copy_index(seed_index, small_disk / "index")
    queue = open_queue(config_for(index_dir))
    first, _ = submit_upload(queue, jobs_dir(index_dir), note("qxfull1"), check_upload(note("qxfull1"), "a.txt"))
    log = tmp_path / "runner.log"
    with log.open("w") as handle:
        # A floor of 1 MB: the 32 MB disk is below the default 100, where the runner would claim nothing.
        runner = subprocess.Popen([sys.executable, "-m", "ingest.jobs", "--index-dir", str(index_dir)], cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT), "KB_MIN_FREE_MB": "1"}, stdout=handle,
                                  stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
    try:
        wait_for(lambda: queue.get(first.id).state != "queued", 120, "the runner did not claim the job")
        filler = fill(small_disk)  # while the job prepares or embeds (a first job loads the model)
        time.sleep(5)
        assert runner.poll() is None, log.read_text()[-3000:]
        filler.unlink()
        wait_for(lambda: queue.get(first.id).state not in ("queued", RUNNING), 120, "the first job did not end")
        ended = queue.get(first.id)
        assert ended.state == DONE, ended  # accepted, never lost: it waited for space and ran again
        second, _ = submit_upload(queue, jobs_dir(index_dir), note("qxfull2"), check_upload(note("qxfull2"), "b.txt"))
        wait_for(lambda: queue.get(second.id).state == DONE, 120, f"the second job did not run: {queue.get(second.id)}")
        assert runner.poll() is None
    finally:
        runner.terminate()
        runner.wait(timeout=30)
    assert KnowledgeBase(config_for(index_dir)).document(queue.get(second.id).doc_id)
    print(f"first job: {ended.state} {ended.error_code or ''}; runner log: "
          + " | ".join(line for line in log.read_text().splitlines() if "unavailable" in line or "failed" in line))
