"""Locust user for `python -m eval.load`: GET /api/search with a rotating set of multilingual queries.

A response counts as a failure unless it is a 200 whose JSON carries results (a complete answer).
"""
from __future__ import annotations

import itertools
import os
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

from eval.load import queries

_QUERIES = queries()
_START = itertools.count()


class Searcher(FastHttpUser):
    """A closed-loop client: the next search as soon as the last one answered."""

    wait_time = constant(0)

    def on_start(self) -> None:
        # Each user starts at another place in the rotation, so concurrent requests differ.
        self._next = itertools.islice(itertools.cycle(_QUERIES), next(_START) * 7 % len(_QUERIES), None)
        self._k = int(os.environ.get("LOAD_K", "10"))

    @task
    def search(self) -> None:
        query = next(self._next)
        with self.client.get("/api/search?" + urlencode({"q": query, "k": self._k}), name="/api/search",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            try:
                results = response.json()["results"]
            except (ValueError, KeyError, TypeError):
                response.failure("incomplete JSON")
                return
            if not results:
                response.failure("no results")
