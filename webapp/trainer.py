"""Trainers stay signed in with a cookie: signed with the admin token, SameSite=Strict, and every form carries a
CSRF token bound to it.

The cookie holds only its issue time and an HMAC of it keyed by `KB_ADMIN_TOKEN`, so every worker can check it
without shared state, and changing the token signs everyone out. A write authorised by the cookie must also carry
the CSRF token (form field `csrf_token` or header `X-CSRF-Token`), an HMAC of the cookie a cross-site page cannot
read; the API's bearer token needs neither.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import unicodedata
from urllib.parse import unquote

from flask import current_app, request
from werkzeug.exceptions import Forbidden

COOKIE = "kb_trainer"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_S = 8 * 3600


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
    """A fresh cookie value: its issue time, signed."""
    issued = str(int(time.time()))
    return f"{issued}.{_sign('trainer', issued)}"


def session() -> str | None:
    """The request's trainer cookie when it is genuine and not expired (and writes are on)."""
    value = request.cookies.get(COOKIE, "")
    issued, _, signature = value.partition(".")
    if not current_app.config["KB"].admin_token or not issued.isdigit() or len(signature) != 64:
        return None
    if not hmac.compare_digest(signature, _sign("trainer", issued)):
        return None
    return value if 0 <= time.time() - int(issued) < SESSION_S else None


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
    """Forget the session cookie."""
    response.delete_cookie(COOKIE, httponly=True, samesite="Strict", secure=request.is_secure, path="/")
