"""The process's one KnowledgeBase: opened at app creation, checked for a newer version on every request."""
from __future__ import annotations

import copy
import logging
import threading
import time

from flask import current_app

from index.config import Config
from index.errors import IndexNotFound, KBError, StoreUnavailable
from index.service import KnowledgeBase

log = logging.getLogger(__name__)

MISSING_RETRY_S = 1.0
# A request that finds another thread opening the index waits this long for it (opening takes seconds).
OPENING_WAIT_S = 30.0
# While the index's database cannot be reached, one request at a time, at most this often, checks whether it is
# back; the others answer 503 at once instead of each waiting out a connection attempt (10 s or more to a server
# that stopped answering), which under a burst held every thread and ended in gateway timeouts.
OUTAGE_RECHECK_S = 1.0


class KBHolder:
    """Opens the index lazily again when it was missing, and picks up newly published versions."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.index_dir = config.index_dir
        self._kb: KnowledgeBase | None = None
        self._error: KBError | None = None
        self._unreachable: StoreUnavailable | None = None
        self._unreachable_at = 0.0
        self._checked = 0.0
        self._lock = threading.Lock()
        self._probe = threading.Lock()
        self._open()

    def _open(self) -> None:
        if not self._checked:  # not on every retry while the index is missing
            log.info("opening the index in %s (loading the query models takes seconds once)", self.index_dir)
        try:
            self._kb = KnowledgeBase(self.config)
            self._kb.warm_up()
            self._error = None
        except KBError as exc:
            # Serve 503s instead of refusing to start: an ingest may publish the index later.
            log.warning("index unavailable in %s: %s", self.index_dir, exc)
            self._error = copy.copy(exc)  # without its traceback (the frames of the failed opening)

    def reopen(self) -> None:
        """Open the index afresh in a forked worker: its files, connections and locks are the worker's own, while
        the models loaded before the fork (query detector, encoder) stay shared with the other workers."""
        self._kb, self._error, self._unreachable, self._checked = None, None, None, 0.0
        self._lock, self._probe = threading.Lock(), threading.Lock()
        self._open()

    def refresh(self) -> None:
        """Serve the published version on this request: a newly published one is loaded before answering.

        The check reads the small CURRENT file, cheap enough for every request; so once a write's job
        reports done, every worker serves its version on its next request. A missing index is looked
        for again at most once a second, an unreachable database as often (`OUTAGE_RECHECK_S`).
        """
        if self._kb is None:
            if not self._lock.acquire(blocking=False):
                # Another thread is opening it: opening a published index takes seconds, so wait for that rather
                # than answer that there is no index. Not while its database cannot be reached: that attempt may
                # wait out a connection timeout, and a burst waiting with it would hold every thread (see
                # OUTAGE_RECHECK_S).
                if not isinstance(self._error, StoreUnavailable) and self._lock.acquire(timeout=OPENING_WAIT_S):
                    self._lock.release()
                return
            try:
                now = time.monotonic()
                if now - self._checked >= MISSING_RETRY_S:
                    self._checked = now
                    self._open()
            finally:
                self._lock.release()
            return
        probing = self._unreachable is not None
        if probing and (time.monotonic() - self._unreachable_at < OUTAGE_RECHECK_S
                        or not self._probe.acquire(blocking=False)):
            return  # the outage stands: `get` answers 503 at once
        try:
            if self._kb.refresh():
                log.info("now serving %s", self._kb.version)
            self._unreachable = None
        except StoreUnavailable as exc:
            # The index's database is down: answer 503 (readiness included) until a request finds it back. Kept
            # without its traceback, which holds the failed connection attempt (a socket the server accepts once
            # it answers again: an idle backend for as long as the error is kept).
            self._unreachable, self._unreachable_at = copy.copy(exc), time.monotonic()
        except KBError as exc:
            # A bad newer version must not take down the one being served (it is examined once).
            log.error("could not load the newer index version: %s", exc)
        finally:
            if probing:
                self._probe.release()

    def check_reachable(self) -> None:
        """Raise StoreUnavailable while the index's database cannot be reached (as the last request found it)."""
        if self._unreachable is not None:
            raise copy.copy(self._unreachable)  # raising the kept one again would grow its traceback per request

    def get(self) -> KnowledgeBase:
        """The knowledge base, or the error that keeps it from opening (answered as 503)."""
        if self._kb is None:
            raise copy.copy(self._error) if self._error else IndexNotFound(f"no index in {self.index_dir}")
        self.check_reachable()
        return self._kb


def get_kb() -> KnowledgeBase:
    """The current app's knowledge base."""
    return current_app.extensions["kb"].get()
