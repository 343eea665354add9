"""Suggested concepts as stored: computed with each version (`suggestions.json`), decided on by trainers.

A version's file holds the suggestions of every document it serves: a publish that adds documents
computes theirs and carries the others' over from the version it started from (dropping documents that
are gone). Trainers' decisions (accepted, dismissed) live beside the versions in
`<index dir>/suggestions/decisions.json`, keyed by the suggestion's terms (`lang:stems`): a decision
outlives the version it was taken on, and a later suggestion with a decided term is not shown again.
Every store computes a version's suggestions with `next_suggestions` and keeps decisions made by `decision`.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from .concepts import Catalogue
from .concepts.catalogue import KNOWN_LANGUAGES
from .concepts.text import compact, fold
from .concepts.suggest import documents_as_sources, reference_sample, suggest
from .embedders import Embedder
from .errors import IndexBusy, InvalidQuery, NotFound, SuggestionDecided
from .files import exclusive_lock, write_atomically
from .glosses import lexicons
from .glosses.wordclass import word_classes
from .records import Chunk, Document

FILE = "suggestions.json"
FOLDER = "suggestions"
DECISIONS = "decisions.json"
STATUSES = ("accepted", "dismissed")
# Documents whose concepts are suggested together (beside one reference sample of the others).
SUGGEST_BATCH = 100
# Forms of a suggested term as its passages write it, prefilled as aliases of the accepted concept (per language).
MAX_WRITTEN_ALIASES = 3


class Corpus(Protocol):
    """What suggesting reads of the version being prepared: a writer's live rows."""

    def document(self, doc_id: str) -> Document | None: ...

    def chunks_of(self, doc_id: str) -> list[Chunk]: ...

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray: ...

    def sample_candidates(self, exclude: set[str]) -> list[str]: ...


def save(build_dir: Path, suggestions: list[dict]) -> Path:
    """Write a version's suggestions (best first)."""
    path = Path(build_dir) / FILE
    path.write_text(json.dumps({"suggestions": suggestions}, ensure_ascii=False), encoding="utf-8")
    return path


def load(version_dir: Path) -> list[dict]:
    """A version's suggestions; none for a version published before suggestions existed."""
    try:
        return json.loads((Path(version_dir) / FILE).read_text(encoding="utf-8"))["suggestions"]
    except FileNotFoundError:
        return []


def carry_over(previous: list[dict], fresh: list[dict], present: set[str], recomputed: set[str]) -> list[dict]:
    """The previous version's suggestions for documents still served and not recomputed, merged with fresh ones."""
    by_id: dict[str, dict] = {}
    for old in previous:
        documents = [d for d in old["documents"] if d["doc_id"] in present and d["doc_id"] not in recomputed]
        if documents:
            keep = {d["doc_id"] for d in documents}
            by_id[old["id"]] = {**old, "documents": documents,
                                "passages": [p for p in old["passages"] if p["doc_id"] in keep]}
    for new in fresh:
        old = by_id.get(new["id"])
        if old is not None:  # the same terms in an older document too: one suggestion for both
            new = {**new, "documents": sorted(old["documents"] + new["documents"], key=lambda d: -d["score"]),
                   "passages": new["passages"] + old["passages"], "score": max(old["score"], new["score"])}
        by_id[new["id"]] = new
    return sorted(by_id.values(), key=lambda s: -s["score"])


def next_suggestions(previous: list[dict], put: set[str], corpus: Corpus, is_live: Callable[[str], bool],
                     catalogue: Catalogue, embedder: Embedder, enabled: bool, dict_dir: Path,
                     cache_dir: Path | None) -> list[dict]:
    """The next version's suggestions: computed for the documents `put` (unless not `enabled`), read beside a
    bounded sample of the others, and the previous version's carried over for documents still live."""
    # Only the documents this write put or that earlier suggestions name: a set of every id costs O(corpus).
    named = {d["doc_id"] for s in previous for d in s["documents"]} | put
    present = {d for d in named if is_live(d)}
    fresh_ids = put & present if enabled else set()
    fresh: list[dict] = []
    if fresh_ids:
        classes = word_classes(lexicons(dict_dir, cache_dir))

        def sources(doc_ids: list[str]) -> list:
            docs = [d for d in map(corpus.document, doc_ids) if d is not None]
            return documents_as_sources(docs, [c for d in docs for c in corpus.chunks_of(d.doc_id)])

        ordered = sorted(fresh_ids)
        reference = sources(reference_sample(corpus.sample_candidates(exclude=fresh_ids), []))
        # In batches beside one reference sample: the cost of a big write grows with its documents, not faster.
        for i in range(0, len(ordered), SUGGEST_BATCH):
            batch = ordered[i:i + SUGGEST_BATCH]
            found = suggest(sources(batch) + reference, batch, catalogue, embed=embedder.embed_queries,
                            chunk_vectors=corpus.vectors, classify=classes.classify)
            fresh += [s.to_dict() for s in found]
    return carry_over(previous, fresh, present, put & present)


def _decisions_path(index_dir: Path) -> Path:
    return Path(index_dir) / FOLDER / DECISIONS


def decisions(index_dir: Path) -> dict[str, dict]:
    """suggestion id -> {status, refs, concept_id, at} of every decision taken."""
    try:
        return json.loads(_decisions_path(index_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def decide(index_dir: Path, suggestion: dict, status: str, concept_id: str | None = None,
           timeout: float = 10.0) -> dict:
    """Record a trainer's decision on a suggestion, atomically; returns the decision."""
    made = decision(suggestion, status, concept_id)
    folder = Path(index_dir) / FOLDER
    with exclusive_lock(folder / ".lock", timeout, lambda: IndexBusy(f"another decision is being written in {folder}")):
        taken = decisions(index_dir)
        kept = settle(taken.get(suggestion["id"]), made, suggestion["id"])
        if kept is made:
            taken[suggestion["id"]] = made
            write_atomically(_decisions_path(index_dir), json.dumps(taken, ensure_ascii=False, indent=1).encode("utf-8"))
    return kept


def decision(suggestion: dict, status: str, concept_id: str | None = None) -> dict:
    """A trainer's decision on a suggestion as every store records it: {status, refs, concept_id, at}."""
    if status not in STATUSES:
        raise InvalidQuery(f"status must be one of {', '.join(STATUSES)}")
    return {"status": status, "refs": [t["ref"] for t in suggestion["terms"]], "concept_id": concept_id,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def settle(prior: dict | None, made: dict, suggestion_id: str) -> dict:
    """The decision a store keeps when `made` is recorded over `prior`, in the write that records it: an acceptance
    always (its job's record of the concept it published); a dismissal where none was taken (a second one is the
    first), never over an acceptance (SuggestionDecided: a dismissal checked just before an accept's job ended)."""
    if made["status"] == "dismissed" and prior is not None:
        if prior["status"] == "dismissed":
            return prior
        check_open(suggestion_id, {suggestion_id: prior})  # an acceptance: refused
    return made


def check_open(suggestion_id: str, taken: dict[str, dict], accepting: Iterable[str] = (),
               concept_id: str | None = None) -> None:
    """SuggestionDecided unless a suggestion is open: no decision taken on it (`taken`: id -> decision) and no queued
    concept change accepting it (`accepting`: the suggestion ids queued changes accept). A suggestion becomes one
    concept, once: the accept of it recorded as `concept_id` is that change's own, run again after its runner died."""
    decision = taken.get(suggestion_id)
    if decision is not None and not (concept_id is not None and decision["status"] == "accepted"
                                     and decision.get("concept_id") == concept_id):
        became = f" as concept {decision['concept_id']!r}" if decision.get("concept_id") else ""
        raise SuggestionDecided(f"suggestion {suggestion_id!r} was {decision['status']} already{became}")
    if suggestion_id in set(accepting):
        raise SuggestionDecided(f"suggestion {suggestion_id!r} is being accepted already: a queued concept change "
                                "makes it a concept (GET /api/jobs lists it)")


def decided_refs(taken: dict[str, dict]) -> set[str]:
    """Every term some decision covers."""
    return {ref for d in taken.values() for ref in d["refs"]}


def pending(suggestions: Iterable[dict], taken: dict[str, dict], doc_id: str | None = None,
            named: frozenset[str] = frozenset()) -> list[dict]:
    """Suggestions not decided on (none of their terms decided, nor `named`: the refs of terms the catalogue names
    now, a label or an alias added since the suggestion was computed), optionally those of one document."""
    covered = decided_refs(taken) | named
    out = []
    for s in suggestions:
        if s["id"] in taken or any(t["ref"] in covered for t in s["terms"]):
            continue
        if doc_id is not None and all(d["doc_id"] != doc_id for d in s["documents"]):
            continue
        out.append(s)
    return out


def drafted_definitions(suggestion: dict) -> dict[str, str]:
    """Definitions to prefill when a suggestion is accepted: per catalogue language its best grounding sentence, each
    in its own language (a Swedish sentence is never an English definition: that one is the trainer's to write)."""
    drafts = dict(suggestion.get("definitions") or {})
    for p in suggestion["passages"]:  # a version computed before sentences were kept cites only the term
        drafts.setdefault(p["lang"], p.get("sentence") or p["text"])
    return {lang: text for lang, text in drafts.items() if lang in KNOWN_LANGUAGES}


def catalogue_labels(suggestion: dict) -> dict[str, str]:
    """A suggestion's labels in the languages a concept may have: a document detected as another language (so, he)
    still gets suggestions, but the catalogue holds none of its labels."""
    return {lang: label for lang, label in suggestion["labels"].items() if lang in KNOWN_LANGUAGES}


def written_aliases(suggestion: dict, catalogue: Catalogue, most: int = MAX_WRITTEN_ALIASES) -> dict[str, list[str]]:
    """Aliases to prefill when a suggestion is accepted: per catalogue language the forms its passages write the term
    in other than its label (kundeprosesser, kundeprosessene for the label kundeprosess), so that the concept is
    found and grounded where the corpus writes them; none another concept's label or alias already spells."""
    labels = catalogue_labels(suggestion)
    taken = {compact(fold(term.text)) for term in catalogue.all_terms()}
    found: dict[str, list[str]] = {}
    for p in suggestion["passages"]:
        lang, text = p["lang"], p["text"].strip()
        if lang not in labels or not text:
            continue
        forms = found.setdefault(lang, [])
        seen = {compact(fold(labels[lang])), *(compact(fold(f)) for f in forms)}
        if compact(fold(text)) not in seen | taken and len(forms) < most:
            forms.append(_as_label_case(text, labels[lang]))
    return {lang: forms for lang, forms in found.items() if forms}


def _as_label_case(text: str, label: str) -> str:
    """A form capitalised only where a sentence starts takes its label's case (Kundeprosessene: kundeprosessene)."""
    if label[:1].islower() and text[:1].isupper() and text[1:2].islower():
        return text[:1].lower() + text[1:]
    return text


def find(suggestions: Iterable[dict], suggestion_id: str) -> dict:
    """One suggestion by id; `NotFound` otherwise."""
    for s in suggestions:
        if s["id"] == suggestion_id:
            return s
    raise NotFound(f"no suggestion {suggestion_id!r}")
