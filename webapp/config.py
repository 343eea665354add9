"""Settings read from environment variables, with the defaults `make run` relies on."""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping


def _count(raw: str) -> int:
    """A whole number, at least 0."""
    value = int(raw)
    if value < 0:
        raise ValueError(f"{raw!r} is negative")
    return value


def _networks(raw: str) -> tuple[str, ...]:
    """Addresses or networks (CIDR), separated by spaces or commas."""
    return tuple(str(ipaddress.ip_network(part, strict=False)) for part in raw.replace(",", " ").split())


# (environment variable, Flask config key, default, converter)
_SETTINGS = (
    ("KB_INDEX_DIR", "KB_INDEX_DIR", "data/index", str),
    ("KB_EMBEDDER", "KB_EMBEDDER", None, str),
    ("PORT", "PORT", 5000, int),
    ("KB_MAX_UPLOAD_MB", "KB_MAX_UPLOAD_MB", 10, float),
    ("KB_ADMIN_TOKEN", "KB_ADMIN_TOKEN", None, str),
    ("KB_MAX_PENDING_JOBS", "KB_MAX_PENDING_JOBS", 1000, int),
    ("KB_LOG_LEVEL", "KB_LOG_LEVEL", "INFO", str.upper),
    # Serving (`python -m webapp.serve`, i.e. make run): nginx in front of gunicorn.
    ("KB_WORKERS", "KB_WORKERS", 2, int),
    ("KB_THREADS", "KB_THREADS", 4, int),
    ("KB_RUN_DIR", "KB_RUN_DIR", "data/run", str),
    ("KB_CLIENT_TIMEOUT_S", "KB_CLIENT_TIMEOUT_S", 10, int),
    ("KB_REQUEST_TIMEOUT_S", "KB_REQUEST_TIMEOUT_S", 120, int),
    # nginx's per-client limits on the requests that run the query encoder (searches, concept lookups):
    # requests per second (0: no limits), how many more may come at once, concurrent requests.
    ("KB_SEARCH_RATE", "KB_SEARCH_RATE", 10, _count),
    ("KB_SEARCH_BURST", "KB_SEARCH_BURST", 20, _count),
    ("KB_SEARCH_CONNECTIONS", "KB_SEARCH_CONNECTIONS", 4, _count),
    # Proxies in front of nginx whose X-Forwarded-For names the client the limits apply to.
    ("KB_TRUSTED_PROXIES", "KB_TRUSTED_PROXIES", (), _networks),
    ("KB_RUNNER_BACKOFF_MAX_S", "KB_RUNNER_BACKOFF_MAX_S", 30.0, float),
    # Below this much free space on the index directory's disk, writes are refused and /healthz is degraded.
    ("KB_MIN_FREE_MB", "KB_MIN_FREE_MB", 100.0, float),
)


def from_env(environ: Mapping[str, str] | None = None) -> dict:
    """Flask config values from the environment (empty variables count as unset)."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for var, key, default, convert in _SETTINGS:
        raw = environ.get(var, "").strip()
        config[key] = convert(raw) if raw else default
    return config


def limit_native_threads(environ: dict | None = None) -> None:
    """One native (OpenMP) thread per serving process unless `OMP_NUM_THREADS` says otherwise.

    The query encoder parallelises each call with OpenMP. A one-query call gains nothing from a second
    thread, and gunicorn runs one worker per core, so more threads only oversubscribe the cores: with
    2 workers x 2 threads on 2 cores the spinning threads cut throughput several-fold. The setting must
    be in place before the engine loads, i.e. before the first query, so `create_app` applies it first.
    """
    environ = os.environ if environ is None else environ
    if not environ.get("OMP_NUM_THREADS", "").strip():
        environ["OMP_NUM_THREADS"] = "1"
