"""Embedding engines behind one protocol: `local` (in process); a distributed one plugs in beside it."""
from __future__ import annotations

from index.errors import KBError

from .base import EmbeddingEngine, Progress

DEFAULT_ENGINE = "local"
ENGINES = ("local",)


class UnknownEngine(KBError):
    """The engine name is not one this build knows."""

    code = "unknown_engine"


def get_engine(name: str = DEFAULT_ENGINE) -> EmbeddingEngine:
    """The engine called `name`."""
    if name == "local":
        from .local import LocalEngine

        return LocalEngine()
    raise UnknownEngine(f"unknown embedding engine {name!r}: use one of {', '.join(ENGINES)}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "EmbeddingEngine", "Progress", "get_engine"]
