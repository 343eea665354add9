"""The PostgreSQL store: opens the database (migrating its tables), the one writer, snapshots, verify."""
from __future__ import annotations

from pathlib import Path

from psycopg.types.json import Jsonb

from ... import suggestions
from ...audit import audit_reads
from ...errors import IndexNotFound
from ...glosses import DEFAULT_DICT_DIR
from ...pgconn import STATEMENT_TIMEOUT_S, Database, migrate, reported_unavailable
from ...records import IndexSettings
from .handle import Handle
from .schema import MIGRATIONS, register_vector, version_name, visible
from .snapshot import PostgresSnapshot
from .writer import PostgresWriter

# Advisory lock key ("kbdc") taken with a suggestion's id: decisions on one suggestion are written one at a time.
DECISION_LOCK = 0x6B62_6463


class PostgresStore:
    """An index in one PostgreSQL database (with the pgvector extension); see `Handle` for the arguments."""

    def __init__(self, url: str, *, cache_dir: Path | None = None, dict_dir: Path = DEFAULT_DICT_DIR,
                 ef_search: int = 100, statement_timeout: float | None = STATEMENT_TIMEOUT_S) -> None:
        migrate(url, "store", MIGRATIONS)
        db = Database(url, configure=register_vector, statement_timeout=statement_timeout)
        self.handle = Handle(url, db, Path(cache_dir) if cache_dir else None, Path(dict_dir), ef_search)
        self.db = self.handle.db

    def writer(self, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
               lock_timeout: float = 30.0) -> PostgresWriter:
        """The single writer (enter it to take the lock)."""
        return PostgresWriter(self.handle, settings, rebuild, lock_timeout)

    def _newest(self) -> dict | None:
        return self.db.connection().execute(
            "SELECT number, manifest, centring, basis FROM kb_versions ORDER BY number DESC LIMIT 1").fetchone()

    @reported_unavailable
    def current(self) -> str | None:
        """Name of the newest published version (one indexed row: readers poll it per request)."""
        row = self.db.connection().execute("SELECT max(number) AS n FROM kb_versions").fetchone()
        return version_name(row["n"]) if row and row["n"] else None

    @reported_unavailable
    def snapshot(self, previous: PostgresSnapshot | None = None) -> PostgresSnapshot:
        """The newest published version; IndexNotFound when none was published."""
        row = self._newest()
        if row is None:
            raise IndexNotFound("no index version is published in the database")
        if previous is not None and previous.number == row["number"]:
            return previous
        return PostgresSnapshot(self.handle, row)

    @reported_unavailable
    def decisions(self) -> dict[str, dict]:
        """suggestion id -> {status, refs, concept_id, at} of every decision trainers took."""
        rows = self.db.connection().execute("SELECT suggestion_id, decision FROM kb_decisions").fetchall()
        return {r["suggestion_id"]: r["decision"] for r in rows}

    @reported_unavailable
    def decide(self, suggestion: dict, status: str, concept_id: str | None = None) -> dict:
        """Record a trainer's decision on a suggestion (it outlives versions); returns the decision."""
        made = suggestions.decision(suggestion, status, concept_id)
        with self.db.transaction() as conn:  # decisions on one suggestion one at a time, as the embedded store's lock
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DECISION_LOCK, suggestion["id"]))
            row = conn.execute("SELECT decision FROM kb_decisions WHERE suggestion_id = %s",
                               (suggestion["id"],)).fetchone()
            kept = suggestions.settle(row["decision"] if row else None, made, suggestion["id"])
            if kept is made:
                conn.execute("INSERT INTO kb_decisions VALUES (%s, %s) ON CONFLICT (suggestion_id)"
                             " DO UPDATE SET decision = %s", (suggestion["id"], Jsonb(made), Jsonb(made)))
        return kept

    def verify(self) -> list[str]:
        """Problems of the newest version: counts against its manifest, chunks without documents or vectors."""
        row = self._newest()
        if row is None:
            return ["no version is published"]
        v, manifest, problems = row["number"], row["manifest"], []
        conn = self.db.connection()
        args = {"v": v}
        docs = conn.execute(f"SELECT count(*) AS n FROM kb_documents d WHERE {visible('d')}", args).fetchone()["n"]
        chunks = conn.execute(f"SELECT count(*) AS n, count(c.centred) AS centred FROM kb_chunks c WHERE {visible('c')}",
                              args).fetchone()
        if (docs, chunks["n"]) != (manifest["documents"], manifest["chunks"]):
            problems.append(f"{version_name(v)}: {docs} documents and {chunks['n']} chunks, the manifest says"
                            f" {manifest['documents']} and {manifest['chunks']}")
        if chunks["centred"] != chunks["n"]:
            problems.append(f"{version_name(v)}: {chunks['n'] - chunks['centred']} chunks have no indexed vector")
        orphans = conn.execute(
            f"SELECT count(*) AS n FROM kb_chunks c WHERE {visible('c')} AND NOT EXISTS"
            f" (SELECT 1 FROM kb_documents d WHERE d.doc_id = c.doc_id AND {visible('d')})", args).fetchone()["n"]
        if orphans:
            problems.append(f"{version_name(v)}: {orphans} chunks belong to no document")
        return problems + audit_reads(self.snapshot())
