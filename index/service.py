"""The one facade the web app and the CLIs call: search, documents, concepts, stats.

A `KnowledgeBase` serves one published version at a time; `refresh()` swaps in a newer one
atomically, so a request always sees a complete version.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np

from . import suggestions
from .bridge import Bridge
from .choices import MAX_K, MAX_QUERY_CHARS, MODES
from .config import Config
from .concepts.edit import ConceptChange, ahead, changed_concepts, check_change, check_expected, concept_body
from .concepts.lookup import EMBEDDING_TOP, NAMES_A_CONCEPT, term_languages
from .concepts.suggest import named_refs, sample_order
from .concepts import (
    Catalogue, ConceptIndex, Grounding, build_concept_index, check, lookup, to_markdown, to_skos_jsonld,
    to_turtle,
)
from .embedders import Embedder, get_embedder
from .embedders.base import QUERY_TOKEN_BUDGET, QueryText, fit_query
from .embedders.gate import EncoderGate
from .errors import EmbedderMismatch, InvalidQuery, KBError, NotFound
from .glosses import Lexicons, check_reader, gloss_text, lexicons, lookup_word, software_languages, split_deadline
from .highlight import Highlight, sentence_highlighter
from .language import (QUERY_LANGUAGES, UNKNOWN, QueryLanguage, detect_query, load_query_detector, normalize_lang,
                       query_detector)
from .ranking import RankingConfig, rank
from .citations import cited, line as citation_line
from .records import DocHead, Document
from .steering import steering_for
from .text import CodeBlocks
from .stores import Snapshot, open_store

log = logging.getLogger(__name__)

# A query waits for the encoder behind at most this many tokens of other queries' work (about 0.3 s on one
# core): two queries cut to the budget, with room beside them for short ones, which go first.
ENCODER_QUEUE_TOKENS = 2 * QUERY_TOKEN_BUDGET + 32
# The longest a query waits for its turn while shorter ones keep passing it.
ENCODER_WAIT_S = 5.0
# A document's glosses cover the chunks that begin within its first this many characters: glossing costs every
# reader of the page about 4 ms per 1,000 characters of text (a 300 KB document took 1.2 s a request, one of made-up
# compounds 3 s), and a page of 100,000 glossed words is not read word by word.
MAX_GLOSSED_CHARS = 60_000
# Documents whose passages tell whether a version's text in each language is software text (see `_software`).
SOFTWARE_SAMPLE = 200
SOFTWARE_PASSAGES_PER_DOCUMENT = 10  # its first ones: a long document's are judged like a short one's
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")


def _ui_lang(ui_lang: str | None) -> str:
    """The reader's language for concept cards when the query's is unsure; English by default."""
    if ui_lang in (None, ""):
        return "en"
    code = normalize_lang(ui_lang)
    if not _LANG_CODE.match(code):
        raise InvalidQuery(f"ui_lang must be a language code such as en or de, not {ui_lang!r}")
    return code


def _check_text(text: str, k: int) -> None:
    if not isinstance(text, str) or not text.strip():
        raise InvalidQuery("q must be a non-empty string")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"q is longer than {MAX_QUERY_CHARS} characters")
    if not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be between 1 and {MAX_K}")



def _described(doc: Document) -> dict:
    """A document's metadata as the API shows it, with what its citation says."""
    return {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "lang": doc.lang, "authors": doc.authors,
            "date": doc.date, "publisher": doc.publisher, "original_name": doc.original_name,
            "added_at": doc.added_at, "citation": cited(DocHead.of(doc))}


def _summary(doc: Document, chunks: int) -> dict:
    """A document's metadata as the API lists it (no text)."""
    return {**_described(doc), "chars": len(doc.text), "chunks": chunks}

@dataclass
class SearchResult:
    """One ranked passage with its provenance, best sentence and concepts."""

    rank: int
    score: float
    doc_id: str
    source: str
    title: str
    lang: str
    chunk_id: int
    ord: int
    start: int
    end: int
    text: str
    highlight: dict
    concepts: list[str]
    citation: dict  # its document's title, authors, date, publisher and language (`index.citations.cited`)
    code: list[list[int]] = field(default_factory=list)  # [start, end] of each piece of code in `text`


@dataclass
class SearchResponse:
    """A search's results plus the concept cards the query names."""

    query: str
    query_lang: str  # the language the search acted on: `und` when detection was unsure
    query_lang_confidence: float  # calibrated probability that query_lang_guess is right
    query_lang_guess: str
    mode: str
    took_ms: float
    results: list[SearchResult]
    concepts: list[dict] = field(default_factory=list)
    group: bool = False
    # Results among the best k whose score fell below the threshold (too weak to show).
    dropped: int = 0
    min_score: float = 0.0
    # What the encoder read: query[:query_encoded_chars], query_tokens model tokens (None: nothing was
    # encoded, mode lexical); query_truncated when that is less than the whole query.
    query_truncated: bool = False
    query_tokens: int | None = None
    query_encoded_chars: int | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready form, the shape of the HTTP API."""
        # Shallow: the fields are already plain values (dataclasses.asdict deep-copies, ~1 ms a search).
        return {**vars(self), "results": [dict(vars(r)) for r in self.results]}


@dataclass(frozen=True)
class DocumentGlosses:
    """A document's glosses (API dicts, offsets into its text), and how far into its text they reach."""

    glosses: list[dict]
    until: int  # the text's length where every chunk is glossed (see `MAX_GLOSSED_CHARS`)
    chunks: int  # how many of its chunks, from the first, are glossed


@dataclass
class _Loaded:
    snapshot: Snapshot
    catalogue: Catalogue
    concept_index: ConceptIndex
    languages: list[str]
    bridge: Bridge
    software: frozenset[str] | None = None  # languages whose passages read as software text (see `_software`)

    @functools.cached_property
    def concept_counts(self) -> dict[str, int]:
        """Grounded passages per concept, counted once per version (a pass over every passage's concepts)."""
        return self.snapshot.concept_counts()

    @functools.cached_property
    def summaries(self) -> tuple[dict, ...]:
        """Every document's metadata as listed, built once per version (0.5 s at 20,000 documents)."""
        chunk_counts = self.snapshot.chunk_counts()
        return tuple(_summary(d, chunk_counts.get(d.doc_id, 0)) for d in self.snapshot.documents())


T = TypeVar("T")
# Threads that stay, per process, for the part of a search that runs beside its encode (see `search`), as many as
# searches run at once: more than a server worker has request threads. A woken standing thread runs on an idle
# core; a thread started per search ran on its starter's.
_SEARCH_THREADS = 32
_standing: tuple[int, ThreadPoolExecutor] | None = None
_standing_lock = threading.Lock()


def _in_background(call: Callable[..., T], *args) -> Future[T]:
    """`call(*args)` on one of this process's standing threads (a forked server worker starts its own)."""
    global _standing
    with _standing_lock:
        if _standing is None or _standing[0] != os.getpid():
            _standing = (os.getpid(), ThreadPoolExecutor(_SEARCH_THREADS, thread_name_prefix="search"))
        return _standing[1].submit(call, *args)


class KnowledgeBase:
    """A read-only view of the newest sound version of an index directory."""

    def __init__(self, config: Config, ranking: RankingConfig = RankingConfig()) -> None:
        """Serve the index `config` names; `config.embedder`, when set, is the embedder it must be built with."""
        self.config = config
        self.index_dir = config.index_dir
        self.ranking = ranking
        self.min_score = config.min_score
        self.min_score_ratio = config.min_score_ratio
        self._wanted_embedder = config.embedder
        load_query_detector()  # seconds of model loading, overlapping the opening below
        self._lock = threading.Lock()
        self.encoder_gate = EncoderGate(ENCODER_QUEUE_TOKENS, ENCODER_WAIT_S)  # this process's turns on the encoder
        self._store = open_store(config)
        self._examined = self._store.current()
        self._state = self._load()

    def warm_up(self) -> None:
        """Load what the first search needs (query detector, encoder) now: a server does it before it forks its
        workers, which then share the memory, and so no request waits for it."""
        query_detector()
        get_embedder(self._state.snapshot.embedder)
        self._state.bridge.load(self._state.languages)

    def _load(self) -> _Loaded:
        previous = getattr(self, "_state", None)
        snapshot = self._store.snapshot(previous.snapshot if previous else None)
        if self._wanted_embedder and snapshot.embedder != self._wanted_embedder:
            raise EmbedderMismatch(
                f"the index in {self.index_dir} was built with {snapshot.embedder!r};"
                f" it cannot be queried with {self._wanted_embedder!r}"
            )
        catalogue = snapshot.catalogue()
        concept_index = snapshot.concept_index(catalogue)
        if concept_index is None and previous and previous.concept_index.is_fresh(catalogue, snapshot.embedder):
            concept_index = previous.concept_index  # a store without label vectors per version (PostgreSQL)
        if concept_index is None or not concept_index.is_fresh(catalogue, snapshot.embedder):
            # The catalogue changed since this version was built: embed its labels afresh, in memory.
            concept_index = build_concept_index(catalogue, get_embedder(snapshot.embedder))
        log.info("serving %s from %s", snapshot.version, self.index_dir)
        bridge = Bridge(self._lexicons, catalogue, snapshot.term_languages)
        return _Loaded(snapshot, catalogue, concept_index, sorted(snapshot.chunk_languages()), bridge)

    def refresh(self) -> bool:
        """Load a newer published version if there is one; True when it switched.

        A CURRENT that names a damaged version is examined once, not on every call. A thread that
        sees a newer CURRENT while another loads it waits for that load, so no request after a
        publish is answered from the older version.
        """
        pointer = self._store.current()
        if pointer in (self._state.snapshot.version, self._examined):
            return False
        with self._lock:
            if pointer in (self._state.snapshot.version, self._examined):
                return False
            try:
                fresh = self._load()
            finally:
                self._examined = pointer  # only once examined: a damaged version is not retried per request
            if fresh.snapshot.version == self._state.snapshot.version:
                return False
            self._state = fresh
        return True

    @property
    def version(self) -> str:
        """Name of the version being served."""
        return self._state.snapshot.version

    @property
    def embedder(self) -> Embedder:
        """The embedder the served index was built with."""
        return get_embedder(self._state.snapshot.embedder)

    @property
    def warnings(self) -> list[str]:
        """Problems met while opening (a damaged newer version that was skipped)."""
        return list(self._state.snapshot.warnings)

    def languages(self) -> list[str]:
        """Languages a `lang` filter can return: those of the indexed passages."""
        return list(self._state.languages)

    def _check(self, query: str, k: int, mode: str, lang: str | None) -> str | None:
        _check_text(query, k)
        if mode not in MODES:
            raise InvalidQuery(f"mode must be one of {', '.join(MODES)}")
        return None if lang in (None, "") else self._known_language(lang)

    def _known_language(self, lang: str) -> str:
        """A language tag's code where it is a query language or one of the passages' (InvalidQuery otherwise)."""
        code = normalize_lang(lang)
        if not _LANG_CODE.match(code) or (code not in QUERY_LANGUAGES and code not in self._state.languages):
            raise InvalidQuery(f"unknown language {lang!r}")
        return code

    def search(self, query: str, k: int = 10, lang: str | None = None, mode: str = "hybrid",
               group: bool = False, ui_lang: str | None = None, weak: bool = False) -> SearchResponse:
        """Rank passages for a query in any language; `lang` filters by passage language.

        Concept cards come in the query's language when it was detected with confidence, else in
        `ui_lang` (the reader's language), else in English. Results too weak to show (below
        `min_score`, or, ungrouped, below `min_score_ratio` of the best) are dropped and counted;
        with `weak`, a reader who asked for them sees them too.
        """
        started = time.perf_counter()
        lang = self._check(query, k, mode, lang)
        if not any(ch.isalnum() for ch in query):
            # Punctuation or emoji alone ("?", "🙂"): no word to match, and its vector would rank passages at random.
            return SearchResponse(query, UNKNOWN, 0.0, UNKNOWN, mode, round((time.perf_counter() - started) * 1000, 2),
                                  [], group=group, min_score=self.min_score)
        if mode == "lexical":  # lexical ranking reads the text only
            return self._search(started, query, k, lang, mode, group, ui_lang, weak, None, None)
        encoded = fit_query(self.embedder, query)
        # The one encode of a search runs on this thread, the rest of the search beside it on a standing one: the
        # encoder leaves the interpreter free, so what needs no vector (the language, the concept look-up's word
        # tiers, the lexical retrieval) runs meanwhile, and ranking and look-up wait for the vector where they need
        # it. This way round the encode starts at once; on a woken thread it waited about 1 ms for the interpreter,
        # which the search's own Python held.
        vector: Future[np.ndarray] = Future()
        rest = _in_background(self._search, started, query, k, lang, mode, group, ui_lang, weak, encoded,
                              vector.result)
        try:
            vector.set_result(self._encode(encoded))
        except BaseException as error:  # Overloaded: the rest stops where it waits for the vector
            vector.set_exception(error)
            raise
        return rest.result()

    def _search(self, started: float, query: str, k: int, lang: str | None, mode: str, group: bool,
                ui_lang: str | None, weak: bool, encoded: QueryText | None,
                vector: Callable[[], np.ndarray] | None) -> SearchResponse:
        """`search` with its checks done; `vector` waits for the query's vector (None in lexical mode)."""
        reader_lang = _ui_lang(ui_lang)
        state = self._state
        detected = self.query_language(query)
        query_lang = detected.lang
        card_lang = reader_lang if query_lang == UNKNOWN else query_lang
        # The embedding tier runs only when its matches could steer (cards never show them), on the search's vector.
        semantic = vector is not None and self.ranking.concept_min_score <= EMBEDDING_TOP
        matches = lookup(state.concept_index, query, k=3, semantic=semantic, query_lang=card_lang,
                         query_vector=vector() if semantic else None)
        steering = steering_for(matches, state.catalogue, query_lang, self.ranking.concept_min_score)
        # The passages shown score at least min_score and, ungrouped, the ratio of the best (the per-document cap
        # orders those): a page of documents for API clients has the absolute floor only.
        shown_floor = self.shown_floor(mode, weak)
        highlight_for = sentence_highlighter(query, query_lang)  # the query's side, before the wait for the vector
        ranked = rank(state.snapshot, query, vector, query_lang, mode, k, lang, group, self.ranking, steering,
                      shown_floor, state.bridge)
        floor = ranked.floor
        shown = [(c, s) for c, s in ranked.passages if s >= floor]
        results = self._results(state, shown, highlight_for)
        # Only a confident lexical match means the query names a concept; embedding neighbours do not.
        # A term the reader's language writes so too (lock-on, read as Swedish by its letters) is read in that language.
        cards = [self._card(state, m.id, reader_lang if m.term and reader_lang in term_languages(state.concept_index,
                                                                                                m.term) else card_lang)
                 for m in matches if m.via != "embedding" and m.score >= NAMES_A_CONCEPT][:2]
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query, query_lang, detected.confidence, detected.guess, mode, round(took, 2),
                              results, cards, group, len(ranked.passages) - len(shown), round(floor, 4),
                              encoded is not None and encoded.cut, encoded.tokens if encoded else None,
                              len(encoded.text) if encoded else None)

    def shown_floor(self, mode: str, weak: bool = False) -> tuple[float, float]:
        """(min_score, share of the best score) a passage needs to be shown: none in lexical mode, whose BM25 scores
        are on another scale than the thresholds were calibrated on, nor for a reader who asked for the weak ones."""
        return (self.min_score, self.min_score_ratio) if mode != "lexical" and not weak else (0.0, 0.0)

    def _encode(self, query: QueryText) -> np.ndarray:
        """The query's vector, encoded in its turn (`Overloaded` when the encoder has too much work queued)."""
        with self.encoder_gate.turn(query.tokens):
            return self.embedder.embed_queries([query.text])[0]

    def query_language(self, text: str) -> QueryLanguage:
        """A query's language as search detects it: `und` when unsure, with the calibrated confidence."""
        return detect_query(text, self._state.snapshot.words_by_lang)

    def _results(self, state: _Loaded, ranked: list[tuple[int, float]],
                 highlight_for: Callable[[str, str], Highlight]) -> list[SearchResult]:
        ids = [c for c, _ in ranked]
        snapshot = state.snapshot
        chunks = snapshot.chunks_by_id(ids)
        concepts = snapshot.concepts_by_chunk(ids)
        docs = snapshot.document_heads(list({c.doc_id for c in chunks.values()}))
        results = []
        for position, (chunk_id, score) in enumerate(ranked, start=1):
            chunk = chunks[chunk_id]
            doc = docs[chunk.doc_id]
            highlight = highlight_for(chunk.text, chunk.lang)
            results.append(SearchResult(
                rank=position, score=round(score, 4), doc_id=chunk.doc_id, source=doc.source, title=doc.title,
                lang=chunk.lang, chunk_id=chunk_id, ord=chunk.ord, start=chunk.start, end=chunk.end,
                text=chunk.text, highlight={"sentence": highlight.sentence, "start": highlight.start, "end": highlight.end},
                concepts=concepts.get(chunk_id, []), citation=cited(doc),
                code=CodeBlocks(doc.code).within(chunk.start, chunk.end),
            ))
        return results

    # -- glosses -----------------------------------------------------------------------------

    @functools.cached_property
    def _lexicons(self) -> Lexicons:
        return lexicons(self.config.dict_dir, self.config.cache_dir)

    def _software(self) -> frozenset[str]:
        """The languages whose passages in the served version read as software text (see `software_languages`),
        judged once per version on a sample of its documents: their words are glossed as software text reads them,
        alone too."""
        state = self._state
        if state.software is None:
            snapshot = state.snapshot
            try:
                sample = sample_order((s.doc_id for s in snapshot.document_states().values()), SOFTWARE_SAMPLE)
                passages = [(c.lang, c.text) for doc_id in sample
                            for c in snapshot.chunks_of(doc_id)[:SOFTWARE_PASSAGES_PER_DOCUMENT]]
            except KBError:  # its database unreachable: glossed as prose now, judged again on the next request
                return frozenset()
            state.software = software_languages(passages, self._lexicons)
        return state.software

    def glosses(self, text: str, lang: str, reader: str) -> list[dict]:
        """Glosses of a passage for a reader of en, de or fr: concept terms, then dictionary words (into English)."""
        return self.passage_glosses([{"text": text, "lang": lang}], reader)[0]

    def passage_glosses(self, passages: list[dict], reader: str) -> list[list[dict]]:
        """Glosses of each passage (`text`, `lang`, and `code` as search results have it: never glossed) of one
        answer, such as a page of results, within one budget."""
        reader = check_reader(reader)
        deadline = self._split_deadline(p["lang"] for p in passages)
        found, software = [], self._software()
        for p in passages:
            code = CodeBlocks(p.get("code") or ())
            found.append([g.to_dict() for g in gloss_text(code.blanked(p["text"]), p["lang"], reader,
                                                          self._state.catalogue, self._lexicons, deadline,
                                                          p["lang"] in software)
                          if not code.overlaps(g.start, g.end)])
        return found

    def document_glosses(self, document: dict, reader: str) -> DocumentGlosses:
        """Glosses of a document (as `document` returns it), chunk by chunk in each chunk's language, of its chunks
        that begin within its first `MAX_GLOSSED_CHARS` characters; its code is not glossed (identifiers are no words
        of the passage's language)."""
        reader, found, end = check_reader(reader), [], 0
        chunks = [c for c in document["chunks"] if c["start"] < MAX_GLOSSED_CHARS]
        deadline = self._split_deadline(chunk["lang"] for chunk in chunks)
        code = CodeBlocks(document.get("code") or ())
        software = self._software()
        for chunk in chunks:
            # Code is blanked, not glossed and dropped: its identifiers would spend the budget for splitting words.
            text = code.blanked(document["text"][chunk["start"]:chunk["end"]], chunk["start"])
            for g in gloss_text(text, chunk["lang"], reader, self._state.catalogue, self._lexicons, deadline,
                                chunk["lang"] in software):
                start, stop = chunk["start"] + g.start, chunk["start"] + g.end
                # Chunks overlap by a sentence: glossed once.
                if start >= end and not code.overlaps(start, stop):
                    found.append({**g.to_dict(), "start": start, "end": stop})
            end = max(end, chunk["end"], found[-1]["end"] if found else 0)
        whole = len(chunks) == len(document["chunks"])  # a first chunk starts at 0: none is cut off otherwise
        return DocumentGlosses(found, len(document["text"]) if whole else chunks[-1]["end"], len(chunks))

    def _split_deadline(self, langs: Iterable[str]) -> float:
        """One answer's budget for splitting words into compounds, counted once the lexicons it needs are loaded."""
        for lang in set(langs):
            self._lexicons.get(lang)
        return split_deadline()

    def glossary(self, term: str, lang: str, reader: str) -> list[dict]:
        """Every gloss of a word or term in a passage language, for a reader of en, de or fr."""
        if len(term) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"term is longer than {MAX_QUERY_CHARS} characters")
        code = self._known_language(lang)
        return [g.to_dict() for g in lookup_word(term, code, check_reader(reader), self._state.catalogue, self._lexicons,
                                                 split_deadline(), code in self._software())]

    def gloss_languages(self) -> dict[str, list[str]]:
        """Per passage language, the FreeDict dictionaries installed (empty: concept glosses only)."""
        return self._lexicons.available()

    # -- documents ---------------------------------------------------------------------------

    def documents(self) -> list[dict]:
        """Metadata of every document (no text)."""
        return [dict(d) for d in self._state.summaries]  # copies: a caller may add to its own

    def titles(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The titles of a few documents, those the served version holds."""
        return {doc_id: head.title for doc_id, head in self._state.snapshot.document_heads(list(doc_ids)).items()}

    def duplicate_of(self, content_hash: str, text_hash: str) -> dict | None:
        """Metadata of a document with these bytes or the same normalised text, or None."""
        snapshot = self._state.snapshot
        doc_id = snapshot.duplicate_of(content_hash, text_hash)
        doc = snapshot.document(doc_id) if doc_id else None
        return _summary(doc, len(snapshot.chunks_of(doc.doc_id))) if doc else None

    def document(self, doc_id: str) -> dict:
        """One document with its cleaned text and chunk boundaries."""
        snapshot = self._state.snapshot
        doc = snapshot.document(doc_id)
        if doc is None:
            raise NotFound(f"no document {doc_id!r}")
        chunks = snapshot.chunks_of(doc_id)
        return {
            **_described(doc), "content_hash": doc.content_hash, "text": doc.text,
            "code": [list(span) for span in doc.code],
            "chunks": [{"chunk_id": c.chunk_id, "ord": c.ord, "start": c.start, "end": c.end, "lang": c.lang,
                        "tokens": c.tokens} for c in chunks],
        }

    def passage(self, doc_id: str, ord: int) -> dict:
        """One passage by its document and position, with what its document's citation says and where its code lies
        (as search results have it); NotFound if unknown."""
        snapshot = self._state.snapshot
        head = snapshot.document_heads([doc_id]).get(doc_id)
        chunk = snapshot.chunk_at(doc_id, ord) if head else None
        if chunk is None:
            raise NotFound(f"no passage {ord} in document {doc_id!r}")
        return {"doc_id": doc_id, "ord": ord, "lang": chunk.lang, "text": chunk.text, "citation": cited(head),
                "code": CodeBlocks(head.code).within(chunk.start, chunk.end)}

    def stats(self) -> dict:
        """Counts, languages, version and embedder of the served index."""
        snapshot = self._state.snapshot
        manifest = snapshot.manifest
        return {
            "version": snapshot.version,
            "created": manifest.get("created"),
            "embedder": manifest["embedder"],
            "dim": manifest["dim"],
            "backend": manifest["backend"],
            "factory": manifest.get("factory"),
            "documents": manifest["documents"],
            "chunks": manifest["chunks"],
            # What a `lang` filter can return: passages per language (a passage's own language where
            # it was detected with confidence, else its document's).
            "languages": snapshot.chunk_languages(),
            "document_languages": snapshot.document_languages(),
            "language_bias_directions": int(len(snapshot.basis)),
            "warnings": list(snapshot.warnings),
        }

    def manifest(self) -> dict:
        """The served version's manifest."""
        return json.loads(json.dumps(self._state.snapshot.manifest))

    # -- concepts ----------------------------------------------------------------------------

    def _card(self, state: _Loaded, concept_id: str, lang: str = "en") -> dict:
        concept = state.catalogue.get(concept_id)
        return {
            "id": concept.id,
            "label": state.catalogue.label(concept.id, lang),
            "family": state.catalogue.family(concept.id),
            "definition": concept.definitions.get(lang) or concept.definition,
        }

    def catalogue(self) -> Catalogue:
        """The concept catalogue of the served version."""
        return self._state.catalogue

    def check_concept_change(self, change: ConceptChange, queued: Sequence[ConceptChange] = ()) -> list[str]:
        """Validate a trainer's change against the newest published catalogue as the `queued` changes will leave it
        (a concept whose addition is queued may be edited at once), and the version it was made on (If-Match) against
        the concept as they leave it too, the version its job will change: a second edit made on the version an
        edit still queued replaces is refused at once (412), not when its job runs. Domain errors name the concept
        and field. Returns the ids of the concepts it changes. Nothing is written: a job publishes it.

        The newest, not the one this request began with: a caller checking in the job queue's transaction (see
        ingest.jobs.submit) must see every change whose job is no longer queued, and a job is marked done only
        after its version is published."""
        self.refresh()
        if change.suggestion is not None:  # one suggestion becomes one concept: not decided on, not being accepted
            suggestions.check_open(change.suggestion["id"], self._store.decisions(),
                                   [q.suggestion["id"] for q in queued if q.suggestion is not None])
        before = ahead(self._state.catalogue, queued)
        if change.concept_id in before:
            check_expected(before, change)
        return changed_concepts(before, check_change(before, replace(change, expected=None)))

    def lookup(self, text: str, k: int = 5) -> list[dict]:
        """Free text in any language -> ranked concept matches, best first; a long text is cut as a search's is."""
        _check_text(text, k)
        fitted = fit_query(self.embedder, text)
        with self.encoder_gate.turn(fitted.tokens):  # the lookup may encode the text
            matches = lookup(self._state.concept_index, fitted.text, k=k, embedder=self.embedder)
        return [{"id": m.id, "label": m.label, "family": m.family, "score": round(float(m.score), 4), "via": m.via,
                 "term": m.term} for m in matches]

    def concepts(self) -> list[dict]:
        """Every concept with its labels, family and number of grounded passages."""
        state = self._state
        counts = state.concept_counts
        return [
            {**self._card(state, c.id), "labels": dict(c.labels), "broader": c.broader,
             "related": list(c.related), "contrasts": list(c.contrasts), "passages": counts.get(c.id, 0)}
            for c in state.catalogue
        ]

    def concept(self, concept_id: str, limit: int | None = None, offset: int = 0) -> dict:
        """One concept with every label, alias, relation and its grounded passages, best first: `limit` of them from
        `offset` (None: all), and how many there are (`passages_total`; a concept a corpus discusses everywhere
        grounds thousands)."""
        state = self._state
        if concept_id not in state.catalogue:
            raise NotFound(f"no concept {concept_id!r}")
        c = state.catalogue.get(concept_id)
        if limit == 0:  # the concept alone (a course pack's entry, a removal's confirmation)
            total, grounded = state.concept_counts.get(concept_id, 0), []
        else:
            everything = state.snapshot.groundings(concept_id)
            total, grounded = len(everything), everything[offset:None if limit is None else offset + limit]
        heads = state.snapshot.document_heads(list({r.doc_id for r in grounded}))
        return {
            **self._card(state, concept_id),
            "labels": dict(c.labels),
            "aliases": {k: list(v) for k, v in c.aliases.items()},
            "definitions": concept_body(c)["definitions"],
            "broader": c.broader,
            "narrower": state.catalogue.children(concept_id),
            "related": list(c.related),
            "contrasts": list(c.contrasts),
            "passages": [
                {"chunk_id": r.chunk_id, "doc_id": r.doc_id, "title": r.title, "source": r.source,
                 "lang": r.lang, "ord": r.ord, "score": round(r.score, 4), "via": r.via, "text": r.text,
                 "highlight": {"sentence": r.sentence, "start": r.start, "end": r.end},
                 "citation": cited(heads[r.doc_id])}
                for r in grounded
            ],
            "passages_total": total,
        }

    def _groundings(self, state: _Loaded) -> dict[str, list[Grounding]]:
        found: dict[str, list[Grounding]] = {}
        for r in state.snapshot.groundings():
            found.setdefault(r.concept_id, []).append(Grounding(
                concept_id=r.concept_id, chunk_id=r.chunk_id, doc_id=r.doc_id, lang=r.lang,
                score=r.score, via=r.via, sentence=r.sentence, start=r.start, end=r.end))
        return found

    def ungrounded_concepts(self) -> list[str]:
        """Concepts with no supporting passage in the served version."""
        state = self._state
        return check(state.catalogue, self._groundings(state))

    def export_concepts(self, fmt: str = "skos-jsonld") -> str:
        """The catalogue as SKOS (JSON-LD or Turtle), or as Markdown with the grounded passages cited."""
        state = self._state
        if fmt == "skos-jsonld":
            return json.dumps(to_skos_jsonld(state.catalogue), ensure_ascii=False, indent=2)
        if fmt == "skos-turtle":
            return to_turtle(state.catalogue)
        if fmt == "markdown":
            sources = {d.doc_id: citation_line(cited(DocHead.of(d))) for d in state.snapshot.documents()}
            return to_markdown(state.catalogue, self._groundings(state), sources)
        raise InvalidQuery("format must be skos-jsonld, skos-turtle or markdown")

    # -- suggested concepts ------------------------------------------------------------------

    def _suggestions(self) -> list[dict]:
        state = self._state
        cached = self.__dict__.get("_suggestions_of")
        if cached is None or cached[0] != state.snapshot.version:
            cached = (state.snapshot.version, state.snapshot.suggestions())
            self.__dict__["_suggestions_of"] = cached
        return cached[1]

    def _with_titles(self, found: list[dict]) -> list[dict]:
        heads = self._state.snapshot.document_heads(list({d["doc_id"] for s in found for d in s["documents"]}))
        return [{**s, "documents": [{**d, "title": heads[d["doc_id"]].title} for d in s["documents"]
                                    if d["doc_id"] in heads]} for s in found]

    def suggestions(self, doc_id: str | None = None) -> list[dict]:
        """Suggested concepts no trainer has decided on, best first; those of one document (best there first)."""
        if doc_id is not None:
            self.document(doc_id)  # NotFound for an unknown document
        found = suggestions.pending(self._suggestions(), self._store.decisions(), doc_id,
                                    named_refs(self._state.catalogue))
        if doc_id is not None:
            found = sorted(found, key=lambda s: -next(d["score"] for d in s["documents"] if d["doc_id"] == doc_id))
        return self._with_titles(found)

    def suggestion(self, suggestion_id: str) -> dict:
        """One suggestion of the served version with the decision taken on it, if any (`NotFound` otherwise)."""
        found = suggestions.find(self._suggestions(), suggestion_id)
        return {**self._with_titles([found])[0], "decision": self._store.decisions().get(suggestion_id)}

    def decide(self, suggestion: dict, status: str, concept_id: str | None = None) -> dict:
        """Record a trainer's decision on a suggestion (accepted, dismissed) where the index keeps them."""
        return self._store.decide(suggestion, status, concept_id)
