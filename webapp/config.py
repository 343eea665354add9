"""Process settings of a serving process that are not the knowledge base's (those are `index.config.Config`)."""
from __future__ import annotations

from collections.abc import MutableMapping


def limit_native_threads(environ: MutableMapping[str, str]) -> None:
    """One native (OpenMP) thread per serving process unless `OMP_NUM_THREADS` in `environ` says otherwise.

    The query encoder parallelises each call with OpenMP. A one-query call gains nothing from a second
    thread, and gunicorn runs one worker per core, so more threads only oversubscribe the cores: with
    2 workers x 2 threads on 2 cores the spinning threads cut throughput several-fold. The setting must
    be in place before the engine loads, i.e. before the first query, so `create_app` applies it first.
    """
    if not environ.get("OMP_NUM_THREADS", "").strip():
        environ["OMP_NUM_THREADS"] = "1"
