"""The Ray engine: Ray Data prepares files (tasks) and embeds passages (an actor pool holding the encoder).

Locally it starts a private Ray instance on this machine's cores (no dashboard, quiet logs, its own
temp folder under /tmp, gone again at `close`); with `RAY_ADDRESS` set it joins that cluster and ships
this project's `index` and `ingest` packages to its workers. Only vectors and prepared documents come
back: the caller stays the index's one writer.
"""
from __future__ import annotations

import logging
import math
import os
import pickle
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar

import numpy as np
import psutil

from index.embedders import get_embedder

from .base import EngineUnavailable, Progress, Steps

BATCH_SIZE = 16
# Ray waits minutes for a head that does not answer; a plain TCP connect tells sooner.
CONNECT_TIMEOUT_S = 5.0
# The longest temp folder (`$TMPDIR`) Ray's sessions may go under; longer ones use /tmp.
MAX_TEMP_BASE = 40
# How long the processes of a stopped local Ray get to exit before they are killed.
EXIT_GRACE_S = 5.0
# Enough blocks for every actor to stay busy and progress to move, few enough to keep scheduling cheap.
MAX_BLOCKS = 2048
T = TypeVar("T")
R = TypeVar("R")

_PACKAGES = [Path(__file__).resolve().parents[2] / name for name in ("index", "ingest")]


def _apply(row: dict, fn: Callable) -> dict:
    # Items and results travel pickled: documents and their metadata are no Arrow table rows.
    return {"i": row["i"], "result": pickle.dumps(fn(pickle.loads(row["item"]), None))}


class _Encoder:
    """One actor of the pool: holds the embedder, embeds a batch of passages at a time."""

    def __init__(self, embedder: str) -> None:
        self.model = get_embedder(embedder)

    def __call__(self, batch: dict) -> dict:
        return {"i": batch["i"], "vector": self.model.embed_passages(list(batch["text"]))}


class RayEngine:
    """Ray Data over a private local Ray (`num_cpus` cores, default all) or the cluster at `address`."""

    name = "ray"

    def __init__(self, num_cpus: int | None = None, address: str | None = None, actors: int | None = None,
                 batch_size: int = BATCH_SIZE) -> None:
        self.address = address
        self.num_cpus = num_cpus or len(os.sched_getaffinity(0))
        self.actors = actors
        self.batch_size = batch_size
        self._owned = False  # this engine started Ray, so it stops it
        self._temp_dir: str | None = None

    def start(self) -> None:
        """Start local Ray or connect to the cluster, unless Ray already runs in this process."""
        try:
            import ray  # Ray takes seconds to import and is optional: only when this engine starts
            import ray.data
        except ImportError as exc:
            raise EngineUnavailable(f"the Ray engine needs ray[data] installed ({exc})") from None
        if ray.is_initialized():
            return
        options: dict = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
        if self.address:
            where = f"the Ray cluster at {self.address}"
            _check_reachable(self.address, where)
            options.update(address=self.address, runtime_env={"py_modules": [str(p) for p in _PACKAGES]})
        else:
            where = f"a local Ray with {self.num_cpus} CPUs"
            # A short path of our own: Ray's socket paths must stay under the 107-byte limit of Unix sockets.
            base = tempfile.gettempdir()
            self._temp_dir = tempfile.mkdtemp(prefix="kb-ray-", dir=base if len(base) <= MAX_TEMP_BASE else "/tmp")
            options.update(address="local", num_cpus=self.num_cpus, _temp_dir=self._temp_dir)
        try:
            ray.init(**options)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... all mean "no Ray"
            self._remove_temp_dir()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise EngineUnavailable(f"cannot start {where}: {first}") from None
        self._owned = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)

    def close(self) -> None:
        """Stop the Ray this engine started (its local processes and temp folder go with it)."""
        if self._owned:
            import ray  # optional and slow to import (see start)

            # Ray's agents may outlive a shutdown by a minute: whatever this local Ray started goes now.
            started = _processes_of(self._temp_dir) if self._temp_dir else []
            ray.shutdown()
            self._owned = False
            for process in psutil.wait_procs(started, timeout=EXIT_GRACE_S)[1]:
                process.kill()
        self._remove_temp_dir()

    def _remove_temp_dir(self) -> None:
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def map(self, fn: Callable[[T, Steps | None], R], items: Sequence[T], progress: Progress | None = None,
            steps: Steps | None = None) -> list[R]:
        """`fn(item, None)` for every item as Ray tasks, one item per block; `steps` is not heard from."""
        if not items:
            return []
        self.start()
        import ray.data  # optional and slow to import (see start)

        rows = [{"i": i, "item": pickle.dumps(item)} for i, item in enumerate(items)]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map(_apply, fn_kwargs={"fn": fn})
        results: list = [None] * len(items)
        done = 0
        for batch in _batches(dataset):
            for i, result in zip(batch["i"], batch["result"]):
                results[i] = pickle.loads(result)
            done += len(batch["i"])
            if progress:
                progress(done)
        return results

    def embed(self, passages: Sequence[str], embedder: str, progress: Progress | None = None) -> np.ndarray:
        """Vectors for `passages`, in order, from a pool of encoder actors (one per CPU unless told)."""
        if not passages:
            return np.zeros((0, get_embedder(embedder).dim), dtype=np.float32)
        self.start()
        import ray  # optional and slow to import (see start)
        import ray.data

        blocks = min(math.ceil(len(passages) / self.batch_size), MAX_BLOCKS)
        actors = min(self.actors or max(1, int(ray.cluster_resources().get("CPU", 1))), blocks)
        dataset = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(passages)],
                                      override_num_blocks=blocks)
        dataset = dataset.map_batches(_Encoder, fn_constructor_kwargs={"embedder": embedder},
                                      batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
                                      num_cpus=1, batch_format="numpy")
        vectors: np.ndarray | None = None
        done = 0
        for batch in _batches(dataset):
            if vectors is None:
                vectors = np.empty((len(passages), batch["vector"].shape[1]), dtype=np.float32)
            vectors[batch["i"]] = batch["vector"]
            done += len(batch["i"])
            if progress:
                progress(done)
        return vectors


def _processes_of(temp_dir: str) -> list[psutil.Process]:
    """The processes of the local Ray whose session lives in `temp_dir`, and everything they started."""
    found = []
    for child in psutil.Process().children():
        try:
            if any(temp_dir in arg for arg in child.cmdline()):
                found += [child, *child.children(recursive=True)]
        except psutil.Error:
            continue
    return found


def _check_reachable(address: str, where: str) -> None:
    """EngineUnavailable unless something listens at `host:port` (`ray://host:port`); other forms are Ray's to resolve."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise EngineUnavailable(f"cannot start {where}: nothing answers at {host}:{port} ({exc.strerror or exc})") from None


def _batches(dataset) -> Iterator[dict]:
    # Batches as their blocks finish; closing the iterator (the caller raised to stop) ends the execution.
    iterator = iter(dataset.iter_batches(batch_size=None, batch_format="numpy"))
    try:
        yield from iterator
    finally:
        getattr(iterator, "close", lambda: None)()
