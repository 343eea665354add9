"""The one error handler: JSON `{"error": {...}}` for the API, an HTML page for the UI, never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from index.errors import (ConceptChanged, ConceptConflict, DocumentError, InsufficientStorage, InvalidConcept, InvalidMetadata,
                          InvalidQuery, KBError, NotFound, QueueFull, SuggestionDecided)

log = logging.getLogger(__name__)

# Every other KBError means the index cannot be served (missing, corrupt, wrong embedder, busy).
_KB_STATUS = {InvalidQuery: 400, DocumentError: 400, InvalidConcept: 400, InvalidMetadata: 400, NotFound: 404, ConceptConflict: 409,
              SuggestionDecided: 409, ConceptChanged: 412,
              QueueFull: 429, InsufficientStorage: 507}
JSON_PATHS = ("/api/", "/healthz", "/openapi.json")
# Seconds a client should wait before retrying a 503 that passes (the index's database down, a full disk).
RETRY_AFTER_S = 10


def wants_json() -> bool:
    """Whether the request is for the machine API rather than the browser UI."""
    return request.path == "/api" or request.path.startswith(JSON_PATHS)


def describe(exc: Exception) -> tuple[int, str, str, dict]:
    """(status, code, message, headers) for an exception; unexpected ones are logged and become a 500."""
    if isinstance(exc, KBError):
        status = next((s for cls, s in _KB_STATUS.items() if isinstance(exc, cls)), 503)
        # Every 503 may pass (an operator mends the index, a database comes back): the client is told when to retry.
        retry = exc.retry_after_s or (RETRY_AFTER_S if status == 503 else None)
        return status, exc.code, str(exc), {"Retry-After": str(retry)} if retry else {}
    if isinstance(exc, HTTPException):
        # Keep headers such as Allow (405) but not the HTML content type.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        code = (exc.name or "error").lower().replace(" ", "_")
        return exc.code or 500, code, exc.description or exc.name, headers
    log.exception("unhandled error request_id=%s %s %s", g.get("request_id", "-"), request.method, request.path)
    return 500, "internal_error", "internal server error; quote the request id when reporting it", {}


def handle_error(exc: Exception):
    """Translate any exception into a JSON or HTML answer with the right status."""
    status, code, message, headers = describe(exc)
    error = {"code": code, "message": message, "request_id": g.get("request_id", "-")}
    if wants_json():
        return jsonify(error=error), status, headers
    # The status's own name heads the page (Method Not Allowed, Conflict), not one heading for every 4xx.
    reason = HTTP_STATUS_CODES.get(status, "Bad request")
    return render_template("error.html", status=status, error=error, reason=reason), status, headers


def api_json(response: Response) -> Response:
    """An API answer Flask wrote itself in HTML, in JSON: a slash redirect (`/api//search`) names where to go,
    and the automatic OPTIONS answer is an empty 204 with its Allow header."""
    if not wants_json() or response.mimetype != "text/html":
        return response
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204
        response.set_data(b"")
        del response.headers["Content-Type"]
    elif 300 <= response.status_code < 400 and response.location:
        response.set_data(jsonify(location=response.location).get_data())
        response.mimetype = "application/json"
    return response


def register(app: Flask) -> None:
    """Route every exception raised while handling a request through `handle_error`."""
    app.register_error_handler(Exception, handle_error)
