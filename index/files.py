"""File primitives every writer shares: an exclusive lock file, durable atomic writes, and naming a full disk."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Iterator

from .errors import InsufficientStorage, InvalidSetting

# A full disk and an exhausted quota are the same to a user: no room left where the index keeps its files.
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
# Below this much free space a failing write is taken for a full disk (some, like SQLite's, say only "I/O error").
LOW_SPACE_BYTES = 1 << 20


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold an flock on `path` (created if missing); raise `busy()` after `timeout` seconds of waiting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise busy() from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(target: Path, data: bytes) -> Path:
    """Write `data` beside `target`, fsync it, then rename it into place: readers see all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk must not keep half a file
        raise
    return target


def check_folder(folder: Path, role: str = "index directory") -> None:
    """InvalidSetting where a folder (the index directory, a run directory) cannot be one: it, or a folder it would
    be made in, is a file."""
    for path in (Path(folder), *Path(folder).parents):
        if path.exists():
            if not path.is_dir():
                raise InvalidSetting(f"the {role} {folder} cannot be a folder: {path} is a file")
            return


def free_mb(path: Path) -> float:
    """Free space, in MB, on the disk holding `path` (or, before it exists, its nearest existing parent)."""
    path = Path(path).resolve()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free / 2**20


def nearly_full(folder: Path) -> bool:
    """Whether the file system holding `folder` has less than LOW_SPACE_BYTES left for this process."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize < LOW_SPACE_BYTES


@contextlib.contextmanager
def naming_full_disk(folder: Path) -> Iterator[None]:
    """Turn running out of disk space or quota while writing under `folder` into InsufficientStorage naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        reason = "disk quota exceeded" if exc.errno == errno.EDQUOT else "no space left on device"
        raise InsufficientStorage(f"{reason} in {folder}") from exc
