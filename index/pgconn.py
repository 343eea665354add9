"""PostgreSQL connections shared by the PostgreSQL store and job queue, and their numbered migrations.

One connection per thread and process: a gunicorn gthread worker's threads never share one (a psycopg
connection runs one statement at a time), a forked worker never inherits its parent's socket, and a
connection the server dropped (restart, failover to a replica) is replaced at the next call.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import select
import threading
import time
import zlib
from typing import Callable, Iterator, Sequence, TypeVar, Union

import psycopg
from psycopg.rows import dict_row

from .errors import StoreUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
# How long one statement may take (KB_PG_STATEMENT_TIMEOUT_S): the server cancels it then, and the client gives up
# on the server a little later, so a server that stopped answering (frozen, or cut off without a reset) costs a
# request that long, not a thread for ever.
STATEMENT_TIMEOUT_S = 30.0
_CLIENT_GRACE_S = 5.0
# The check of an idle connection (see IDLE_CHECK_S) waits this long: a server that answers answers at once.
PROBE_TIMEOUT_S = 3.0
# A connection idle this long is checked (one round trip) before it is used again: the server may have dropped it
# meanwhile (restart, an outage, failover), and a request should not fail for it once the database is back.
IDLE_CHECK_S = 1.0

F = TypeVar("F", bound=Callable)
# Failures seen by this process: a connection last used before the latest one is checked before its next use too,
# however recently used (a search's standing thread may not have touched its connection during an outage).
_failures = [0]


# A lost or refused connection: the server restarted, failed over, dropped it, or cannot be reached.
CONNECTION_LOST = (psycopg.OperationalError, psycopg.InterfaceError)


def _drop_frames(exc: BaseException | None) -> None:
    """Let go of a failed connection attempt: psycopg leaves a timed-out attempt's socket to the frames of its
    traceback, and a server that answers again (after a freeze) accepts it, an idle backend until they are
    collected, which took minutes in a quiet worker."""
    chain: list[BaseException] = []
    while exc is not None and not any(exc is e for e in chain):
        chain.append(exc)
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__


def unavailable(exc: BaseException, where: str) -> StoreUnavailable:
    """The StoreUnavailable a lost connection is (logged with its reason, which names hosts: not for clients)."""
    _drop_frames(exc)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        # The server ended a statement at its time limit (a lock held by a long transaction, an overloaded server):
        # it answers, the connection stays good, and "cannot be reached" would send an operator the wrong way.
        log.warning("database statement over its time limit in %s: %s", where, str(exc).strip().replace("\n", " "))
        return StoreUnavailable("the index database is busy (a statement ran past its time limit); try again shortly")
    _failures[0] += 1
    log.warning("database unreachable in %s: %s", where, str(exc).strip().replace("\n", " "))
    return StoreUnavailable("the index database cannot be reached; try again shortly")


def reported_unavailable(fn: F) -> F:
    """Let a lost or refused connection surface as StoreUnavailable (a 503 at the web edge), not a crash."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CONNECTION_LOST as exc:
            raise unavailable(exc, fn.__qualname__) from exc
    return wrapper  # type: ignore[return-value]


# A migration is SQL or a function of the connection (inside the migration's transaction).
Migration = Union[str, Callable[[psycopg.Connection], None]]


class BoundedConnection(psycopg.Connection):
    """A connection whose every wait on the server ends after `deadline` seconds (None: never); a statement still
    in flight then leaves the connection unusable, so it is closed, and the wait raises as a lost connection does."""

    deadline: float | None = None
    timed_out = False  # the server did not answer within the deadline (not: it closed the connection)

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=timeout if timeout is not None else self.deadline)
        except psycopg.OperationalError:
            # Only our own deadline: a caller's timeout (waiting for notifications) leaves the connection as it is.
            if timeout is None and self.deadline is not None and time.monotonic() - started >= self.deadline:
                self.timed_out = True
                self.pgconn.finish()
            raise


class Database:
    """A PostgreSQL database by URL; `connection()` is this thread's own autocommit connection.

    `statement_timeout` bounds each statement, on the server and in the client (None: unbounded, for migrations).
    """

    def __init__(self, url: str, configure: Callable[[psycopg.Connection], None] | None = None,
                 statement_timeout: float | None = STATEMENT_TIMEOUT_S) -> None:
        self.url = url
        self.configure = configure  # called on every new connection (type adapters)
        self.statement_timeout = statement_timeout or None
        self._local = threading.local()

    def connection(self) -> psycopg.Connection:
        """This thread's connection, opened on first use, after a fork, or when the last one broke."""
        conn, now = getattr(self._local, "conn", None), time.monotonic()
        if conn is not None and (conn.closed or conn.broken or self._local.pid != os.getpid()
                                 or ((self._unchecked(now) or _spoke(conn)) and not _answers(conn))):
            if self._local.pid == os.getpid():
                conn.close()
            conn = None
        if conn is None:
            conn = self._connect()
            if self.configure:
                self.configure(conn)
            self._local.conn, self._local.pid = conn, os.getpid()
        self._local.used, self._local.failures = now, _failures[0]
        return conn

    def _connect(self) -> BoundedConnection:
        conn = BoundedConnection.connect(self.url, autocommit=True, row_factory=dict_row,
                                         connect_timeout=CONNECT_TIMEOUT_S)
        if self.statement_timeout is not None:
            conn.deadline = self.statement_timeout + _CLIENT_GRACE_S
            conn.execute(f"SET statement_timeout = {int(self.statement_timeout * 1000)}")
        return conn

    def _unchecked(self, now: float) -> bool:
        """Whether this thread's connection may have been dropped unseen: idle a while, or failures seen since."""
        return now - self._local.used > IDLE_CHECK_S or self._local.failures != _failures[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """This thread's connection inside one transaction: committed on success, rolled back on any error."""
        conn = self.connection()
        with conn.transaction():
            yield conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None


def _spoke(conn: psycopg.Connection) -> bool:
    """Whether the server sent something while the connection sat idle between statements. An idle autocommit
    connection hears from it only when the server ends it (a terminated backend, a restart): checked then, however
    recently used, so the next request reconnects instead of failing on it. Costs one poll, no round trip."""
    poller = select.poll()
    try:
        poller.register(conn.fileno(), select.POLLIN)
    except (psycopg.Error, OSError, ValueError):  # no socket left: the check that follows finds out
        return True
    return bool(poller.poll(0))


def _answers(conn: BoundedConnection) -> bool:
    """Whether a connection still reaches its server; a server that does not answer within PROBE_TIMEOUT_S raises
    (a new connection would wait for it as long again, then the connection timeout)."""
    deadline, conn.deadline = conn.deadline, PROBE_TIMEOUT_S
    try:
        conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        if conn.timed_out:
            raise
        return False
    finally:
        conn.deadline = deadline


_MIGRATED: set[tuple[str, str, int]] = set()  # (url, component, version) brought up to date by this process


@reported_unavailable
def migrate(url: str, component: str, migrations: Sequence[Migration]) -> int:
    """Bring `component`'s tables up to date: apply the migrations not yet recorded, all in one transaction.

    An advisory lock serialises processes starting together (two gunicorn workers, a runner), so each
    migration runs once; returns the schema version. It runs on a connection of its own without a statement
    limit: a large index's migration may take minutes, and a process may wait for another's.
    """
    if (url, component, len(migrations)) in _MIGRATED:  # a queue or store opened per request checks once
        return len(migrations)
    db = Database(url, statement_timeout=None)
    try:
        _migrate(db, component, migrations)
    finally:
        db.close()
    _MIGRATED.add((url, component, len(migrations)))
    return len(migrations)


def _migrate(db: Database, component: str, migrations: Sequence[Migration]) -> None:
    with db.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(b"kb_schema"),))
        conn.execute("CREATE TABLE IF NOT EXISTS kb_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM kb_schema WHERE component = %s", (component,)).fetchone()
        done = row["version"] if row else 0
        for step in migrations[done:]:
            if callable(step):
                step(conn)
            else:
                conn.execute(step)
        conn.execute("INSERT INTO kb_schema VALUES (%s, %s) ON CONFLICT (component) DO UPDATE SET version = %s",
                     (component, len(migrations), len(migrations)))
