"""Trainers stay signed in with a cookie: signed with the admin token, SameSite=Strict, and every form carries a
CSRF token bound to it.

The cookie holds its issue time and a random session id, with an HMAC of both keyed by `KB_ADMIN_TOKEN`, so every
worker can check it, and changing the token signs everyone out. A session ends 8 hours after sign-in, or when the
trainer signs out: that leaves a marker named by the session id in `KB_INDEX_DIR/sessions/revoked/`, the folder
every worker and, with `KB_DATABASE_URL`, every machine shares, so a copied cookie is void everywhere. A write
authorised by the cookie must also carry the CSRF token (form field `csrf_token` or header `X-CSRF-Token`), an HMAC
of the cookie a cross-site page cannot read; the API's bearer token needs neither.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from flask import current_app, request
from werkzeug.exceptions import Forbidden

from index.files import naming_full_disk, write_atomically

COOKIE = "kb_trainer"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_S = 8 * 3600
_SESSION_ID = re.compile(r"[0-9a-f]{32}")


class CsrfRefused(Forbidden):
    """A cookie-authorised write without the form's CSRF token: a cross-site request, or a stale form."""

    name = "CSRF Refused"
    description = "the form's security token is missing or wrong (a request from another site?); reload the form"


def local_target(target: str) -> str | None:
    """`target` when it is a path on this site to return to after signing in, else None.

    It starts with one "/", not "//" or "/\\" (a browser reads both as another host), also once percent-decoded,
    and holds no control, format or space character: browsers drop tabs and newlines from a Location, so a
    tab after the first "/" would lead to another host, and a newline cannot go in a header at all.
    """
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in target):
        return None
    if any(not text.startswith("/") or text.startswith(("//", "/\\")) for text in (target, unquote(target))):
        return None
    return target


def _sign(purpose: str, value: str) -> str:
    key = str(current_app.config["KB"].admin_token or "").encode("utf-8")
    return hmac.new(key, f"{purpose}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def new_session() -> str:
    """A fresh cookie value: its issue time and a random session id, signed."""
    issued = f"{int(time.time())}.{secrets.token_hex(16)}"
    return f"{issued}.{_sign('trainer', issued)}"


def _revoked(session_id: str) -> Path:
    return current_app.config["KB"].index_dir / "sessions" / "revoked" / session_id


def session() -> str | None:
    """The request's trainer cookie when it is genuine, not expired and not signed out (and writes are on)."""
    value = request.cookies.get(COOKIE, "")
    issued, _, rest = value.partition(".")
    session_id, _, signature = rest.partition(".")
    if (not current_app.config["KB"].admin_token or not issued.isdigit() or not _SESSION_ID.fullmatch(session_id)
            or len(signature) != 64):
        return None
    if not hmac.compare_digest(signature, _sign("trainer", f"{issued}.{session_id}")):
        return None
    if not 0 <= time.time() - int(issued) < SESSION_S:
        return None
    return None if _revoked(session_id).exists() else value


def signed_in() -> bool:
    """Whether a trainer is signed in on this browser."""
    return session() is not None


def csrf_token() -> str:
    """The CSRF token of this browser's session ('' when not signed in)."""
    value = session()
    return _sign("csrf", value) if value else ""


def check_csrf() -> None:
    """Raise CsrfRefused unless the request carries the CSRF token of its (valid) session."""
    expected = csrf_token()
    presented = request.headers.get(CSRF_HEADER) or (
        request.form.get(CSRF_FIELD, "") if request.mimetype in ("multipart/form-data",
                                                                  "application/x-www-form-urlencoded") else "")
    if not expected or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise CsrfRefused()


def sign_in(response, token: str):
    """Set the session cookie on `response` when `token` is the admin token; False (nothing set) otherwise."""
    expected = str(current_app.config["KB"].admin_token or "")
    if not expected or not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        return False
    response.set_cookie(COOKIE, new_session(), max_age=SESSION_S, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return True


def sign_out(response) -> None:
    """End the request's session for every worker and machine (see the module's docstring), then forget the cookie."""
    value = session()
    if value:
        marker = _revoked(value.split(".")[1])
        with naming_full_disk(marker.parent.parent):
            write_atomically(marker, b"")
        _forget_expired(marker.parent)
    response.delete_cookie(COOKIE, httponly=True, samesite="Strict", secure=request.is_secure, path="/")


def _forget_expired(folder: Path) -> None:
    # A marker is younger than its session's sign-in; once SESSION_S old, the session has expired anyway.
    cutoff = time.time() - SESSION_S
    for marker in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another worker's sign-out removed it first
            if marker.stat().st_mtime < cutoff:
                marker.unlink()
