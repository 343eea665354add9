"""Every setting in one frozen `Config`, built once at each entry point (`Config.from_env`) and passed down.

Each field declares its environment variable, default, converter and meaning once (its metadata); the
settings table in docs/configuration.md is generated from it (`markdown_table`). Only the stdlib is
imported here, so a CLI can parse its command line without loading the engine.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidSetting

DEFAULT_INDEX_DIR = Path("data/index")
DEFAULT_DICT_DIR = Path("/usr/share/dictd")  # Debian's dictd folder, where `dict-freedict-*` install
DEFAULT_KEEP_VERSIONS = 3
DEFAULT_INGEST_ENGINE = "local"
INGEST_ENGINES = ("local", "ray")
VECTOR_BACKENDS = ("faiss", "numpy")  # index.vectors.BACKENDS
# Calibrated on the project's eval sets (docs/ranking.md): every expected answer of the seed sets scores above
# 0.09, every relevant document of the Debian Reference set above 0.27 and within half of its query's best score.
DEFAULT_MIN_SCORE = 0.06
DEFAULT_MIN_SCORE_RATIO = 0.35


def machine_cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/kb`, else `~/.cache/kb`: one cache per machine, shared by every index on it."""
    base = (environ.get("XDG_CACHE_HOME") or "").strip()
    return Path(base) / "kb" if base else Path.home() / ".cache" / "kb"


# -- converters: a raw string (from the environment) or an already typed value -> the value, or ValueError --------

def _text(value: Any) -> str:
    return str(value).strip()


def _path(value: Any) -> Path:
    return Path(value)


def _number(value: Any) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError("need a number") from None


# The most gunicorn workers, or threads per worker, a setting may ask for.
MAX_PROCESSES = 256


def _whole(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("need a whole number")
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise ValueError("need a whole number") from None


def _count(value: Any) -> int:
    number = _whole(value)
    if number < 0:
        raise ValueError("need a whole number, at least 0")
    return number


def _at_least_one(value: Any) -> int:
    number = _whole(value)
    if number < 1:
        raise ValueError("need a whole number, at least 1")
    return number


def _non_negative(value: Any) -> float:
    number = _number(value)
    if not number >= 0:  # NaN too
        raise ValueError("need a number, at least 0")
    return number


def _processes(value: Any) -> int:
    number = _at_least_one(value)
    if number > MAX_PROCESSES:  # a typo's extra digits would start processes until the machine gives out
        raise ValueError(f"need a whole number from 1 to {MAX_PROCESSES}")
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if not number > 0:
        raise ValueError("need a number above 0")
    return number


def _share(value: Any) -> float:
    number = _number(value)
    if not 0 <= number <= 1:
        raise ValueError("need a number from 0 to 1")
    return number


def _port(value: Any) -> int:
    number = _whole(value)
    if not 0 < number < 65536:
        raise ValueError("need a port number, 1-65535")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("need 1/0, true/false, yes/no or on/off")


def _database_url(value: Any) -> str:
    url = str(value).strip()
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError("need a postgresql:// URL")
    return url


def _public_url(value: Any) -> str:
    url = str(value).strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "?# "):
        raise ValueError("need an http:// or https:// URL without query or fragment, e.g. https://kb.example.org")
    return url


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        name = str(value).strip().lower()
        if name not in choices:
            raise ValueError(f"choose from {', '.join(choices)}")
        return name
    return convert


def _log_level(value: Any) -> str:
    level = str(value).strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError("need a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _networks(value: Any) -> tuple[str, ...]:
    parts = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(str(ipaddress.ip_network(str(part), strict=False)) for part in parts)


def _setting(env: str, default: Any, convert: Callable[[Any], Any], help: str, shown: str | None = None,
             factory: Callable[[], Any] | None = None) -> Any:
    """A field with its environment variable, converter and meaning (`shown`: the default as the docs write it)."""
    metadata = {"env": env, "convert": convert, "help": help, "shown": shown}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Config:
    """Every setting of the knowledge base; a value out of range raises InvalidSetting naming its variable."""

    # -- the index ---------------------------------------------------------------------------------
    index_dir: Path = _setting("KB_INDEX_DIR", DEFAULT_INDEX_DIR, _path,
                               "Index directory (the embedded store; uploads and the job queue live there with either store).")
    database_url: str | None = _setting("KB_DATABASE_URL", None, _database_url,
                                        "`postgresql://...`: keep the index in PostgreSQL (pgvector) instead of the index directory.")
    embedder: str | None = _setting("KB_EMBEDDER", None, _text,
                                    "Embedder (`e5-small`, `st:<model>`, `hash:<dim>`); unset: the index's own, `e5-small` for a new one.",
                                    shown="(the index's own)")
    ingest_engine: str = _setting("KB_INGEST_ENGINE", DEFAULT_INGEST_ENGINE, _one_of(INGEST_ENGINES),
                                  "Where ingest parses, chunks and embeds: `local` (in process) or `ray`.")
    ray_address: str | None = _setting("RAY_ADDRESS", None, _text, "Ray cluster the `ray` engine joins; unset: a private local Ray.")
    keep_versions: int = _setting("KB_KEEP_VERSIONS", DEFAULT_KEEP_VERSIONS, _at_least_one, "Published versions kept (at least 1); `gc` removes older ones.")
    vector_backend: str = _setting("KB_VECTOR_BACKEND", "faiss", _one_of(VECTOR_BACKENDS),
                                   "Vector search of the embedded store: `faiss` or `numpy` (new or rebuilt indexes).")
    faiss_factory: str = _setting("KB_FAISS_FACTORY", "Flat", _text,
                                  "FAISS index factory string for new or rebuilt indexes (`Flat`, `IVF1024,Flat`, `HNSW32,Flat`).")
    faiss_search: str | None = _setting("KB_FAISS_SEARCH", None, _text,
                                        "FAISS search parameters (e.g. `nprobe=32`) written into new versions.")
    suggest: bool = _setting("KB_SUGGEST", True, _flag, "Suggest concepts for the documents each write adds (`0` turns it off).",
                             shown="1")
    pg_ef_search: int = _setting("KB_PG_EF_SEARCH", 100, _at_least_one,
                                 "PostgreSQL: HNSW candidates examined per query, at least (more when more results are asked for).")
    pg_statement_timeout_s: float = _setting("KB_PG_STATEMENT_TIMEOUT_S", 30.0, _non_negative,
                                             "PostgreSQL: seconds one statement may run before it is cancelled (a server that stops answering is given up on 5 s later); `0`: no limit.")
    dict_dir: Path = _setting("KB_DICT_DIR", DEFAULT_DICT_DIR, _path,
                              "FreeDict dictionaries (`dict-freedict-*` packages) for glosses and suggested concepts.")
    cache_dir: Path = _setting("KB_CACHE_DIR", None, _path,
                               "Derived data kept between runs (dictionary lexicons, concept-label vectors), shared by every index.",
                               shown="`$XDG_CACHE_HOME/kb`, else `~/.cache/kb`", factory=lambda: machine_cache_dir(os.environ))
    # -- ranking -------------------------------------------------------------------------------------
    min_score: float = _setting("KB_MIN_SCORE", DEFAULT_MIN_SCORE, _number,
                                "Results scoring below this are not shown (hybrid and dense modes).")
    min_score_ratio: float = _setting("KB_MIN_SCORE_RATIO", DEFAULT_MIN_SCORE_RATIO, _share,
                                      "Ungrouped results scoring below this share of the query's best are not shown "
                                      "(group=true, one passage per document, keeps KB_MIN_SCORE only).")
    # -- the web app ----------------------------------------------------------------------------------
    port: int = _setting("PORT", 5000, _port, "Port the server binds on 127.0.0.1.")
    max_upload_mb: float = _setting("KB_MAX_UPLOAD_MB", 10.0, _positive, "Largest request body accepted, in MB (larger ones get a JSON 413).",
                                    shown="10")
    public_url: str | None = _setting("KB_PUBLIC_URL", None, _public_url,
                                      "Base URL that citations and course-pack exports link to (`https://kb.example.org`);"
                                      " unset: the URL each request came in on.", shown="(the request's)")
    admin_token: str | None = _setting("KB_ADMIN_TOKEN", None, _text, "Token for write operations; unset: writes are switched off.")
    max_pending_jobs: int = _setting("KB_MAX_PENDING_JOBS", 1000, _count,
                                     "Queued or running writes at most; more get a JSON 429 `queue_full`.")
    log_level: str = _setting("KB_LOG_LEVEL", "INFO", _log_level, "Log level (`DEBUG`, `INFO`, `WARNING`, ...); lines carry the request id.")
    min_free_mb: float = _setting("KB_MIN_FREE_MB", 100.0, _non_negative,
                                  "Below this free space on the index directory's disk, writes are refused and `/healthz` is degraded.",
                                  shown="100")
    # -- serving (`python -m webapp.serve`, i.e. `make run`) ---------------------------------------------------
    workers: int = _setting("KB_WORKERS", 2, _processes, "gunicorn worker processes (at most 256).")
    threads: int = _setting("KB_THREADS", 4, _processes, "Threads per worker (at most 256).")
    worker_max_requests: int = _setting("KB_WORKER_MAX_REQUESTS", 20000, _count,
                                        "Requests a gunicorn worker serves before a fresh one replaces it, its"
                                        " caches emptied (0: never).")
    run_dir: Path = _setting("KB_RUN_DIR", Path("data/run"), _path, "Sockets, rendered nginx configuration and logs of the served stack.")
    client_timeout_s: int = _setting("KB_CLIENT_TIMEOUT_S", 10, _at_least_one, "nginx: seconds a client may take to send a request.")
    request_timeout_s: int = _setting("KB_REQUEST_TIMEOUT_S", 120, _at_least_one, "Seconds a request may run before its worker is replaced.")
    search_rate: int = _setting("KB_SEARCH_RATE", 10, _count,
                                "nginx: searches, concept lookups, glossary look-ups, document and concept pages, the lists "
                                "of documents and suggestions and course-pack exports per second and client (0: no limits).")
    search_burst: int = _setting("KB_SEARCH_BURST", 20, _count, "nginx: how many such requests more may come at once.")
    search_connections: int = _setting("KB_SEARCH_CONNECTIONS", 4, _count, "nginx: such requests at once per client (0: no limit).")
    trusted_proxies: tuple[str, ...] = _setting("KB_TRUSTED_PROXIES", (), _networks,
                                                "Proxies (addresses or CIDR networks, space or comma separated) whose X-Forwarded-For names the client.",
                                                shown="(none)")
    runner_backoff_max_s: float = _setting("KB_RUNNER_BACKOFF_MAX_S", 30.0, _positive,
                                           "Longest wait, in seconds, before the job runner is restarted after it stopped.", shown="30")
    runner_stall_s: float = _setting("KB_RUNNER_STALL_S", 120.0, _positive,
                                     "Seconds the job runner may give no sign of life (stopped, or held fast) before /healthz says so and `make run` restarts it.", shown="120")

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value is None or (value == "" and spec.type.endswith("| None")):
                object.__setattr__(self, spec.name, None)
                continue
            try:
                converted = spec.metadata["convert"](value)
            except (TypeError, ValueError) as exc:
                raise InvalidSetting(f"{spec.metadata['env']}={value!r}: {exc}") from None
            if converted == "" and spec.type.endswith("| None"):
                converted = None
            object.__setattr__(self, spec.name, converted)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        """The configuration the environment (default: this process's) describes; empty variables count as unset."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {"cache_dir": machine_cache_dir(environ)}
        for spec in dataclasses.fields(cls):
            raw = (environ.get(spec.metadata["env"]) or "").strip()
            if raw:
                values[spec.name] = raw
        return cls(**values)

    def replace(self, **changes: Any) -> "Config":
        """A validated copy with some settings changed (keys: field names, or the variables' names)."""
        changes = {ENV_FIELDS.get(key, key): value for key, value in changes.items()}
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise InvalidSetting(f"unknown setting {unknown[0]!r}")
        return dataclasses.replace(self, **changes)

    def environment(self) -> dict[str, str]:
        """The variables that describe this configuration (for child processes), unset ones left out."""
        out = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = int(value)
            out[spec.metadata["env"]] = " ".join(value) if isinstance(value, tuple) else str(value)
        return out


SECRETS = frozenset({"KB_ADMIN_TOKEN", "KB_DATABASE_URL"})  # never printed (a URL may hold a password)
FIELDS: dict[str, dataclasses.Field] = {spec.name: spec for spec in dataclasses.fields(Config)}
ENV_FIELDS: dict[str, str] = {spec.metadata["env"]: spec.name for spec in dataclasses.fields(Config)}


def _shown_default(spec: dataclasses.Field) -> str:
    if spec.metadata["shown"] is not None:
        shown = spec.metadata["shown"]
        return shown if shown.startswith(("`", "(")) else f"`{shown}`"
    return "(unset)" if spec.default is None else f"`{spec.default}`"


def markdown_table(fields: Iterable[dataclasses.Field] | None = None) -> str:
    """The settings table of docs/configuration.md: variable, default, meaning."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for spec in fields or dataclasses.fields(Config):
        rows.append(f"| `{spec.metadata['env']}` | {_shown_default(spec)} | {spec.metadata['help']} |")
    return "\n".join(rows) + "\n"
