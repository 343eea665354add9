"""gunicorn settings for `python -m webapp.serve` (make run): threaded workers behind nginx on a unix socket.

The launcher passes the bind address, worker and thread counts and the timeout on the command line; this
file holds what does not vary. It is read as a file by gunicorn's master, so it imports nothing of the app.
"""
import functools
import gc
import json
import logging
import re
import uuid

from gunicorn import util
from gunicorn.http.message import Request

# Threads, not one request per process: a request waiting on something slow holds one thread, not a worker.
worker_class = "gthread"
graceful_timeout = 20
keepalive = 5
# nginx bounds the request line and each header at 16 KB (large_client_header_buffers); gunicorn must never
# refuse what nginx forwarded, so its limits are wider: 0 is no limit for the line, the field size and count
# are generous (nginx's four 16 KB buffers bound the whole header block anyway).
limit_request_line = 0
limit_request_field_size = 32768
limit_request_fields = 32768
# The request line is read by gunicorn's Python parser, whose check of the target post_fork widens (see there);
# the optional C parser (gunicorn_h1c) would check it on its own.
http_parser = "python"
# Errors gunicorn answers itself end up in the launcher's stderr like the app's log.
errorlog = "-"
loglevel = "warning"
# The app (query detector, encoder: most of a worker's memory) loads once, in the master, before it forks the
# workers, which share those pages; each worker then opens the index files itself (see post_fork).
preload_app = True


# Bytes a browser percent-encodes in a URL and curl sends as they are (`?q=Kundennähe`).
_RAW_TARGET_BYTE = re.compile(rb"[\x80-\xff]")


def _percent_encoding_target(parse_request_line):
    """gunicorn refuses a request target with raw non-ASCII bytes (RFC 9112 3.2); nginx forwards them as the client
    sent them. Percent-encoded first, such a target gets the answer its browser-encoded twin gets."""
    @functools.wraps(parse_request_line)
    def parse(self, line_bytes):
        parts = bytes(line_bytes).split(b" ", 2)
        if len(parts) == 3:
            parts[1] = _RAW_TARGET_BYTE.sub(lambda byte: b"%%%02X" % byte[0][0], parts[1])
        return parse_request_line(self, b" ".join(parts))
    return parse


def _write_json_error(sock, status_int: int, reason: str, mesg: str, headers: dict) -> None:
    """gunicorn's own error answers (bad requests, app crashes) as the app's JSON errors, with its headers and a
    request id, also in the log line that names it."""
    request_id = uuid.uuid4().hex
    code = "internal_error" if status_int == 500 else reason.lower().replace(" ", "_")
    # gunicorn reads the request as latin-1: its UTF-8 is decoded again, any other byte shown as U+FFFD.
    message = (mesg or reason).encode("latin-1", "backslashreplace").decode("utf-8", "replace")
    logging.getLogger("gunicorn.error").warning("answered %d %s request_id=%s: %s", status_int, reason, request_id,
                                                json.dumps(message, ensure_ascii=False))
    body = json.dumps({"error": {"code": code, "message": message, "request_id": request_id}}).encode()
    head = "".join(f"{name}: {value}\r\n" for name, value in {**headers, "X-Request-ID": request_id}.items())
    response = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{head}\r\n")
    util.write_nonblock(sock, response.encode("latin-1") + body)


def post_fork(server, worker) -> None:
    # gunicorn has no setting for its error pages nor for raw bytes in a request target; its workers call
    # util.write_error and Request.parse_request_line, so replace them here, in the worker.
    from webapp.hooks import SECURITY_HEADERS

    util.write_error = functools.partial(_write_json_error, headers=SECURITY_HEADERS)
    Request.parse_request_line = _percent_encoding_target(Request.parse_request_line)
    if server.cfg.preload_app:
        # Open files, SQLite connections and locks must not cross a fork: the worker opens the index again.
        server.app.wsgi().extensions["kb"].reopen()
    # What is loaded by now (models, language detectors, dictionary tables: over a million objects) lives as long
    # as the worker: left out of garbage collection, a full collection no longer walks it, which took 0.4 s quiet
    # and over 1 s beside a write, stalling every request of the worker at once.
    gc.collect()  # the master's index state, dropped by reopen, is garbage: freed first, not frozen
    gc.freeze()
