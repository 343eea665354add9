"""Ingest engines behind one protocol: `local` (in process) and `ray` (Ray Data, on this machine or a cluster)."""
from __future__ import annotations

from index import settings
from index.errors import KBError, MissingPackage

from .base import EngineUnavailable, IngestEngine, Progress, Steps

DEFAULT_ENGINE = settings.DEFAULT_INGEST_ENGINE
ENGINES = ("local", "ray")


class UnknownEngine(KBError):
    """The engine name is not one this build knows."""

    code = "unknown_engine"


def get_engine(name: str | None = None) -> IngestEngine:
    """The engine called `name`, else the one `$KB_INGEST_ENGINE` names, else `local`; nothing starts yet."""
    name = name or settings.ingest_engine()
    if name == "local":
        from .local import LocalEngine

        return LocalEngine()
    if name == "ray":
        try:
            from .ray import RayEngine
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"the Ray engine needs the scale-out packages ({exc}): "
                                 "pip install -r requirements-scale.txt") from None

        return RayEngine()
    raise UnknownEngine(f"unknown ingest engine {name!r}: use one of {', '.join(ENGINES)}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineUnavailable", "IngestEngine", "Progress", "Steps", "UnknownEngine",
           "get_engine"]
