"""Per-request plumbing: request ids, the body size limit, index refresh, security headers, access log."""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, abort, current_app, g, request

from .errors import api_json
from .params import check_request

log = logging.getLogger(__name__)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# A refused body at most this much over the limit is read before the 413: the front (nginx) takes a little more than
# the limit and writes it on in full, and an answer sent before it finished broke its write (a 502, "retry
# shortly", for a request no retry can mend). A larger one came past no front and is not read.
DRAIN_BYTES = 2 * 1024 * 1024

# No inline script or style anywhere: the UI's JavaScript and CSS are static files.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _start() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # A client's id is kept only when it cannot forge log lines.
    g.request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    check_request(request.environ.get("PATH_INFO", ""), request.query_string)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        if request.content_length <= limit + DRAIN_BYTES:
            _drain(request.environ["wsgi.input"], request.content_length)
        abort(413, f"request body larger than {limit} bytes")
    if request.endpoint != "static":
        current_app.extensions["kb"].refresh()


def _drain(stream, length: int) -> None:
    """Read and drop a request body of `length` bytes."""
    while length > 0 and (chunk := stream.read(min(length, 256 * 1024))):
        length -= len(chunk)


def _finish(response: Response) -> Response:
    response = api_json(response)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)  # a response may narrow its own policy (an exported page)
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    took = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # A 5xx is the service failing a client (its database down, its encoder overloaded): an operator's business.
    log.log(logging.WARNING if response.status_code >= 500 else logging.INFO, "%s %s %s %.1fms request_id=%s",
            request.method, request.path, response.status_code, took, g.get("request_id", "-"))
    return response


def register(app: Flask) -> None:
    """Install the hooks on an app."""
    app.before_request(_start)
    app.after_request(_finish)
