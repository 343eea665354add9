"""OpenAPI 3.1 description of the JSON API; the tests hold the server's answers to it."""
from __future__ import annotations

import functools

from index.service import MAX_K, MAX_QUERY_CHARS, MODES


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
STR_LIST = _array(STR)
LANG_MAP = {"type": "object", "additionalProperties": STR}
COUNTS = {"type": "object", "additionalProperties": INT}

SCHEMAS = {
    "Error": _object({"error": _object({"code": STR, "message": STR, "request_id": STR}, optional=("request_id",))}),
    "Highlight": _object({"sentence": STR, "start": INT, "end": INT}),
    "ConceptCard": _object({"id": STR, "label": STR, "family": STR, "definition": STR}),
    "SearchResult": _object({
        "rank": INT, "score": NUM, "doc_id": STR, "source": STR, "title": STR, "lang": STR, "chunk_id": INT,
        "ord": INT, "start": INT, "end": INT, "text": STR, "highlight": _ref("Highlight"), "concepts": STR_LIST,
    }),
    "SearchResponse": _object({
        "query": STR, "query_lang": STR, "mode": {"enum": list(MODES)}, "took_ms": NUM,
        "results": _array(_ref("SearchResult")), "concepts": _array(_ref("ConceptCard")),
        "group": {"type": "boolean", "description": "One passage per document, with the document's score."},
        "dropped": {"type": "integer", "minimum": 0,
                    "description": "Results among the best k left out because they scored below min_score."},
        "min_score": {"type": "number", "description": "The server's threshold (KB_MIN_SCORE) for this mode."},
    }),
    "LookupMatch": _object({"id": STR, "label": STR, "family": STR, "score": NUM, "via": STR}),
    "LookupResponse": _object({"query": STR, "matches": _array(_ref("LookupMatch"))}),
    "ConceptSummary": _object({
        "id": STR, "label": STR, "family": STR, "definition": STR, "labels": LANG_MAP, "broader": NULLABLE_STR,
        "related": STR_LIST, "contrasts": STR_LIST, "passages": {"type": "integer", "minimum": 0},
    }),
    "ConceptList": _object({"concepts": _array(_ref("ConceptSummary"))}),
    "GroundedPassage": _object({
        "chunk_id": INT, "doc_id": STR, "title": STR, "source": STR, "lang": STR, "ord": INT, "score": NUM,
        "via": STR, "text": STR, "highlight": _ref("Highlight"),
    }),
    "Concept": _object({
        "id": STR, "label": STR, "family": STR, "definition": STR, "labels": LANG_MAP,
        "aliases": {"type": "object", "additionalProperties": STR_LIST}, "definitions": LANG_MAP,
        "broader": NULLABLE_STR, "narrower": STR_LIST, "related": STR_LIST, "contrasts": STR_LIST,
        "passages": _array(_ref("GroundedPassage")),
    }),
    "DocumentSummary": _object({
        "doc_id": STR, "title": STR, "source": STR, "lang": STR, "author": NULLABLE_STR, "chars": INT,
        "chunks": INT, "added_at": NULLABLE_STR,
    }),
    "DocumentList": _object({"documents": _array(_ref("DocumentSummary"))}),
    "Chunk": _object({"chunk_id": INT, "ord": INT, "start": INT, "end": INT, "lang": STR, "tokens": INT}),
    "Document": _object({
        "doc_id": STR, "title": STR, "source": STR, "lang": STR, "author": NULLABLE_STR, "content_hash": STR,
        "added_at": NULLABLE_STR, "text": STR, "chunks": _array(_ref("Chunk")),
    }),
    "Stats": _object({
        "version": STR, "created": NULLABLE_STR, "embedder": STR, "dim": INT, "backend": STR,
        "factory": NULLABLE_STR, "documents": INT, "chunks": INT, "languages": COUNTS,
        "chunk_languages": COUNTS, "language_bias_directions": INT,
        "warnings": STR_LIST,
    }),
    "UploadResult": _object({
        "doc_id": STR, "source": STR, "title": STR, "lang": STR, "chunks": {"type": "integer", "minimum": 0},
        "duplicate": {"type": "boolean"}, "version": STR,
    }),
    "DeleteResult": _object({"doc_id": STR, "deleted": {"const": True}, "version": STR}),
    "Health": _object({
        "status": {"const": "ok"}, "version": STR, "embedder": STR, "documents": INT, "chunks": INT,
        "concepts": INT, "languages": STR_LIST, "writes_enabled": {"type": "boolean"}, "warnings": STR_LIST,
    }),
}


def _param(name: str, schema: dict, description: str, required: bool = False, where: str = "query",
           example: str | None = None) -> dict:
    param = {"name": name, "in": where, "required": required or where == "path", "schema": schema,
             "description": description}
    return param | ({"example": example} if example else {})


Q = _param("q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
           "Free text in any language.", required=True, example="customer lock-on")


def _k(default: int) -> dict:
    return _param("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": default},
                  "How many results to return.")


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _json("Error", "A parameter is missing, malformed or out of range."),
    "404": _json("Error", "No such id."),
    "503": _json("Error", "No index is available."),
    "default": _json("Error", "Any other error, always as JSON."),
}
# The HTTP server (gunicorn) refuses over-long request lines itself, before the app sees them.
URI_TOO_LONG = {"description": "Request line longer than the HTTP server accepts.",
                "content": {"text/html": {"schema": STR}}}


def _get(summary: str, ok: dict, parameters: tuple = (), errors: tuple[str, ...] = ("503",)) -> dict:
    responses = {"200": ok, **{code: ERRORS[code] for code in errors}}
    responses |= {"414": URI_TOO_LONG, "default": ERRORS["default"]}
    return {"get": {"summary": summary, "parameters": list(parameters), "responses": responses}}


SECURITY = [{"bearer": []}]
WRITE_ERRORS = {
    "401": {**_json("Error", "No admin token was sent."),
            "headers": {"WWW-Authenticate": {"description": "Bearer", "schema": STR}}},
    "403": _json("Error", "Writes are switched off on this server (code writes_disabled), or the token is wrong."),
    "503": {**_json("Error", "No index is available, or another writer held the index too long (index_busy)."),
            "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": INT}}},
}


def _upload() -> dict:
    """POST /api/documents."""
    responses = {
        "201": _json("UploadResult", "The document was added and a new version published (duplicate is false)."),
        "200": _json("UploadResult", "The same content is already indexed (duplicate is true); nothing changed."),
        "400": _json("Error", "No file field, an empty file, a binary or unreadable file, or one without text."),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "413": _json("Error", "The upload is larger than KB_MAX_UPLOAD_MB."),
        "415": _json("Error", "The file type is not one of .txt, .md, .html, .pdf, .docx."),
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    body = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "The document: .txt, .md, .html, .pdf or .docx; its name picks the loader."},
    }}
    return {"post": {
        "summary": "Add a document (needs the admin token)",
        "description": "Stored under its content hash and published atomically as a new index version. "
                       "Answers 403 writes_disabled when the server has no KB_ADMIN_TOKEN.",
        "security": SECURITY,
        "requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": body, "encoding": {"file": {"contentType": "application/octet-stream"}}}}},
        "responses": responses,
    }}


def _delete() -> dict:
    """DELETE /api/documents/{doc_id}."""
    responses = {
        "200": _json("DeleteResult", "The document was removed and a new version published."),
        **{code: WRITE_ERRORS[code] for code in ("401", "403")},
        "404": ERRORS["404"],
        "414": URI_TOO_LONG,
        "503": WRITE_ERRORS["503"],
        "default": ERRORS["default"],
    }
    return {"delete": {
        "summary": "Remove a document (needs the admin token)",
        "security": SECURITY,
        "parameters": [DOC_ID],
        "responses": responses,
    }}


DOC_ID = _param("doc_id", STR, "Document id (see /api/documents).", where="path", example="7d0f6757e4f3c3b7")


def _paths() -> dict:
    return {
        "/api/search": _get(
            "Rank passages for a query in any language",
            _json("SearchResponse", "Ranked passages, best first."),
            (Q, _k(10),
             _param("lang", {"type": "string", "pattern": "^[a-zA-Z_-]{2,8}$"},
                    "Only passages in this language (ISO 639-1, e.g. sv)."),
             _param("mode", {"type": "string", "enum": list(MODES), "default": "hybrid"}, "Ranking mode."),
             _param("group", {"type": "boolean", "default": False},
                    "Document-level search: one passage per document, its best, scored as the document.")),
            ("400", "503"),
        ),
        "/api/concepts": _get("Every concept", _json("ConceptList", "The catalogue.")),
        "/api/concepts/lookup": _get(
            "Concepts named by a piece of text", _json("LookupResponse", "Matches, best first."),
            (Q, _k(5)), ("400", "503"),
        ),
        "/api/concepts/export": _get(
            "The catalogue as SKOS JSON-LD or Markdown",
            {"description": "The exported catalogue.", "content": {
                "application/ld+json": {"schema": {"type": "object"}},
                "text/markdown": {"schema": STR},
            }},
            (_param("format", {"type": "string", "enum": ["skos-jsonld", "markdown"], "default": "skos-jsonld"},
                    "Export format."),),
            ("400", "503"),
        ),
        "/api/concepts/{concept_id}": _get(
            "One concept with its grounded passages", _json("Concept", "The concept."),
            (_param("concept_id", STR, "Concept id.", where="path", example="customer-intimacy"),),
            ("404", "503"),
        ),
        "/api/documents": _get("Every document", _json("DocumentList", "Document metadata.")) | _upload(),
        "/api/documents/{doc_id}": _get(
            "One document with its text and chunks", _json("Document", "The document."), (DOC_ID,), ("404", "503"),
        ) | _delete(),
        "/api/stats": _get("Index statistics", _json("Stats", "Counts, languages, version, embedder.")),
        "/healthz": _get("Readiness", _json("Health", "The index is loaded.")),
        "/openapi.json": _get(
            "This document",
            {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}},
            errors=(),
        ),
    }


@functools.cache
def spec() -> dict:
    """The OpenAPI document served at /openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Multilingual strategy knowledge base",
            "version": "1.0.0",
            "description": "Semantic search and a concept catalogue over business-strategy articles in Norwegian, "
                           "Swedish and Dutch. Every error is JSON: {\"error\": {\"code\", \"message\"}}.",
        },
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "The server's KB_ADMIN_TOKEN; only uploads and deletions need it, reads are open.",
            }},
        },
    }
