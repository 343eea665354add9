"""Progress lines for long steps (reading a big dictionary, embedding a catalogue's labels): never seconds of silence."""
from __future__ import annotations

import logging
import time

# A step that runs longer than this says how far it got, at most this often.
EVERY_S = 2.0


class Progress:
    """Logs `<what>: <done> of <total>` at INFO when `EVERY_S` passed since the last line (or the start)."""

    def __init__(self, log: logging.Logger, what: str, total: int) -> None:
        self.log, self.what, self.total = log, what, total
        self._last = time.monotonic()

    def __call__(self, done: int) -> None:
        if time.monotonic() - self._last >= EVERY_S:
            self.log.info("%s: %d of %d", self.what, done, self.total)
            self._last = time.monotonic()
