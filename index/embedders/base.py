"""The embedder protocol every backend implements, and the query token budget they share."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

# Model tokens of a search query the encoder reads (role prefix and special tokens included). Encoder time
# grows faster than linearly with tokens (e5-small, one core: 70 tokens 0.12 s, 134 tokens 0.3 s, 1,006
# tokens 3 s); the longest question of the eval sets is 27 tokens and a passage is at most 64 (ingest's
# chunk size), so a longer query adds cost, not evidence.
QUERY_TOKEN_BUDGET = 64
_LAST_SPACE = re.compile(r"\s+\S*$")


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, with separate query and passage roles.

    `embed_queries` encodes whatever it is given: user text must be cut with `fit_query` first.
    """

    name: str
    dim: int
    max_tokens: int
    max_query_tokens: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised query vectors."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of normalised passage vectors."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens the model sees for a passage, special tokens included."""
        ...

    def count_query_tokens(self, text: str) -> int:
        """Number of tokens the model sees for a query, role prefix and special tokens included."""
        ...


@dataclass(frozen=True)
class QueryText:
    """The part of a query the encoder reads: a prefix of it, its model tokens, and whether it was cut."""

    text: str
    tokens: int
    cut: bool


def fit_query(embedder: Embedder, query: str) -> QueryText:
    """The longest prefix of `query` within the embedder's query budget, ending at a word boundary where it can."""
    budget = embedder.max_query_tokens
    tokens = embedder.count_query_tokens(query)
    if tokens <= budget:
        return QueryText(query, tokens, False)
    # Bisect on characters with the embedder's own tokenizer: count(query[:low]) <= budget < count(query[:high]).
    # Tokens grow about linearly with characters, so twice the proportional cut brackets it in one count.
    low, high = 0, len(query)
    guess = min(len(query) - 1, 2 * len(query) * budget // tokens)
    if embedder.count_query_tokens(query[:guess]) > budget:
        high = guess
    else:
        low = guess
    while high - low > 1:
        middle = (low + high) // 2
        if embedder.count_query_tokens(query[:middle]) <= budget:
            low = middle
        else:
            high = middle
    kept = query[:low]
    if not query[low].isspace():
        word = _LAST_SPACE.search(kept)
        if word and word.start() > 0:  # a text without spaces (CJK, emoji) is cut where the budget ends
            kept = kept[:word.start()]
    kept = kept.rstrip()
    return QueryText(kept, embedder.count_query_tokens(kept), True)
