"""OpenAPI 3.1 description of the JSON API; the tests hold the server's answers to it."""
from __future__ import annotations

import functools

from index.citations import FORMATS
from index.concepts.catalogue import KNOWN_LANGUAGES
from index.concepts.edit import ACTIONS, FIELDS, MAX_ALIASES, MAX_DEFINITION_CHARS, MAX_ID_CHARS, MAX_LABEL_CHARS, MAX_LINKS, READ_ONLY
from index.docmeta import MAX_AUTHORS, MAX_CHARS as MAX_META_CHARS
from index.embedders.base import QUERY_TOKEN_BUDGET
from index.glosses import READER_LANGUAGES
from index.language import ALIASES
from index.service import MAX_K, MAX_QUERY_CHARS, MODES
from ingest.jobs.base import KINDS, STAGES, STATES

from .params import (CONCEPT_PASSAGES, IF_MATCH as IF_MATCH_PATTERN, LANG_TAG as LANG_TAG_PATTERN,
                     MAX_CONCEPT_PASSAGES, MAX_LIST_PAGE, MAX_OFFSET, PATH_CONTROLS, TEXT_CONTROLS)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """A closed object whose properties are all required except `optional`."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
NULLABLE_STR = {"type": ["string", "null"]}
PATH_TEXT = {"type": "string", "minLength": 1, "pattern": f"^[^{PATH_CONTROLS}]*$"}  # see webapp/params.py
LANG_TAG = {"type": "string", "pattern": f"^{LANG_TAG_PATTERN}$"}  # a language code, optional region
STR_LIST = _array(STR)
LANG_MAP = {"type": "object", "additionalProperties": STR}
COUNTS = {"type": "object", "additionalProperties": INT}
# A list that grows with the corpus, whole or a page at a time (webapp/params.py: page_of_list).
PAGE_FIELDS = {
    "total": {"type": "integer", "minimum": 0, "description": "How many the whole list holds."},
    "offset": {"type": "integer", "minimum": 0, "description": "How many were skipped."},
    "limit": {"type": ["integer", "null"], "minimum": 1, "description": "The page size asked for; null: the rest."},
}


def _concept_body() -> dict:
    """What POST and PUT /api/concepts take: the editable part of GET /api/concepts/{concept_id}."""
    langs = {"enum": sorted(KNOWN_LANGUAGES)}
    label = {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS, "pattern": "\\S"}
    definition = {"type": "string", "minLength": 1, "maxLength": MAX_DEFINITION_CHARS, "pattern": "\\S"}
    ids = {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_LINKS}
    editable = {
        "id": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": MAX_ID_CHARS,
               "description": "Kebab-case; on PUT it may be left out and must otherwise be the path's id."},
        "labels": {"type": "object", "propertyNames": langs, "additionalProperties": label, "required": ["en"],
                   "description": "One preferred label per language; English is required. A label or alias names "
                                  "one concept per language."},
        "aliases": {"type": "object", "propertyNames": langs,
                    "additionalProperties": {"type": "array", "items": label, "maxItems": MAX_ALIASES}},
        "definitions": {"type": "object", "propertyNames": langs, "additionalProperties": definition,
                        "required": ["en"], "description": "Definitions per language; English is required."},
        "broader": {"type": ["string", "null"], "minLength": 1,
                    "description": "The id of the broader concept (no cycles), or null for a top concept."},
        "related": ids,
        "contrasts": ids,
    }
    assert tuple(editable) == FIELDS
    return {"type": "object", "required": ["labels", "definitions"], "additionalProperties": False,
            "properties": {**editable, **{name: {"description": "Read-only (as GET answers it); ignored."}
                                          for name in READ_ONLY}}}


DATE = {"type": ["string", "null"], "pattern": "^\\d{4}(-\\d{2}(-\\d{2})?)?$",
        "description": "ISO 8601, partial allowed: YYYY, YYYY-MM or YYYY-MM-DD."}
DOCUMENT_META = {
    "authors": STR_LIST, "date": DATE, "publisher": {**NULLABLE_STR, "description": "Publisher, or the periodical or "
                                                                                     "site the document appeared in."},
    "original_name": {**NULLABLE_STR, "description": "The file name the document came with (an upload's own name)."},
}


def _metadata_body() -> dict:
    """What PATCH /api/documents/{doc_id} takes, and the fields an upload's form may add."""
    text = {"type": ["string", "null"], "maxLength": MAX_META_CHARS}
    return {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": MAX_META_CHARS},
        "authors": {"oneOf": [{"type": "array", "items": {"type": "string", "maxLength": MAX_META_CHARS},
                               "maxItems": MAX_AUTHORS},
                              {"type": "string", "description": "Names separated by ';'."}, {"type": "null"}]},
        "date": {**DATE, "description": "ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD (a time after it is dropped); "
                                        "null clears it."},
        "publisher": text,
        "language": {"type": "string", "pattern": "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
                     "description": "ISO 639 code (sv, nb, nl, ...)."},
    }}


# A write job as the API shows it (ingest.jobs.base.Job.to_dict).
JOB_FIELDS = {
    "id": STR, "kind": {"enum": list(KINDS)}, "state": {"enum": list(STATES)}, "stage": {"enum": list(STAGES)},
    "progress": _object({"done": {"type": "integer", "minimum": 0}, "total": {"type": "integer", "minimum": 0}}),
    "doc_id": NULLABLE_STR, "file_name": NULLABLE_STR, "version": NULLABLE_STR, "duplicate": {"type": "boolean"},
    "error": {"oneOf": [{"type": "null"}, _object({"code": STR, "message": STR})]},
    "attempts": {"type": "integer", "minimum": 0},
    "concept": {"oneOf": [{"type": "null"}, _object({"action": {"enum": list(ACTIONS)}, "id": STR})],
                "description": "A concept job's change; null for uploads and deletions."},
    "metadata": {"oneOf": [{"type": "null"}, {"type": "object"}],
                 "description": "The metadata an upload was given or a metadata job sets (title, authors, "
                                "date, publisher, lang); null for other jobs."},
    "created": STR, "started": NULLABLE_STR, "finished": NULLABLE_STR,
}

SCHEMAS = {
    "Error": _object({"error": _object({"code": STR, "message": STR, "request_id": STR}, optional=("request_id",))}),
    "Highlight": _object({"sentence": STR, "start": INT, "end": INT}),
    "ConceptCard": _object({"id": STR, "label": STR, "family": STR, "definition": STR}),
    "Gloss": _object({
        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}, "term": STR,
        "gloss": STR, "lang": {"enum": list(READER_LANGUAGES)},
        "source": {"type": "string",
                   "pattern": "^(concept:.+|freedict:[a-z]{3}-[a-z]{3}|function-words|common-words|english)$",
                   "description": "concept:<id> (the concept's label in the reader's language, English where it "
                                  "has none), freedict:<dictionary> (a FreeDict dictionary; always English, for "
                                  "every reader), function-words (the passage language's list of its function "
                                  "words, which FreeDict lists few of), common-words (its list of common word "
                                  "forms with the sense most often meant, where FreeDict's first sense is another) "
                                  "or english (the word is English already)."},
        "senses": {"type": "array", "items": STR,
                   "description": "The dictionary's other senses of the word, best first (the best is `gloss`); "
                                  "may be empty."},
        "parts": {"type": "array", "items": STR,
                  "description": "A compound the dictionaries do not list: its parts as glossed, modifier first "
                                 "(marknadssegment: market, segment; the gloss is \"market segment\"); else empty."},
    }, optional=("senses", "parts")),
    "Citation": _object({
        "doc_id": STR, "title": STR, "authors": STR_LIST, "date": DATE, "publisher": NULLABLE_STR,
        "lang": STR, "language": {**STR, "description": "The language's English name."},
        "url": {**STR, "format": "uri", "description": "The document's public link: KB_PUBLIC_URL (else the URL the "
                                                       "request came in on) and /documents/{doc_id}."},
        "text": {**STR, "description": "The citation in one line."},
    }),
    "SearchResult": _object({
        "rank": INT, "score": NUM, "doc_id": STR, "source": STR, "title": STR, "lang": STR, "chunk_id": INT,
        "ord": INT, "start": INT, "end": INT, "text": STR, "highlight": _ref("Highlight"), "concepts": STR_LIST,
        "citation": _ref("Citation"), "code": _array(_ref("CodeSpan")), "glosses": _array(_ref("Gloss")),
    }, optional=("glosses",)),
    "CodeSpan": {"type": "array", "items": INT, "minItems": 2, "maxItems": 2,
                 "description": "[start, end) of a block of code in text, kept as written (never glossed)"},
    "SearchResponse": _object({
        "query": STR, "query_lang": STR, "query_lang_confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "query_lang_guess": STR, "mode": {"enum": list(MODES)}, "took_ms": NUM,
        "results": _array(_ref("SearchResult")), "concepts": _array(_ref("ConceptCard")),
        "group": {"type": "boolean", "description": "One passage per document, with the document's score."},
        "dropped": {"type": "integer", "minimum": 0,
                    "description": "Results among the best k left out because they scored below min_score."},
        "min_score": {"type": "number", "description": "The server's threshold (KB_MIN_SCORE) for this mode."},
        "query_truncated": {"type": "boolean", "description": "The encoder read only the first query_encoded_chars "
                                                              "characters: the query is longer than its token budget."},
        "query_tokens": {"type": ["integer", "null"], "minimum": 1,
                         "description": "Model tokens the encoder read (role prefix and special tokens included); "
                                        "null when nothing was encoded (mode lexical)."},
        "query_encoded_chars": {"type": ["integer", "null"], "minimum": 0,
                                "description": "query[:query_encoded_chars] is the text the encoder read; null in "
                                               "mode lexical. Lexical matching and language detection read the "
                                               "whole query."},
    }),
    "LookupMatch": _object({"id": STR, "label": STR, "family": STR, "score": NUM, "via": STR,
                            "term": {**NULLABLE_STR, "description": "The label or alias the text matched, as the "
                                     "catalogue writes it; null for a concept close in meaning only (via embedding)."}}),
    "LookupResponse": _object({"query": STR, "matches": _array(_ref("LookupMatch"))}),
    "ConceptSummary": _object({
        "id": STR, "label": STR, "family": STR, "definition": STR, "labels": LANG_MAP, "broader": NULLABLE_STR,
        "related": STR_LIST, "contrasts": STR_LIST, "passages": {"type": "integer", "minimum": 0},
    }),
    "ConceptList": _object({"concepts": _array(_ref("ConceptSummary"))}),
    "GroundedPassage": _object({
        "chunk_id": INT, "doc_id": STR, "title": STR, "source": STR, "lang": STR, "ord": INT, "score": NUM,
        "via": STR, "text": STR, "highlight": _ref("Highlight"), "citation": _ref("Citation"),
    }),
    "Concept": _object({
        "id": STR, "label": STR, "family": STR, "definition": STR, "labels": LANG_MAP,
        "aliases": {"type": "object", "additionalProperties": STR_LIST}, "definitions": LANG_MAP,
        "broader": NULLABLE_STR, "narrower": STR_LIST, "related": STR_LIST, "contrasts": STR_LIST,
        "passages": _array(_ref("GroundedPassage")),
        "passages_total": {"type": "integer", "minimum": 0,
                           "description": "How many passages ground the concept; `passages` is a page of them."},
    }),
    "DocumentSummary": _object({
        "doc_id": STR, "title": STR, "source": STR, "lang": STR, **DOCUMENT_META, "chars": INT,
        "chunks": INT, "added_at": NULLABLE_STR, "citation": _ref("Citation"),
    }),
    "DocumentList": _object({"documents": _array(_ref("DocumentSummary")), **PAGE_FIELDS}),
    "Chunk": _object({"chunk_id": INT, "ord": INT, "start": INT, "end": INT, "lang": STR, "tokens": INT}),
    "Document": _object({
        "doc_id": STR, "title": STR, "source": STR, "lang": STR, **DOCUMENT_META, "content_hash": STR,
        "added_at": NULLABLE_STR, "citation": _ref("Citation"), "text": STR,
        "code": _array(_ref("CodeSpan")), "chunks": _array(_ref("Chunk")), "glosses": _array(_ref("Gloss")),
        "glossed_until": {"type": "integer", "minimum": 0,
                          "description": "With glosses: the offset they reach (the passages that begin within the "
                                         "first 60,000 characters are glossed); the text's length where all are."},
    }, optional=("glosses", "glossed_until")),
    "DocumentMetadata": _metadata_body(),
    "Glossary": _object({"term": STR, "lang": STR, "to": {"enum": list(READER_LANGUAGES)},
                         "glosses": _array(_ref("Gloss"))}),
    "Stats": _object({
        "version": STR, "created": NULLABLE_STR, "embedder": STR, "dim": INT, "backend": STR,
        "factory": NULLABLE_STR, "documents": INT, "chunks": INT, "languages": COUNTS,
        "document_languages": COUNTS, "language_bias_directions": INT,
        "warnings": STR_LIST,
    }),
    "Job": _object(JOB_FIELDS),
    "JobList": _object({"jobs": _array(_ref("Job")), "runner": _ref("Runner")}),
    "Runner": _object({"alive": {"type": "boolean", "description": "A job runner holds the index: without one, "
                                                                     "queued jobs wait until it is started."}}),
    "JobStatus": _object({**JOB_FIELDS, "runner": _ref("Runner")}),
    "UploadAccepted": _object({
        "duplicate": {"type": "boolean"},
        "document": {"oneOf": [{"type": "null"}, _ref("DocumentSummary")]},
        "job": {"oneOf": [{"type": "null"}, _ref("Job")]},
    }),
    "DeleteAccepted": _object({"job": _ref("Job")}),
    "MetadataAccepted": _object({"job": _ref("Job")}),
    "ConceptAccepted": _object({"job": _ref("Job"), "concepts": {
        **STR_LIST, "description": "Ids of the concepts the change adds, changes or removes (links dropped included)."}}),
    "ConceptBody": _concept_body(),
    "NewConcept": {**_concept_body(), "required": ["id", "labels", "definitions"],
                   "description": "A concept to add (POST): its id is required."},
    "Suggestion": _object({
        "id": STR,
        "labels": {**LANG_MAP, "description": "The suggestion's term per language, as the corpus writes it."},
        "score": {**NUM, "description": "How characteristic the term is of its best document (higher: more)."},
        "terms": _array(_object({"lang": STR, "label": STR, "ref": {**STR, "description": "lang:stems, the "
                                 "term's identity"}, "count": INT})),
        "documents": _array(_object({"doc_id": STR, "score": NUM, "title": STR})),
        "passages": {**_array(_object({"chunk_id": INT, "doc_id": STR, "lang": STR, "start": INT, "end": INT,
                                       "text": STR, "sentence": {**STR, "description": "The whole sentence around "
                                                                 "the term (versions before 2026-12 lack it)."}},
                                      optional=("sentence",))),
                     "minItems": 1, "description": "Where the terms occur, the sentence that best explains each term "
                                                   "first: text == chunk text[start:end]."},
        "definitions": {**LANG_MAP, "description": "Per language, the best grounding sentence: the definition "
                                                   "accepting drafts (versions before 2026-12 lack it)."},
        "decision": {"description": "Only on GET /api/suggestions/{suggestion_id}: the trainer's decision, if any.",
                     "oneOf": [{"type": "null"}, _object({
                         "status": {"enum": ["accepted", "dismissed"]}, "refs": STR_LIST,
                         "concept_id": NULLABLE_STR, "at": STR})]},
    }, optional=("decision", "definitions")),
    "SuggestionList": _object({"version": STR, "doc_id": NULLABLE_STR, "suggestions": _array(_ref("Suggestion")),
                               **PAGE_FIELDS}),
    "SuggestionAccepted": _object({"job": _ref("Job"), "concepts": STR_LIST, "concept": _ref("ConceptBody"),
                                   "suggestion": _ref("Suggestion")}),
    "SuggestionEdits": {**_concept_body(), "required": [],
                        "description": "Edits of the concept the suggestion becomes: labels default to the "
                                       "suggestion's, one per language, definitions to its best grounding sentence "
                                       "in each language; a language given replaces its default. English is never "
                                       "made up: without an English term or sentence, labels.en and definitions.en "
                                       "are required (400 naming them, with the dictionary's gloss to check)."},
    "Health": _object({
        "status": {"enum": ["ok", "degraded"], "description": "degraded: reads work, but see reasons"},
        "reasons": _array(_object({"code": {"enum": ["disk_full", "index_read_only", "index_damaged", "runner_down",
                                                     "runner_stalled"]},
                                   "message": STR})),
        "version": STR, "embedder": STR, "documents": INT, "chunks": INT,
        "concepts": INT, "languages": STR_LIST, "writes_enabled": {"type": "boolean"},
        "jobs_pending": {"type": ["integer", "null"], "description": "writes queued or running (a backlog grows while "
                                                                      "the runner is busy or down); null without "
                                                                      "writes, or while the queue cannot be read"},
        "warnings": STR_LIST,
    }),
}


def _param(name: str, schema: dict, description: str, required: bool = False, where: str = "query",
           example: str | None = None) -> dict:
    param = {"name": name, "in": where, "required": required or where == "path", "schema": schema,
             "description": description}
    return param | ({"example": example} if example else {})


LIST_PAGE = (
    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIST_PAGE},
           "At most this many (absent: all from offset on)."),
    _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
           "How many to skip (`total` says how many there are)."),
)
GLOSSES = _param("glosses", {"type": "string", "enum": list(READER_LANGUAGES)},
                 "Add glosses for a reader of this language (offsets into the text): concept terms get the "
                 "concept's label in it, other content words an English FreeDict gloss where one is found.")
# Not blank, and no control characters other than tab, newline and carriage return (see webapp/params.py).
TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
        "pattern": f"^[^{TEXT_CONTROLS}]*[^\\s{TEXT_CONTROLS}][^{TEXT_CONTROLS}]*$"}
Q = _param("q", TEXT,
           "Free text in any language (up to 1,000 characters, not blank, no control characters); the encoder "
           f"reads its first {QUERY_TOKEN_BUDGET} model tokens (see query_truncated).", required=True,
           example="customer lock-on")


def _lang(languages: tuple[str, ...], description: str = "", required: bool = False) -> dict:
    """A language parameter: a tag whose language is one the server knows (any case, optional region)."""
    codes = sorted({*languages, *(alias for alias, code in ALIASES.items() if code in languages)})
    either_case = "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in code) for code in codes)
    schema = {"type": "string", "pattern": f"^(?:{either_case})(?:[-_][A-Za-z0-9]{{1,8}}){{0,3}}$"}
    return _param("lang", schema, description or f"Only passages in this language: {', '.join(codes)} (ISO 639-1, e.g. "
                  "sv or sv-SE); a language without passages gives no results. Other codes are a 400.", required)


def _k(default: int) -> dict:
    return _param("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": default},
                  "How many results to return.")


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _json("Error", "A parameter is missing, malformed or out of range."),
    "404": _json("Error", "No such id."),
    "503": {**_json("Error", "No index is available, or (code store_unavailable, with Retry-After) its database "
                             "cannot be reached."),
            "headers": {"Retry-After": {"description": "Seconds to wait (store_unavailable only).", "schema": STR}}},
    "default": _json("Error", "Any other error, always as JSON."),
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": STR}}
BUSY = {
    "429": {**_json("Error", "Too many searches from this client at once or per second (the front's per-client "
                             "limits, KB_SEARCH_RATE, KB_SEARCH_BURST, KB_SEARCH_CONNECTIONS)."),
            "headers": RETRY_AFTER},
    "503": {**_json("Error", "No index is available, its database cannot be reached, or (code overloaded, with "
                             "Retry-After) the query encoder has too much work queued."),
            "headers": RETRY_AFTER},
}
# The front (nginx) refuses request lines over 32 KB itself, as JSON; no request the spec allows is that long.
URI_TOO_LONG = _json("Error", "Request line longer than 32 KB.")


def _get(summary: str, ok: dict, parameters: tuple = (), errors: tuple[str, ...] = ("503",)) -> dict:
    responses = {"200": ok, **{code: ERRORS[code] for code in errors}}
    responses |= {"414": URI_TOO_LONG, "default": ERRORS["default"]}
    return {"get": {"summary": summary, "parameters": list(parameters), "responses": responses}}


def _trainer_get(operation: dict) -> dict:
    """A GET only a trainer may make: the admin token (or a trainer's session cookie, in the browser)."""
    operation["get"]["security"] = SECURITY
    operation["get"]["responses"] |= {code: WRITE_ERRORS[code] for code in ("401", "403")}
    return operation


def _costly(operation: dict) -> dict:
    """A GET that encodes its query: refused (with Retry-After) while its client or the encoder is too busy."""
    operation["get"]["responses"] |= BUSY
    return operation


SECURITY = [{"bearer": []}]
WRITE_ERRORS = {
    "401": {**_json("Error", "No admin token was sent."),
            "headers": {"WWW-Authenticate": {"description": "Bearer", "schema": STR}}},
    "403": _json("Error", "Writes are switched off on this server (code writes_disabled), or the token is wrong."),
    "503": {**_json("Error", "No index is available, or the write cannot be accepted now: the index database cannot "
                             "be reached (store_unavailable), the index directory's disk is below KB_MIN_FREE_MB "
                             "(disk_full) or the directory cannot be written (index_read_only). A stopped job runner "
                             "refuses nothing: the job waits in the queue."),
            "headers": {"Retry-After": {"description": "Seconds to wait before sending the write again.",
                                        "schema": STR}}},
    "429": {**_json("Error", "KB_MAX_PENDING_JOBS writes are queued or running already (code queue_full): "
                             "nothing was queued; retry after Retry-After seconds."),
            "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}},
    "413": _json("Error", "The JSON body is larger than 1 MB (or the request than KB_MAX_UPLOAD_MB)."),
}
LOCATION = {"Location": {"description": "The job to follow: /api/jobs/{job_id}.", "schema": STR}}


def _upload() -> dict:
    """POST /api/documents."""
    responses = {
        "202": {**_json("UploadAccepted", "The file was checked and queued (duplicate is false): follow the job."),
                "headers": LOCATION},
        "200": {**_json("UploadAccepted", "The same content is already indexed (document) or queued (job); "
                                          "duplicate is true and nothing new was queued."),
                "headers": LOCATION},
        "400": _json("Error", "No file field, an empty file, a binary or unreadable file, or one without text; "
                              "code invalid_metadata: a malformed title, authors, date, publisher or language "
                              "(the message names it)."),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "413": _json("Error", "The upload is larger than KB_MAX_UPLOAD_MB."),
        "415": _json("Error", "The file type is not one of .txt, .md, .html, .pdf, .docx."),
        "429": WRITE_ERRORS["429"],
        "507": _json("Error", "The disk of the index directory is full (code insufficient_storage): nothing was "
                              "queued or kept; the message names the folder."),
        "503": {**WRITE_ERRORS["503"], "description": WRITE_ERRORS["503"]["description"] + " Or (code overloaded, with "
                "Retry-After) this worker is checking another upload (one at a time) and one more already waits its "
                "turn, or the waiting one waited 30 s."},
        "default": ERRORS["default"],
    }
    optional = "Optional; what is not given comes from the file's own properties (DOCX core properties, PDF " \
               "document info, HTML <meta> tags) or, for a title, its first heading or line."
    body = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "The document: .txt, .md, .html, .pdf or .docx; its name picks the loader."},
        "title": {"type": "string", "maxLength": MAX_META_CHARS, "description": optional},
        "authors": {"type": "string", "description": "Authors separated by ';' (or the field repeated). " + optional},
        "date": {"type": "string", "description": "ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD. " + optional},
        "publisher": {"type": "string", "maxLength": MAX_META_CHARS, "description": optional},
        "language": {"type": "string", "description": "ISO 639 code; default: detected from the text."},
    }}
    return {"post": {
        "summary": "Add a document (needs the admin token)",
        "description": "Checked at once (type, parse, duplicate by content hash), then queued as a job that the job "
                       "runner embeds and publishes as a new index version; GET the Location to follow it. "
                       "Answers 403 writes_disabled when the server has no KB_ADMIN_TOKEN.",
        "security": SECURITY,
        "requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": body, "encoding": {"file": {"contentType": "application/octet-stream"}}}}},
        "responses": responses,
    }}


def _delete() -> dict:
    """DELETE /api/documents/{doc_id}."""
    responses = {
        "202": {**_json("DeleteAccepted", "The removal was queued (or one already was): follow the job."),
                "headers": LOCATION},
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "404": ERRORS["404"],
        "414": URI_TOO_LONG,
        "429": WRITE_ERRORS["429"],
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    return {"delete": {
        "summary": "Remove a document (needs the admin token)",
        "description": "Queued as a job; when it is done, the document and its stored upload are gone.",
        "security": SECURITY,
        "parameters": [DOC_ID],
        "responses": responses,
    }}


def _edit_metadata() -> dict:
    """PATCH /api/documents/{doc_id}."""
    responses = {
        "202": {**_json("MetadataAccepted", "The change was checked and queued: follow the job; once done, every read "
                                          "(documents, search results, citations, exports) shows it."),
                "headers": LOCATION},
        "400": _json("Error", "Code invalid_metadata: an unknown field, a malformed date or language, an empty "
                              "title; code invalid_json: the body does not parse."),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "404": ERRORS["404"],
        "413": WRITE_ERRORS["413"],
        "414": URI_TOO_LONG,
        "415": _json("Error", "The body is not JSON (Content-Type: application/json)."),
        "429": WRITE_ERRORS["429"],
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    return {"patch": {
        "summary": "Change a document's title, authors, date, publisher or language (needs the admin token)",
        "description": "Only the fields sent change (null or [] clears authors, date or publisher). Queued as a job; "
                       "the text and its vectors stay as they are.",
        "security": SECURITY,
        "parameters": [DOC_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("DocumentMetadata")}}},
        "responses": responses,
    }}


# CSL-JSON is a JSON array of references; the other formats are text.
PACK_TYPES = {mimetype: {"schema": {"type": "array", "items": {"type": "object"}} if fmt == "csl-json" else STR}
              for fmt, (mimetype, _) in FORMATS.items()}
# The keys webapp/citations.py accepts, comma-separated (blanks and empty keys between them are skipped; the
# control characters other than tab, newline and carriage return are refused: items is pasted text, as q is).
_PACK_KEY = r"(passage:[0-9a-f]{1,64}:[0-9]{1,6}(:[0-9]{1,7}-[0-9]{1,7})?|concept:[A-Za-z0-9_.-]{1,100})"
_BLANK = r"[ \t\n\r]"
PACK_ITEMS = rf"^[ \t\n\r,]*{_PACK_KEY}({_BLANK}*,[ \t\n\r,]*{_PACK_KEY})*[ \t\n\r,]*$"


def _pack() -> dict:
    """GET /api/pack."""
    items = _param("items", {"type": "string", "pattern": PACK_ITEMS},
                   "Comma-separated item keys, in order: passage:<doc_id>:<ord>[:<start>-<end>] (a passage, the "
                   "highlighted sentence's offsets into it) or concept:<id>.", required=True,
                   example="passage:7d0f6757e4f3c3b7:2,concept:customer-intimacy")
    fmt = _param("format", {"type": "string", "enum": list(FORMATS), "default": next(iter(FORMATS))},
                 "markdown and html: the items with their citations and a reference list; csl-json, ris and "
                 "bibtex: one reference per cited document, for a reference manager.")
    operation = _get("A course pack as Markdown, HTML, CSL-JSON, RIS or BibTeX",
                     {"description": "The export, as an attachment (UTF-8); links use KB_PUBLIC_URL.",
                      "content": PACK_TYPES}, (items, fmt), ("400", "404", "503"))
    return operation


CONCEPT_ID = _param("concept_id", PATH_TEXT, "Concept id.", where="path", example="customer-intimacy")
IF_MATCH = _param("If-Match", {"type": "string", "pattern": IF_MATCH_PATTERN}, "The concept's ETag as GET /api/concepts/{concept_id} gave it: the change is "
                   "refused (412) if the concept changed since, when queued or when its job runs; * or none: any "
                   "version.", where="header", example='"3f1c0a9b2d7e4f5a6b8c"')
CONCEPT_ERRORS = {
    "400": _json("Error", "The concept is malformed or would break the catalogue (code invalid_concept: a missing "
                          "English label or definition, an unknown language, field or referenced id, a broader "
                          "cycle); the message names the concept and the field. Code invalid_json: the body does "
                          "not parse or nests deeper than 32 levels."),
    "409": _json("Error", "The change clashes with the catalogue (code concept_conflict: the id exists, a label or "
                          "alias already names another concept in that language, the concept has narrower ones)."),
}


def _concept_write(method: str, summary: str, description: str, with_body: bool, path_id: bool) -> dict:
    """POST /api/concepts, PUT and DELETE /api/concepts/{concept_id}: validated now, applied by a job."""
    responses = {
        "202": {**_json("ConceptAccepted", "The change is valid and queued (or the same change already was): "
                                           "follow the job; once done, the served catalogue has it."),
                "headers": LOCATION},
        **({"400": CONCEPT_ERRORS["400"]} if with_body or path_id else {}),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        **({"404": _json("Error", "No concept with this id.")} if path_id else {}),
        "409": CONCEPT_ERRORS["409"],
        **({"412": _json("Error", "Code precondition_failed: the concept changed since the version If-Match "
                                  "names; read it again.")} if path_id else {}),
        **({"413": WRITE_ERRORS["413"]} if with_body else {}),
        **({"414": URI_TOO_LONG} if path_id else {}),
        **({"415": _json("Error", "The body is not JSON (Content-Type: application/json).")} if with_body else {}),
        "429": WRITE_ERRORS["429"],
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    operation = {"summary": summary, "description": description, "security": SECURITY, "responses": responses,
                 "parameters": [CONCEPT_ID, IF_MATCH] if path_id else []}
    if with_body:
        body = _ref("ConceptBody" if path_id else "NewConcept")
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {method: operation}


SUGGESTION_ID = _param("suggestion_id", PATH_TEXT, "Suggestion id (see /api/suggestions).", where="path",
                       example="s-5854f1f51410")


def _suggestion_write(summary: str, ok: dict, accept: bool) -> dict:
    """POST /api/suggestions/{suggestion_id}/accept and /dismiss."""
    responses = {
        ("202" if accept else "200"): {**ok, "headers": LOCATION} if accept else ok,
        **({"400": CONCEPT_ERRORS["400"]} if accept else {}),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "404": _json("Error", "No suggestion with this id in the served version."),
        "409": _json("Error", "Code suggestion_decided: a trainer decided on the suggestion already (accepted, "
                              "or, for an accept, dismissed) or a queued change is accepting it; a suggestion "
                              "becomes one concept, once. Dismissing a dismissed one answers 200 as before."
                              + (" Code concept_conflict: as for POST /api/concepts." if accept else "")),
        **({"413": WRITE_ERRORS["413"], "415": _json("Error", "The body is not JSON."),
            "429": WRITE_ERRORS["429"]} if accept else {}),
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    operation = {"summary": summary, "security": SECURITY, "responses": responses, "parameters": [SUGGESTION_ID]}
    if accept:
        operation["requestBody"] = {"required": False,
                                    "content": {"application/json": {"schema": _ref("SuggestionEdits")}}}
    return {"post": operation}


DOC_ID = _param("doc_id", PATH_TEXT, "Document id (see /api/documents).", where="path", example="7d0f6757e4f3c3b7")


def _paths(languages: tuple[str, ...]) -> dict:
    return {
        "/api/search": _costly(_get(
            "Rank passages for a query in any language",
            _json("SearchResponse", "Ranked passages, best first."),
            (Q, _k(10),
             _lang(languages),
             _param("ui_lang", LANG_TAG,
                    "The reader's language: concept cards use it when the query's language is uncertain"
                    " (query_lang und); default English."),
             _param("mode", {"type": "string", "enum": list(MODES), "default": "hybrid"}, "Ranking mode."),
             _param("group", {"type": "boolean", "default": False},
                    "Document-level search: one passage per document, its best, scored as the document. Without it,"
                    " at most two passages of one document come before every other document's next ones."),
             GLOSSES),
            ("400",),
        )),
        "/api/glossary": _get(
            "Gloss one word or term of a passage language",
            _json("Glossary", "Concept glosses, then the dictionary gloss; empty when none is known."),
            (_param("term", TEXT,
                    "The word or term as written in the passage. Read as the text it shows (invisible characters"
                    " dropped, full-width letters folded, white space collapsed); the answer's `term` is that"
                    " reading, and the glosses' offsets point into it.", required=True, example="kundnöjdhet"),
             _lang(languages, "Language of the passage (ISO 639-1): a query language or one of the passages'; "
                   "other codes are a 400.", required=True),
             _param("to", {"type": "string", "enum": list(READER_LANGUAGES), "default": "en"},
                    "The reader's language.")),
            ("400", "503"),
        ),
        "/api/concepts": _get("Every concept", _json("ConceptList", "The catalogue.")) | _concept_write(
            "post", "Add a concept (needs the admin token)",
            "Checked at once against the served catalogue, then queued as a job that publishes the new catalogue "
            "and grounds the concept in the corpus; GET the Location to follow it.", True, False),
        "/api/concepts/lookup": _costly(_get(
            "Concepts named by a piece of text", _json("LookupResponse", "Matches, best first."),
            (Q, _k(5)), ("400",),
        )),
        "/api/concepts/export": _get(
            "The catalogue as SKOS (JSON-LD or Turtle) or Markdown",
            {"description": "The exported catalogue.", "content": {
                "application/ld+json": {"schema": {"type": "object"}},
                "text/turtle": {"schema": STR},
                "text/markdown": {"schema": STR},
            }},
            (_param("format", {"type": "string", "enum": ["skos-jsonld", "skos-turtle", "markdown"],
                               "default": "skos-jsonld"}, "Export format."),),
            ("400", "503"),
        ),
        "/api/concepts/{concept_id}": _get(
            "One concept with a page of its grounded passages, best first",
            {**_json("Concept", "The concept."), "headers": {"ETag": {
                "description": "The concept's version, for If-Match on PUT and DELETE.", "schema": STR}}},
            (CONCEPT_ID,
             _param("limit", {"type": "integer", "minimum": 0, "maximum": MAX_CONCEPT_PASSAGES,
                              "default": CONCEPT_PASSAGES}, "Grounded passages to list (0: the concept alone)."),
             _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                    "Grounded passages to skip, best first (`passages_total` says how many there are).")),
            ("400", "404", "503"),
        ) | _concept_write(
            "put", "Replace a concept (needs the admin token)",
            "The whole concept as POST takes it (its id cannot change); checked at once, applied by a job that "
            "recomputes the groundings.", True, True,
        ) | _concept_write(
            "delete", "Remove a concept (needs the admin token)",
            "Related and contrasting links to it are dropped from the other concepts; a concept with narrower "
            "concepts is refused (409).", False, True,
        ),
        "/api/suggestions": _get(
            "Suggested concepts not yet decided on",
            _json("SuggestionList", "Best first (for one document: best there first)."),
            (_param("doc_id", {**PATH_TEXT, "minLength": 0}, "Only the suggestions of this document (empty: every document)."),
             *LIST_PAGE), ("400", "404", "503"),
        ),
        "/api/suggestions/{suggestion_id}": _get(
            "One suggestion with its decision", _json("Suggestion", "The suggestion."), (SUGGESTION_ID,),
            ("404", "503"),
        ),
        "/api/suggestions/{suggestion_id}/accept": _suggestion_write(
            "Accept a suggestion: it becomes a concept (needs the admin token)",
            _json("SuggestionAccepted", "The concept is valid and queued as a job (see POST /api/concepts)."), True),
        "/api/suggestions/{suggestion_id}/dismiss": _suggestion_write(
            "Dismiss a suggestion (needs the admin token)",
            _json("Suggestion", "The suggestion with its decision; it is not listed again."), False),
        "/api/documents": _get("Every document, oldest first",
                               _json("DocumentList", "Document metadata: every document, or the page asked for."),
                               LIST_PAGE, ("400", "503")) | _upload(),
        "/api/documents/{doc_id}": _get(
            "One document with its text and chunks", _json("Document", "The document."), (DOC_ID, GLOSSES),
            ("400", "404", "503"),
        ) | _delete() | _edit_metadata(),
        "/api/pack": _pack(),
        "/api/jobs": _trainer_get(_get(
            "Recent write jobs (needs the admin token: they name the uploaded files)",
            _json("JobList", "The newest jobs first, and whether the runner runs."), errors=())),
        "/api/jobs/{job_id}": _get(
            "One write job", _json("JobStatus", "State, stage, progress (chunks language-tagged while preparing, "
                                                "distinct chunk texts embedded while embedding), the version that "
                                                "serves the result once done, the error once failed; and whether a "
                                                "job runner is there to run it (`runner.alive`)."),
            (_param("job_id", PATH_TEXT, "Job id (from the Location of a write).", where="path"),), ("404",),
        ),
        "/api/stats": _get("Index statistics", _json("Stats", "Counts, languages, version, embedder.")),
        "/healthz": _get("Readiness", _json("Health", "The index is loaded and reads are served; status degraded "
                                                      "lists what else is wrong (a full disk, a stopped job runner).")),
        "/openapi.json": _get(
            "This document",
            {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}},
            errors=(),
        ),
    }


@functools.lru_cache(maxsize=8)
def spec(languages: tuple[str, ...]) -> dict:
    """The OpenAPI document served at /openapi.json; `languages` are those the language filter accepts."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Multilingual strategy knowledge base",
            "version": "1.0.0",
            "description": "Semantic search and a concept catalogue over business-strategy articles in Norwegian, "
                           "Swedish and Dutch. Every error is JSON: {\"error\": {\"code\", \"message\"}}.",
        },
        "paths": _paths(languages),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "The server's KB_ADMIN_TOKEN; only writes (documents, concepts) need it, reads are open.",
            }},
        },
    }
