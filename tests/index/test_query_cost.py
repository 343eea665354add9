"""Bounded query cost: queries are cut to the encoder's token budget, lexical search never encodes, and the
encoder gate lets short queries pass long ones and refuses work it cannot start soon."""
from __future__ import annotations

import random
import threading
from typing import Sequence

import numpy as np
import pytest

import index.service
from index.embedders.base import QUERY_TOKEN_BUDGET
from index.embedders.gate import EncoderGate
from index.errors import Overloaded

rng = random.Random(18)
HOSTILE = {
    "emoji": "".join(chr(rng.randint(0x1F600, 0x1F64F)) for _ in range(1000)),
    "cjk": "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(1000)),
    "combining": "".join("a" + chr(rng.randint(0x0300, 0x036F)) for _ in range(500)),
}
LONG_QUESTION = ("How do companies build customer intimacy and lock-on with connected customer journeys, and what "
                 "does that mean for loyalty after the pandemic? ") * 6


class Recording:
    """The served embedder, recording every text it is asked to encode as a query."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.queries: list[str] = []
        self.threads: list[int] = []  # the thread of each encode

    def __getattr__(self, name: str):
        return getattr(self.embedder, name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries.extend(texts)
        self.threads.append(threading.get_ident())
        return self.embedder.embed_queries(texts)


@pytest.fixture
def recording(kb, monkeypatch) -> Recording:
    """The knowledge base's real embedder (e5-small), seen through a recorder."""
    recorder = Recording(kb.embedder)
    monkeypatch.setattr(index.service, "get_embedder", lambda name: recorder)
    return recorder


@pytest.mark.parametrize("kind", ["cjk", "combining"])
def test_a_hostile_query_is_cut_to_the_budget_before_encoding(kb, recording, kind):
    query = HOSTILE[kind]
    assert recording.count_query_tokens(query) > 900  # about a token a character: twice the model's 512
    response = kb.search(query)
    assert recording.queries == [query[:response.query_encoded_chars]]
    encoded = recording.queries[0]
    assert response.query_truncated and 0 < len(encoded) < len(query)
    assert recording.count_query_tokens(encoded) == response.query_tokens <= QUERY_TOKEN_BUDGET
    # The budget is used, not wasted: one more character would not fit.
    assert recording.count_query_tokens(query[:len(encoded) + 1]) > QUERY_TOKEN_BUDGET
    body = response.to_dict()
    assert body["query"] == query and body["query_truncated"] is True


def test_a_long_question_is_cut_at_a_word_boundary(kb, recording):
    response = kb.search(LONG_QUESTION)
    encoded = recording.queries[0]
    assert response.query_truncated and LONG_QUESTION.startswith(encoded)
    assert LONG_QUESTION[len(encoded)].isspace() and response.query_tokens <= QUERY_TOKEN_BUDGET
    assert response.results


def test_a_real_question_is_encoded_whole(kb, recording):
    query = "What are the three value disciplines?"
    response = kb.search(query)
    assert recording.queries == [query]
    assert not response.query_truncated and response.query_encoded_chars == len(query)
    assert response.query_tokens == recording.count_query_tokens(query)


@pytest.mark.parametrize("query", [HOSTILE["emoji"], "?", "... !!! 🙂", "\u0301\u0302"])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_a_query_without_a_letter_or_digit_finds_nothing_and_encodes_nothing(kb, recording, query, mode):
    response = kb.search(query, mode=mode)
    assert response.results == [] and response.concepts == [] and recording.queries == []
    assert response.query_lang == "und" and response.query_tokens is None and not response.query_truncated
    assert kb.search("? kundelojalitet 🙂", mode=mode).results  # a word among them is searched as usual


@pytest.mark.parametrize("query", ["customer lock-on", HOSTILE["cjk"]])
def test_lexical_search_never_runs_the_encoder(kb, recording, query):
    response = kb.search(query, mode="lexical")
    assert recording.queries == []
    assert response.query_tokens is None and response.query_encoded_chars is None and not response.query_truncated
    if query == "customer lock-on":  # results and concept cards without an encode
        assert response.results and [c["id"] for c in response.concepts] == ["customer-lock-on"]


def test_concept_lookup_encodes_the_cut_text(kb, recording):
    kb.lookup(HOSTILE["cjk"])
    assert len(recording.queries) == 1 and recording.count_query_tokens(recording.queries[0]) <= QUERY_TOKEN_BUDGET


def test_a_search_encodes_on_its_callers_thread_and_runs_the_rest_beside_it_on_a_standing_one(kb, recording,
                                                                                             monkeypatch):
    # The encode starts at once where the search was called; the language, the look-up and the lexical retrieval run
    # meanwhile on a thread that later searches reuse, not one started per search.
    beside, real = [], index.service.lookup
    monkeypatch.setattr(index.service, "lookup",
                        lambda *a, **k: beside.append(threading.current_thread()) or real(*a, **k))
    for n in range(10):
        assert kb.search(f"customer intimacy {n}").results
    assert recording.threads == [threading.get_ident()] * 10
    assert threading.current_thread() not in beside and len({t.name for t in beside}) <= 2


def _holding(gate: EncoderGate, tokens: int) -> tuple[threading.Event, threading.Thread]:
    """A thread that takes a turn of `tokens` and keeps it until the returned event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.turn(tokens):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30)
    return release, thread


def _wait_until(condition) -> None:
    event = threading.Event()
    for _ in range(3000):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not reached")


def test_gate_refuses_a_long_query_behind_too_much_work_but_admits_a_short_one():
    gate = EncoderGate(capacity_tokens=100, max_wait_s=30)
    release, holder = _holding(gate, 64)
    with pytest.raises(Overloaded):
        with gate.turn(64):  # 64 running + 64 of its own > 100: refused at once
            pass
    done = []

    def short_query() -> None:
        with gate.turn(20):  # 64 running + 20 of its own fit: it waits for its turn
            done.append(True)

    short = threading.Thread(target=short_query)
    short.start()
    _wait_until(lambda: gate.waiting == 1)
    release.set()
    holder.join(30)
    short.join(30)
    assert done == [True]


def test_gate_serves_the_shortest_query_first():
    gate = EncoderGate(capacity_tokens=1000, max_wait_s=30)
    release, holder = _holding(gate, 64)
    order: list[int] = []

    def query(tokens: int) -> None:
        with gate.turn(tokens):
            order.append(tokens)

    threads = []
    for tokens in (60, 50, 10):
        threads.append(threading.Thread(target=query, args=(tokens,)))
        threads[-1].start()
        _wait_until(lambda n=len(threads): gate.waiting == n)
    release.set()
    for thread in (holder, *threads):
        thread.join(30)
    assert order == [10, 50, 60]


def test_gate_gives_up_when_the_turn_does_not_come():
    gate = EncoderGate(capacity_tokens=1000, max_wait_s=0.05)
    release, holder = _holding(gate, 64)
    try:
        with pytest.raises(Overloaded) as refused:
            with gate.turn(10):
                pass
        assert refused.value.retry_after_s >= 1 and gate.waiting == 0
    finally:
        release.set()
        holder.join(30)
