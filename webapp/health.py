"""What degrades the service while reads still work (for /healthz), and the early refusal of writes that cannot
be accepted now: the index's database is unreachable, the index directory cannot be written, or its disk is below
KB_MIN_FREE_MB.

A job runner that is down degrades the service but refuses nothing: jobs wait in the queue until it is back.
"""
from __future__ import annotations

import logging
import math
import os
from pathlib import Path

from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from index.errors import IndexCorrupt, KBError
from index.files import free_mb
from ingest.jobs.runner import runner_alive, silence

from .auth import writes_enabled
from .errors import RETRY_AFTER_S

log = logging.getLogger(__name__)

DISK_FULL = "disk_full"
READ_ONLY = "index_read_only"
RUNNER_DOWN = "runner_down"
RUNNER_STALLED = "runner_stalled"
INDEX_DAMAGED = "index_damaged"


class DiskFull(ServiceUnavailable):
    """A write refused because the index directory's disk has less free space than KB_MIN_FREE_MB."""

    name = "Disk Full"


class ReadOnly(ServiceUnavailable):
    """A write refused because the index directory cannot be written (a read-only mount or permissions)."""

    name = "Index Read Only"


def _index_dir() -> Path:
    return Path(current_app.config["KB"].index_dir)


def _disk_problem() -> str | None:
    """Why the index directory's disk cannot take writes, or None. Clients see no server path."""
    floor, free = current_app.config["KB"].min_free_mb, free_mb(_index_dir())
    if free >= floor:
        return None
    log.warning("disk of %s: %.1f MB free, below KB_MIN_FREE_MB (%g MB)", _index_dir(), free, floor)
    return f"the index directory's disk is full: {free:.0f} MB free, below the {floor:g} MB the server keeps free"


def _read_only() -> bool:
    """Whether the index directory (once it exists) cannot be written: a write would fail, and the job runner too."""
    path = _index_dir()
    return path.is_dir() and not os.access(path, os.W_OK)


def _damaged() -> str | None:
    """Why the served version is an older one than CURRENT names (that one is damaged), or None."""
    try:
        skipped = current_app.extensions["kb"].get().warnings
    except KBError:  # no index at all, or its database down: /healthz says so itself
        return None
    if not skipped:
        return None
    return (f"the index's current version is damaged ({skipped[0]}); an older sound version is served, and writes are "
            "refused until the operator runs `python -m index rollback` (or restores a backup)")


def problems() -> list[dict]:
    """What degrades the service now, each {code, message}; empty when all is well."""
    found = []
    if damaged := _damaged():
        found.append({"code": INDEX_DAMAGED, "message": damaged})
    disk = _disk_problem()
    if disk:
        found.append({"code": DISK_FULL, "message": disk + "; writes are refused until space is freed"})
    if _read_only():  # no job runner can run either: nothing is queued
        found.append({"code": READ_ONLY, "message": "the index directory cannot be written (a read-only mount or "
                                                    "its permissions); writes are refused"})
        return found
    if not writes_enabled():
        return found
    if not runner_alive(_index_dir()):
        found.append({"code": RUNNER_DOWN, "message": "the job runner is not running; writes are queued and "
                                                      "applied once it is back"})
    # A runner holding its lock that never beat is of a version before the beat (inf): not a stalled one.
    elif current_app.config["KB"].runner_stall_s < (silent := silence(_index_dir())) < math.inf:
        found.append({"code": RUNNER_STALLED, "message": f"the job runner has given no sign of life for {silent:.0f} s "
                                                         "(stopped, or held fast); writes are queued and applied once "
                                                         "it is restarted"})
    return found


def require_writable() -> None:
    """Refuse a write early (503 with Retry-After) while it cannot be accepted: the index's database is
    unreachable (store_unavailable), the index directory cannot be written (index_read_only) or its disk is below
    the free-space floor (disk_full), or the current version is damaged and an older one is served
    (index_corrupt)."""
    current_app.extensions["kb"].check_reachable()
    if damaged := _damaged():  # the writer would refuse it too, after the upload had waited in the queue
        raise IndexCorrupt(damaged)
    if _read_only():
        raise ReadOnly("the index directory cannot be written (a read-only mount or its permissions); send the "
                       "write again once the operator has made it writable", retry_after=RETRY_AFTER_S)
    disk = _disk_problem()
    if disk:
        raise DiskFull(f"{disk}; free some space, then send the write again", retry_after=RETRY_AFTER_S)
