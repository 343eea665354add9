"""The ingest-engine protocol: where files are parsed and chunked and passages embedded (here, or on a cluster)."""
from __future__ import annotations

from typing import Callable, Protocol, Sequence, TypeVar

import numpy as np

from index.errors import KBError

T = TypeVar("T")
R = TypeVar("R")

# Called with how many items (files, passages) are done so far; it may raise to abort the work (a stopping runner).
Progress = Callable[[int], None]
# Called with (done, total) as a mapped function reports its own steps within one item (chunks language-tagged).
Steps = Callable[[int, int], None]


class EngineUnavailable(KBError):
    """The engine cannot start or reach its workers (a cluster that is down, say)."""

    code = "engine_unavailable"


class IngestEngine(Protocol):
    """Runs the heavy, parallel part of ingest: preparing documents and embedding passages.

    Results come back to the caller in input order; writing the index stays with the caller (one writer).
    """

    name: str

    def start(self) -> None:
        """Get ready (connect, start workers) now rather than at first use; EngineUnavailable when it cannot."""
        ...

    def close(self) -> None:
        """Release what `start` took; the engine may be started again."""
        ...

    def map(self, fn: Callable[[T, Steps | None], R], items: Sequence[T], progress: Progress | None = None,
            steps: Steps | None = None) -> list[R]:
        """`fn(item, steps)` for every item, results in order; `fn` must be picklable and return its errors.

        `progress` counts finished items; `steps` hears `fn`'s own progress where `fn` runs in this process
        (engines that run it elsewhere give `fn` None).
        """
        ...

    def embed(self, passages: Sequence[str], embedder: str, progress: Progress | None = None) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised passage vectors, in the order given."""
        ...
