"""The embedded store: an index folder of immutable segments (index/segments), FAISS or NumPy plus SQLite."""
from __future__ import annotations

import threading
from pathlib import Path

from .. import suggestions, versions
from ..audit import audit_reads
from ..errors import IndexCorrupt
from ..glosses import DEFAULT_DICT_DIR
from ..records import IndexSettings
from ..segments import layout
from ..segments.legacy import is_legacy
from ..segments.segment import Deletions, Segment
from ..segments.snapshot import SegmentSnapshot
from ..segments.writer import SegmentWriter


class EmbeddedStore:
    """Segments on disk; snapshots share the segments they have in common (loaded once per process)."""

    def __init__(self, index_dir: Path, *, cache_dir: Path | None = None, dict_dir: Path = DEFAULT_DICT_DIR) -> None:
        self.index_dir = Path(index_dir)
        self.cache_dir = cache_dir  # derived data its writers keep (None: only in this process)
        self.dict_dir = dict_dir
        self._segments: dict[str, Segment] = {}
        self._deletions: dict[str, Deletions] = {}
        self._checked: set[str] = set()  # segment files whose checksum this process verified
        self._writer_segments: dict[str, Segment] = {}  # the writers' own: they run beside snapshots
        self._lock = threading.Lock()

    def writer(self, settings: IndexSettings = IndexSettings(), rebuild: bool = False,
               lock_timeout: float = 30.0) -> SegmentWriter:
        """The single writer (enter it to take the lock)."""
        return SegmentWriter(self.index_dir, settings, rebuild, lock_timeout, self._writer_segments,
                             cache_dir=self.cache_dir, dict_dir=self.dict_dir, checked=self._checked)

    def current(self) -> str | None:
        """Name of the newest published version."""
        return versions.current_name(self.index_dir)

    def snapshot(self, previous: SegmentSnapshot | None = None) -> SegmentSnapshot:
        """The newest sound version; segments already loaded (by this store) are reused, not reread."""
        with self._lock:
            version, warnings = versions.open_current(self.index_dir, shallow=self._checked.__contains__)
            if is_legacy(version.manifest):
                self._import(version.manifest)
                version, warnings = versions.open_current(self.index_dir, shallow=self._checked.__contains__)
            self._checked.update(name for name in version.manifest.get("files", {}) if layout.outside(name))
            parts = layout.load_parts(self.index_dir, version.manifest, self._segments, self._deletions)
            named = {e["name"] for e in version.manifest["segments"]}
            named_deletes = {e.get("deletes") for e in version.manifest["segments"]}
            # Only what this version names stays cached; older snapshots keep their own references.
            self._segments = {k: v for k, v in self._segments.items() if k in named}
            self._deletions = {k: v for k, v in self._deletions.items() if k in named_deletes}
            return SegmentSnapshot(version, parts, warnings)

    def _import(self, manifest: dict) -> None:
        # A version written before segments is imported once, by whoever opens it first (under the writer lock).
        with self.writer(IndexSettings(embedder=manifest["embedder"], backend=manifest["backend"])) as writer:
            writer.commit()

    def verify(self) -> list[str]:
        """Problems of the current version: every checksum read, every segment's invariants, every passage read back."""
        name = versions.current_name(self.index_dir)
        if name is None:
            return [f"no index in {self.index_dir}"]
        problems = versions.verify_version(versions.versions_dir(self.index_dir) / name)
        if problems:
            return problems
        try:
            snapshot = self.snapshot()
        except IndexCorrupt as exc:  # a file no checksum of this version covers fails to read: damaged all the same
            return [str(exc)]
        # The manifest cannot checksum itself: its counts (what `stats` reports) are held against what was read.
        manifest = snapshot.manifest
        for key, counted in (("documents", snapshot.n_documents), ("chunks", snapshot.n_chunks)):
            if key in manifest and manifest[key] != counted:
                problems.append(f"{name}: the manifest says {manifest[key]} {key}, the version holds {counted}")
        for segment, deleted in snapshot.parts:
            problems += segment.check()
            if len(deleted.rows) and (int(deleted.rows.min()) < 0 or int(deleted.rows.max()) >= segment.rows):
                problems.append(f"{segment.name}: deletions name rows outside the segment")
        return problems + audit_reads(snapshot)

    def decisions(self) -> dict[str, dict]:
        """suggestion id -> decision, from `<index dir>/suggestions/decisions.json`."""
        return suggestions.decisions(self.index_dir)

    def decide(self, suggestion: dict, status: str, concept_id: str | None = None) -> dict:
        """Record a trainer's decision on a suggestion beside the versions; returns the decision."""
        return suggestions.decide(self.index_dir, suggestion, status, concept_id)
