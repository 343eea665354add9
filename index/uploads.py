"""Stored uploads: `<index dir>/uploads/<content hash><suffix>`, one file per indexed uploaded document.

A document whose source is `uploads/<name>` keeps its original bytes there. Files that no document of
the published version names are orphans (left by a deletion or an interrupted write); `collect`
removes them. Callers that change the folder hold the writer lock, so a publish in progress never
loses its file.
"""
from __future__ import annotations

from pathlib import Path

from .files import write_atomically
from .errors import IndexNotFound
from .protocols import Store
from .versions import sha256_of

UPLOADS = "uploads"
HASH_CHARS = 32  # of the hex SHA-256 that names a stored upload


def folder(index_dir: Path) -> Path:
    """The uploads folder of an index directory."""
    return Path(index_dir) / UPLOADS


def source_for(content_hash: str, suffix: str) -> str:
    """The source name an upload is indexed under: content-addressed (SHA-256 of its bytes), never the client's name."""
    return f"{UPLOADS}/{content_hash[:HASH_CHARS]}{suffix}"


def save(index_dir: Path, source: str, data: bytes) -> Path:
    """Write an upload's bytes under its source name, atomically and durably."""
    target = Path(index_dir) / source
    return write_atomically(target, data)


def referenced(store: Store) -> set[str]:
    """Upload file names that documents of the store's published version point at (the files stay in the index
    directory whichever store holds the index)."""
    sources = store.snapshot().document_states()
    return {source.split("/", 1)[1] for source in sources if source.startswith(f"{UPLOADS}/")}


def stored(index_dir: Path) -> list[Path]:
    """Every file in the uploads folder, partial writes included."""
    root = folder(index_dir)
    return sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else []


def orphans(index_dir: Path, store: Store) -> list[Path]:
    """Stored files that no document indexed in `store` names."""
    try:
        names = referenced(store)
    except IndexNotFound:  # no index at all: nothing can name a stored file (a damaged one raises)
        names = set()
    return [p for p in stored(index_dir) if p.name not in names]


def missing(index_dir: Path, store: Store) -> list[str]:
    """Upload sources of documents indexed in `store` whose bytes are not stored."""
    present = {p.name for p in stored(index_dir)}
    return sorted(f"{UPLOADS}/{name}" for name in referenced(store) - present)


def altered(index_dir: Path, store: Store) -> list[str]:
    """Upload sources of indexed documents whose stored bytes no longer hash to the name they were stored under."""
    root = folder(index_dir)
    found = []
    for name in sorted(referenced(store)):
        try:
            intact = sha256_of(root / name)[:HASH_CHARS] == name[:HASH_CHARS]
        except FileNotFoundError:  # missing (reported as such), or collected meanwhile with its document
            continue
        except OSError:  # a folder or an unreadable file where the upload should be: not the bytes stored
            intact = False
        if not intact:
            found.append(f"{UPLOADS}/{name}")
    return found


def collect(index_dir: Path, store: Store) -> list[Path]:
    """Delete orphaned upload files; the caller holds the writer lock."""
    doomed = orphans(index_dir, store)
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
