"""Ingest engines behind one protocol: `local` (in process) and `ray` (Ray Data, on this machine or a cluster)."""
from __future__ import annotations

import importlib.util

from index.config import DEFAULT_INGEST_ENGINE, INGEST_ENGINES
from index.errors import KBError, MissingPackage

from .base import EngineUnavailable, IngestEngine, Progress, Steps
from .local import LocalEngine

DEFAULT_ENGINE = DEFAULT_INGEST_ENGINE
ENGINES = INGEST_ENGINES


class UnknownEngine(KBError):
    """The engine name is not one this build knows."""

    code = "unknown_engine"


def get_engine(name: str = DEFAULT_ENGINE, ray_address: str | None = None) -> IngestEngine:
    """The engine called `name` (`ray`: joining the cluster at `ray_address`, else a private one); nothing starts yet."""
    if name == "local":
        return LocalEngine()
    if name == "ray":
        try:  # the scale-out package set (Ray, psutil) is optional: a serving-only install lacks it
            from .ray import RayEngine
        except ModuleNotFoundError as exc:
            raise MissingPackage(f"the Ray engine needs the scale-out packages ({exc}): "
                                 "pip install -r requirements-scale.txt") from None
        if importlib.util.find_spec("ray") is None:  # Ray itself loads only when the engine starts
            raise MissingPackage("the Ray engine needs the scale-out packages: pip install -r requirements-scale.txt")
        return RayEngine(address=ray_address)
    raise UnknownEngine(f"unknown ingest engine {name!r}: use one of {', '.join(ENGINES)}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineUnavailable", "IngestEngine", "Progress", "Steps", "UnknownEngine",
           "get_engine"]
