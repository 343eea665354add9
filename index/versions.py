"""Versioned index directories: build beside the current one, publish atomically, verify, fall back, collect.

Layout of an index directory::

    CURRENT                 name of the published version (replaced atomically)
    versions/v000007/       one version: its manifest.json (naming segments) and small version-level files
    segments/s000003/       an immutable segment, shared by the versions that name it (index/segments)
    deletes/                per-segment deletion files, named by the versions that use them
    versions/.build-*/      a version being written; never read
    .lock                   writers serialise on it; readers never take it
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .config import DEFAULT_KEEP_VERSIONS as DEFAULT_KEEP
from .errors import IndexBusy, IndexCorrupt, IndexNotFound, KBError
from .files import exclusive_lock

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
DB_FILE = "kb.sqlite"
# A version's folder name, and one set aside as damaged (damaged-v000007, see `roll_back`).
_VERSION_NAME = re.compile(r"^v\d{6}$")
SET_ASIDE = "damaged-"
_SET_ASIDE = re.compile(rf"^{SET_ASIDE}v(\d+)")


@dataclass(frozen=True)
class Version:
    """A published version directory and its manifest."""

    name: str
    path: Path
    manifest: dict


def versions_dir(index_dir: Path) -> Path:
    """Folder that holds every version."""
    return Path(index_dir) / "versions"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_record(path: Path) -> dict:
    """Size and checksum of a file, as a manifest records it."""
    return {"bytes": path.stat().st_size, "sha256": sha256_of(path)}


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in a folder durable."""
    _fsync_dir(path)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def writer_lock(index_dir: Path, timeout: float = 30.0) -> contextlib.AbstractContextManager[None]:
    """Hold the index's writer lock; raises IndexBusy after `timeout` seconds of waiting."""
    return exclusive_lock(Path(index_dir) / ".lock", timeout,
                          lambda: IndexBusy(f"another writer holds {index_dir}/.lock"))


def new_build_dir(index_dir: Path) -> Path:
    """A private folder to write the next version into."""
    root = versions_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".build-", dir=root))


def current_name(index_dir: Path) -> str | None:
    """Name of the published version, or None."""
    try:
        return (Path(index_dir) / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def published(index_dir: Path) -> list[str]:
    """Names of complete version folders, oldest first."""
    root = versions_dir(index_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.name.startswith("v") and (p / MANIFEST).is_file())


def set_aside(index_dir: Path) -> list[Path]:
    """The folders of versions `roll_back` set aside as damaged (kept for inspection; never served)."""
    root = versions_dir(index_dir)
    return sorted(p for p in root.iterdir() if p.name.startswith(SET_ASIDE)) if root.is_dir() else []


def write_manifest(build_dir: Path, info: dict, shared: dict | None = None) -> dict:
    """Record every file of a version with its size and checksum, plus the given facts.

    `shared` adds files outside the folder (segments), by relative path, with their recorded size and checksum.
    """
    files = dict(shared or {}) | {
        p.name: {"bytes": p.stat().st_size, "sha256": sha256_of(p)}
        for p in sorted(build_dir.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {**info, "files": files, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = build_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for p in build_dir.iterdir():
        with open(p, "rb") as handle:
            os.fsync(handle.fileno())
    return manifest


def publish(index_dir: Path, build_dir: Path, keep: int = DEFAULT_KEEP) -> str:
    """Move a finished build into place and point CURRENT at it; returns the version name."""
    index_dir = Path(index_dir)
    # Past the versions set aside as damaged too: a name once served is never given to other contents.
    aside = [m.group(1) for p in set_aside(index_dir) if (m := _SET_ASIDE.match(p.name))]
    name = f"v{max(map(int, [n[1:] for n in published(index_dir)] + aside), default=0) + 1:06d}"
    target = versions_dir(index_dir) / name
    os.rename(build_dir, target)
    _fsync_dir(versions_dir(index_dir))
    _point_current(index_dir, name)
    collect_garbage(index_dir, keep)
    return name


def _point_current(index_dir: Path, name: str) -> None:
    """Replace CURRENT atomically and durably."""
    pointer = index_dir / f".{CURRENT}.tmp"
    with open(pointer, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)


def collect_garbage(index_dir: Path, keep: int = DEFAULT_KEEP, current_damaged: bool = False) -> list[str]:
    """Delete all but the newest `keep` versions (never the current one) and abandoned builds; no version while
    `current_damaged`: reads are served by an older one, and `roll_back` needs it."""
    current = current_name(index_dir)
    names = published(index_dir)
    doomed = [] if current_damaged else [n for n in names[: max(0, len(names) - keep)] if n != current]
    root = versions_dir(index_dir)
    for name in doomed:
        shutil.rmtree(root / name, ignore_errors=True)
    # Builds left by killed writers; callers hold the writer lock, so none of these is live.
    for stale in root.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return doomed


def verify_version(path: Path, shallow: Callable[[str], bool] = lambda name: False) -> list[str]:
    """Problems found in one version folder; an empty list means it is sound.

    Files for which `shallow(name)` holds are checked by size only (immutable segment files checked before).
    """
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        return [f"{path.name}: no manifest (partial or damaged version)"]
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        return [f"{path.name}: unreadable manifest ({exc})"]
    problems = []
    for name, expected in manifest.get("files", {}).items():
        file = path / name
        # Named from the index directory: a version names the segments it shares as ../../segments/...
        shown = os.path.normpath(os.path.join(path.parent.name, path.name, name))
        if not file.is_file():
            problems.append(f"{shown}: missing")
        elif file.stat().st_size != expected["bytes"]:
            problems.append(f"{shown}: size {file.stat().st_size} != {expected['bytes']}")
        elif not shallow(name) and sha256_of(file) != expected["sha256"]:
            problems.append(f"{shown}: checksum mismatch")
    if not problems and (path / DB_FILE).is_file():
        try:
            conn = sqlite3.connect(f"file:{path / DB_FILE}?mode=ro", uri=True)
            try:
                status = conn.execute("PRAGMA quick_check").fetchone()[0]
                chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            return [f"{path.name}/{DB_FILE}: {exc}"]
        if status != "ok":
            problems.append(f"{path.name}/{DB_FILE}: integrity check says {status}")
        if chunks != manifest.get("chunks"):
            problems.append(f"{path.name}: {chunks} chunks in the database, manifest says {manifest.get('chunks')}")
    return problems


def roll_back(index_dir: Path) -> tuple[str, str]:
    """Set a damaged current version aside (as `versions/damaged-NAME`, never read again) and point CURRENT at the
    newest sound version, accepting the loss of the damaged one's changes; returns (damaged, now current).
    The caller holds the writer lock. Raises KBError when the current version is sound, IndexCorrupt when no older
    one is."""
    index_dir = Path(index_dir)
    current = current_name(index_dir)
    root = versions_dir(index_dir)
    if current is None or not verify_version(root / current):
        raise KBError(f"the current version of {index_dir} ({current or 'none'}) is not damaged: nothing to roll back")
    # Not a newer folder (a publish killed before CURRENT named it holds a write never acknowledged), also where
    # CURRENT names a folder that is gone (a roll-back killed between setting it aside and moving CURRENT).
    named = _VERSION_NAME.match(current) is not None
    older = [n for n in published(index_dir) if n != current and (n < current or not named)]
    sound = next((n for n in reversed(older) if not verify_version(root / n)), None)
    if sound is None:
        raise IndexCorrupt(f"no sound version older than {current} in {index_dir}: restore the index from a backup")
    if (root / current).is_dir():  # kept for inspection, with the segments it names (see segments/layout.py)
        os.rename(root / current, root / f"{SET_ASIDE}{current}")
    elif named and not (root / f"{SET_ASIDE}{current}").exists():
        (root / f"{SET_ASIDE}{current}").mkdir()  # a folder that is gone still holds its number: never given again
    _fsync_dir(root)
    _point_current(index_dir, sound)
    return current, sound


def open_current(index_dir: Path, shallow: Callable[[str], bool] = lambda name: False) -> tuple[Version, list[str]]:
    """The current version if sound, else the newest sound one; returns it with the warnings met on the way."""
    index_dir = Path(index_dir)
    current = current_name(index_dir)
    candidates = published(index_dir)
    if current is None and not candidates:
        raise IndexNotFound(f"no index in {index_dir}: run `python -m ingest PATH --index-dir {index_dir}` first")
    order = ([current] if current else []) + [n for n in reversed(candidates) if n != current]
    warnings: list[str] = []
    for name in order:
        path = versions_dir(index_dir) / name
        problems = verify_version(path, shallow)
        if not problems:
            for warning in warnings:
                log.warning("%s; serving %s instead", warning, name)
            return Version(name, path, json.loads((path / MANIFEST).read_text())), warnings
        warnings.append("; ".join(problems))
    raise IndexCorrupt(f"no sound version in {index_dir}: " + " | ".join(warnings))
