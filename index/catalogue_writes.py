"""Publishing a changed catalogue: one validated change, applied under the writer lock as a new index version.

The job runner (a trainer's change over HTTP) and `python -m index concepts import` both go through here, so a
change is checked against the catalogue of the version it is applied to, never a stale copy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .concepts import Catalogue
from .concepts.edit import ConceptChange, changed_concepts, check_change, in_effect
from .stores import IndexSettings, Store


@dataclass(frozen=True)
class CatalogueUpdate:
    """What a catalogue write did: the version that serves it (None: nothing changed) and the concepts it touched."""

    version: str | None
    changed: list[str]


def update_catalogue(store: Store, settings: IndexSettings, change: Callable[[Catalogue], Catalogue],
                     lock_timeout: float = 30.0) -> CatalogueUpdate:
    """Apply `change` (the current catalogue -> a validated new one) and publish; groundings are recomputed.

    A refused change (its domain error) leaves the index as it was.
    """
    with store.writer(settings, lock_timeout=lock_timeout) as writer:
        before = writer.catalogue()
        after = change(before)
        if not writer.set_catalogue(after):
            return CatalogueUpdate(None, [])
        published = writer.commit()
    return CatalogueUpdate(published.version if published else None, changed_concepts(before, after))


def apply_concept_change(store: Store, settings: IndexSettings, change: ConceptChange,
                         lock_timeout: float = 30.0) -> CatalogueUpdate:
    """Add, replace or remove one concept of the store's catalogue and publish the result."""
    return update_catalogue(store, settings, lambda catalogue: catalogue if in_effect(catalogue, change)
                            else check_change(catalogue, change), lock_timeout)
