"""The catalogue as data of an index version: `catalogue.json` in the version folder, seeded from the shipped YAML.

A version written before catalogues were stored with the index has no such file; it is served with the
shipped catalogue, and the next write stores that catalogue with the new version.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import CatalogueError
from .catalogue import Catalogue, Concept, load_catalogue, parse_catalogue

FILE = "catalogue.json"
_FORMAT = 1


def concept_entry(concept: Concept) -> dict[str, Any]:
    """A concept as the catalogue's files write it (the shape `parse_catalogue` reads)."""
    return {
        "id": concept.id,
        "broader": concept.broader,
        "labels": dict(concept.labels),
        "aliases": {lang: list(texts) for lang, texts in concept.aliases.items()},
        "definition": concept.definition,
        "definitions": dict(concept.definitions),
        "related": list(concept.related),
        "contrasts": list(concept.contrasts),
    }


def catalogue_data(catalogue: Catalogue) -> dict[str, Any]:
    """The whole catalogue as plain data: scheme and concepts in catalogue order."""
    return {"scheme": dict(catalogue.scheme), "concepts": [concept_entry(c) for c in catalogue]}


def save_catalogue(folder: Path, catalogue: Catalogue) -> Path:
    """Write `catalogue.json` into a version being built (the manifest then records its checksum)."""
    path = Path(folder) / FILE
    document = {"format": _FORMAT, "digest": catalogue.digest, **catalogue_data(catalogue)}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def stored_catalogue(folder: Path | None) -> Catalogue:
    """The catalogue of a version folder; the shipped one when the folder is None or predates stored catalogues."""
    path = Path(folder) / FILE if folder is not None else None
    if path is None or not path.is_file():
        return load_catalogue()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read the index's catalogue {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise CatalogueError(f"{path}: not a catalogue this version can read (format {data.get('format')!r})"
                             if isinstance(data, dict) else f"{path}: not a catalogue")
    return parse_catalogue(data, source=str(path))


class CatalogueSlot:
    """A writer's catalogue for the version it prepares (both stores): `_catalogue` is the base version's until
    a trainer's change replaces it, which marks the write `changed`."""

    _catalogue: Catalogue
    changed: bool

    def catalogue(self) -> Catalogue:
        """The concept catalogue of the version being prepared."""
        return self._catalogue

    def set_catalogue(self, catalogue: Catalogue) -> bool:
        """Make `catalogue` (validated, see `index.concepts.edit`) the next version's; True when it changed."""
        if catalogue.digest == self._catalogue.digest:
            return False
        self._catalogue = catalogue
        self.changed = True
        return True
