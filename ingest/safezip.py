"""Zip containers (DOCX) opened defensively: the central directory is checked before anything is inflated,
and every byte actually inflated counts against a hard cap, since declared sizes can lie."""
from __future__ import annotations

import io
import zipfile

from index.errors import DocumentError

from . import limits


class SafeZip:
    """A checked archive whose members are read through one shared inflation budget."""

    def __init__(self, data: bytes, name: str, kind: str = "zip container") -> None:
        self.name = name
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            entries = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            raise DocumentError(f"{name}: not a readable {kind} ({exc.__class__.__name__})") from None
        _check_directory(entries, name)
        self._left = limits.MAX_ZIP_UNCOMPRESSED_BYTES

    def names(self) -> set[str]:
        """Member names."""
        return set(self._archive.namelist())

    def read(self, member: str, limit: int = limits.MAX_ZIP_SMALL_PART_BYTES) -> bytes:
        """A whole (small) member, refused when it inflates beyond `limit` bytes."""
        with self.open(member) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise DocumentError(f"{self.name}: {member} is larger than {limit:,} bytes")
        return data

    def open(self, member: str) -> "_CappedStream":
        """A stream over a member that stops the whole archive at the inflation cap."""
        return _CappedStream(self, self._archive.open(member))

    def _spend(self, count: int, member: str) -> None:
        self._left -= count
        if self._left < 0:
            raise DocumentError(
                f"{self.name}: inflates beyond {limits.MAX_ZIP_UNCOMPRESSED_BYTES // limits.MiB} MB"
                f" (at {member}; a zip bomb?)"
            )


def _check_directory(entries: list[zipfile.ZipInfo], name: str) -> None:
    if len(entries) > limits.MAX_ZIP_ENTRIES:
        raise DocumentError(f"{name}: {len(entries):,} zip entries (limit {limits.MAX_ZIP_ENTRIES:,})")
    total = sum(e.file_size for e in entries)
    if total > limits.MAX_ZIP_UNCOMPRESSED_BYTES:
        raise DocumentError(
            f"{name}: expands to {total // limits.MiB:,} MB (limit {limits.MAX_ZIP_UNCOMPRESSED_BYTES // limits.MiB} MB;"
            " a zip bomb?)"
        )
    for entry in entries:
        if entry.file_size > limits.ZIP_RATIO_FLOOR and entry.file_size > limits.MAX_ZIP_RATIO * max(1, entry.compress_size):
            ratio = entry.file_size // max(1, entry.compress_size)
            raise DocumentError(
                f"{name}: {entry.filename} compresses {ratio:,}:1 (limit {limits.MAX_ZIP_RATIO}:1; a zip bomb?)"
            )


class _CappedStream(io.RawIOBase):
    def __init__(self, owner: SafeZip, inner: io.BufferedIOBase) -> None:
        super().__init__()
        self._owner = owner
        self._inner = inner
        self._member = getattr(inner, "name", "?")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # Never inflate more than the remaining budget (plus one byte to notice the overrun).
        budget = self._owner._left + 1
        data = self._inner.read(budget if size is None or size < 0 else min(size, budget))
        self._owner._spend(len(data), self._member)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()
