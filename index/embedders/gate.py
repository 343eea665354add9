"""One process's turns on the query encoder: cheapest query first, a bound on the work a query waits behind."""
from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Iterator

from ..errors import Overloaded

_BUSY = "the search service is busy with other queries; retry in a second"


class EncoderGate:
    """Serialises query encodes, shortest first, and refuses a query that would wait behind too much work.

    A query is admitted when the tokens of the encode running and of the waiting queries that go before it
    (those with no more tokens than it), plus its own, stay within `capacity_tokens`; otherwise, or when its
    turn has not come within `max_wait_s` (a stream of shorter queries), it is refused with `Overloaded`.
    Short queries therefore pass long ones, and a burst of long ones is refused at once instead of queuing.
    """

    def __init__(self, capacity_tokens: int, max_wait_s: float) -> None:
        self.capacity_tokens = capacity_tokens
        self.max_wait_s = max_wait_s
        self._changed = threading.Condition()
        self._waiting: list[tuple[int, int]] = []  # heap of (tokens, arrival)
        self._running: int | None = None  # tokens of the encode under way
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """Queries waiting for their turn now."""
        with self._changed:
            return len(self._waiting)

    @contextlib.contextmanager
    def turn(self, tokens: int) -> Iterator[None]:
        """Hold the encoder for one query of `tokens` tokens; `Overloaded` when it may not wait for it."""
        with self._changed:
            ahead = (self._running or 0) + sum(t for t, _ in self._waiting if t <= tokens)
            if ahead and ahead + tokens > self.capacity_tokens:
                raise Overloaded(_BUSY)
            entry = (tokens, next(self._arrivals))
            heapq.heappush(self._waiting, entry)
            deadline = time.monotonic() + self.max_wait_s
            while self._running is not None or self._waiting[0] != entry:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
                    self._changed.notify_all()
                    raise Overloaded(_BUSY)
                self._changed.wait(left)
            heapq.heappop(self._waiting)
            self._running = tokens
        try:
            yield
        finally:
            with self._changed:
                self._running = None
                self._changed.notify_all()
