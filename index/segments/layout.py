"""Versions made of segments: open one (checking what it names), load its parts, collect what no version names."""
from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

from .. import versions
from ..errors import IndexCorrupt
from .segment import DELETES, META, SEGMENTS, Deletions, Segment

log = logging.getLogger(__name__)


def outside(name: str) -> bool:
    """A manifest entry outside the version folder (a segment or deletion file): immutable once written."""
    return name.startswith("../")


def segment_files(segment: Segment) -> dict:
    """A segment's files as a version manifest records them (relative to the version folder)."""
    return {f"../../{SEGMENTS}/{segment.name}/{name}": record for name, record in segment.meta["files"].items()}


def segment_meta_file(segment: Segment) -> dict:
    """A segment's description (meta.json) as a version manifest records it: checked as its other files are."""
    return {f"../../{SEGMENTS}/{segment.name}/{META}": segment.meta_record}


def delete_path(index_dir: Path, name: str) -> Path:
    """Path of a deletion file."""
    return Path(index_dir) / DELETES / name


# The numbers in the names of segment folders (s000012) and deletion files (s000012.d000003.npz).
_SEGMENT_NUMBER = re.compile(r"^s(\d+)$")
_DELETE_NUMBER = re.compile(r"\.d(\d+)\.npz$")


def _manifest_of(folder: Path) -> dict | None:
    """A version folder's manifest; {} where it has none (a number `roll_back` keeps), None where it is unreadable."""
    path = folder / versions.MANIFEST
    if not path.exists():
        return {} if folder.name.startswith(versions.SET_ASIDE) else None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def past_names_on_disk(index_dir: Path, counters: dict[str, int]) -> dict[str, int]:
    """The writer's name counters moved past every segment folder and deletion file on disk, and past the counters
    of a version set aside as damaged (its chunk ids too: no id of it is handed out again with other text).

    A write killed after it put its segment in place, or after it moved its complete version into versions/ but
    before CURRENT named it, left names that the current version's counters would hand out again."""
    found = dict(counters)
    for folder in versions.set_aside(index_dir):
        for key, number in ((_manifest_of(folder) or {}).get("next") or {}).items():
            if key in found and isinstance(number, int):
                found[key] = max(found[key], number)
    for key, folder, pattern in (("segment", SEGMENTS, _SEGMENT_NUMBER), ("delete", DELETES, _DELETE_NUMBER)):
        root = Path(index_dir) / folder
        numbers = [int(m.group(1)) for p in root.iterdir() if (m := pattern.search(p.name))] if root.is_dir() else []
        found[key] = max([found[key], *(n + 1 for n in numbers)])
    return found


def load_parts(index_dir: Path, manifest: dict, segments: dict[str, Segment],
               deletions: dict[str, Deletions]) -> list[tuple[Segment, Deletions]]:
    """The segments and deletions a manifest names, reusing (and filling) the given caches by name."""
    if "segments" not in manifest:
        raise IndexCorrupt("this index was written by an older release: rebuild it (`python -m ingest PATH --rebuild`)")
    parts = []
    for entry in manifest["segments"]:
        name, deleted = entry["name"], entry.get("deletes")
        if name not in segments or not _same_files(segments[name], manifest):
            segments[name] = Segment(index_dir, name)
        if deleted and deleted not in deletions:
            deletions[deleted] = Deletions.load(delete_path(index_dir, deleted))
        parts.append((segments[name], deletions[deleted] if deleted else Deletions.none()))
    return parts


def _same_files(segment: Segment, manifest: dict) -> bool:
    # A cached segment is the one a manifest names only if its files are (an index folder deleted and
    # written anew reuses segment names).
    named = manifest.get("files", {})
    return all(named.get(path) == record for path, record in segment_files(segment).items())


def collect_garbage(index_dir: Path, keep: int, current_damaged: bool = False) -> list[str]:
    """Old versions beyond `keep` (none while `current_damaged`), abandoned builds, and segments or deletion files
    no kept version names, nor a version set aside as damaged (kept whole for inspection or repair)."""
    removed = versions.collect_garbage(index_dir, keep, current_damaged)
    named_segments, named_deletes = set(), set()
    folders = [versions.versions_dir(index_dir) / name for name in versions.published(index_dir)]
    for folder in folders + versions.set_aside(index_dir):
        manifest = _manifest_of(folder)
        if manifest is None:  # its segments are unknown: collect none, lest a repair find them gone
            log.warning("versions/%s has an unreadable manifest; no segment collected", folder.name)
            return removed
        for entry in manifest.get("segments", []):
            named_segments.add(entry["name"])
            named_deletes.add(entry.get("deletes"))
    root = Path(index_dir) / SEGMENTS
    if root.is_dir():
        for path in root.iterdir():
            if path.name not in named_segments:
                shutil.rmtree(path, ignore_errors=True)
    root = Path(index_dir) / DELETES
    if root.is_dir():
        for path in root.iterdir():
            if path.name not in named_deletes:
                path.unlink(missing_ok=True)
    return removed
