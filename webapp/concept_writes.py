"""Trainers' concept changes, shared by the API and the UI: authorise, validate as the queue will apply them, queue.

A change is checked in the request against the newest published catalogue as the queued concept changes will leave
it (the body's shape, then the catalogue it would make: unique ids and labels, known languages and references, no
broader cycle), in the queue's transaction, so a refused change answers at once with the concept and field named,
nothing is queued, and two trainers adding one label at once are not both told yes, even where a job finishes while
the request waits for the queue; a concept whose addition is still queued can be edited or removed at once. The job
runner applies it to the catalogue of the newest version (checking it again: an earlier job may have changed that
catalogue) and publishes it with the groundings recomputed.
"""
from __future__ import annotations

import logging
import re

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from index.concepts import Catalogue
from index.concepts.edit import ADD, REMOVE, REPLACE, ConceptChange, ahead
from index.errors import InvalidConcept, KBError, QueueFull
from ingest.jobs import CONCEPT
from ingest.jobs.submit import concept_changes, submit_concept_change

from . import health, params
from .auth import require_writer, writes_enabled
from .kb import get_kb
from .writes import queue

log = logging.getLogger(__name__)

_IF_MATCH = re.compile(params.IF_MATCH)
# The most concept changes queued at once: a new one is checked after all of them, in the queue's transaction, each
# costing a validation of the catalogue (about 10 ms with 50 concepts); one more is refused (429) until some are
# done, rather than checked against only some of them. A trainer rarely has more waiting than this.
MAX_AHEAD = 50


class NotJson(UnsupportedMediaType):
    name = "Unsupported Type"
    description = "send a JSON object (Content-Type: application/json)"


def json_body() -> object:
    """The request's JSON body; 415 when it is not JSON, 400 when it does not parse or nests too deeply, 413 over 1 MB."""
    if not request.is_json:
        raise NotJson()
    return params.json_document(request.get_data(cache=False))


def queue_change(change: ConceptChange) -> tuple[dict, int]:
    """Check a change against the catalogue as the queued changes will leave it and queue its job: ({job, concepts},
    202)."""
    require_writer()
    health.require_writable()
    kb, changed = get_kb(), []

    def check(queued: list[ConceptChange]) -> None:
        # As the queued changes will leave the catalogue: an added concept may be edited before its job runs.
        if len(queued) >= MAX_AHEAD:
            raise QueueFull(f"{len(queued)} concept changes are queued, the most a new one is checked after: retry "
                            "once some are done (GET /api/jobs lists them)")
        changed[:] = kb.check_concept_change(change, queued)

    job, created = submit_concept_change(queue(), change, check)
    if not created:  # the same change sent again, checked when it was queued: what it changes, as then
        try:
            changed[:] = kb.check_concept_change(change, _queued(but=job.id))
        except KBError:  # the catalogue moved on since: its job will say
            changed[:] = [change.concept_id]
    log.info("concept %s %s: %s job %s", change.action, change.concept_id,
             "queued as" if created else "is already pending as", job.id)
    return {"job": job.to_dict(), "concepts": changed}, 202


def catalogue_ahead() -> Catalogue:
    """The served catalogue as the queued concept changes will leave it: where a concept whose addition is queued
    is found for its edit form."""
    return ahead(get_kb().catalogue(), _queued())


def _queued(but: str | None = None) -> list[ConceptChange]:
    """The queued concept changes, oldest first, at most MAX_AHEAD of them (not job `but`'s)."""
    pending = concept_changes(queue().pending_of(CONCEPT, MAX_AHEAD + 1))
    return [change for job, change in pending if job.id != but][:MAX_AHEAD]


def queued_addition(concept_id: str) -> str | None:
    """The id of the queued job that adds this concept, if one does (None on a server without writes)."""
    if not writes_enabled():
        return None
    for job, change in reversed(concept_changes(queue().pending_of(CONCEPT))):
        if change.concept_id == concept_id:
            return job.id if change.action == ADD else None
    return None


def add(body: object, suggestion: dict | None = None) -> tuple[dict, int]:
    """Queue a new concept (POST /api/concepts), or the one a `suggestion` ({id, terms}) becomes."""
    concept_id = body.get("id") if isinstance(body, dict) else None
    return queue_change(ConceptChange(ADD, concept_id if isinstance(concept_id, str) else "", body,
                                      suggestion=suggestion))


def accepting() -> list[str]:
    """The ids of the suggestions queued concept changes accept."""
    return [change.suggestion["id"] for change in _queued() if change.suggestion is not None]


def replace(concept_id: str, body: object, expected: str | None = None) -> tuple[dict, int]:
    """Queue the replacement of a concept (PUT /api/concepts/<id>), made on version `expected` if given."""
    return queue_change(ConceptChange(REPLACE, concept_id, body, expected=expected))


def remove(concept_id: str, expected: str | None = None) -> tuple[dict, int]:
    """Queue the removal of a concept (DELETE /api/concepts/<id>), made on version `expected` if given."""
    return queue_change(ConceptChange(REMOVE, concept_id, expected=expected))


def if_match() -> str | None:
    """The concept version (ETag of GET /api/concepts/<id>) an If-Match header names; None without one or for `*`."""
    if "If-Match" not in request.headers:
        return None
    raw = request.headers["If-Match"].strip()
    # One entity tag as RFC 9110 writes it, or *: a malformed header must not pass as none (the write would go
    # through unconditionally) nor as a version (werkzeug reads a bare nope as the tag "nope").
    found = _IF_MATCH.match(raw)
    if not found:
        raise InvalidConcept(f"If-Match must name one version of the concept, its ETag in quotes, or *; not {raw[:80]!r}")
    return found[1]  # a compressing proxy may weaken the ETag (W/"..."): the same version
