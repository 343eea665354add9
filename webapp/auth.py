"""Write access: off unless `KB_ADMIN_TOKEN` is set; then a bearer token compared in constant time."""
from __future__ import annotations

import hmac

from flask import current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from . import trainer

# The UI's forms carry the token in this field (no JavaScript needed); the API uses the header.
TOKEN_FIELD = "token"


class WritesDisabled(Forbidden):
    """No token is configured, so nobody may write."""

    name = "Writes Disabled"
    description = "write operations are switched off on this server (set KB_ADMIN_TOKEN to enable them)"


class TokenMissing(Unauthorized):
    """A write without any token."""

    name = "Unauthorized"
    description = "this operation needs the admin token: send 'Authorization: Bearer <token>'"

    def __init__(self) -> None:
        super().__init__(www_authenticate=WWWAuthenticate("bearer", {"realm": "kb"}))


class TokenInvalid(Forbidden):
    """A write with a token that does not match."""

    name = "Invalid Token"
    description = "the admin token is not valid"


def writes_enabled() -> bool:
    """Whether this server accepts uploads and deletions at all."""
    return bool(current_app.config["KB"].admin_token)


def _presented_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None
    # Browser forms: read the field only from a form body (urlencoded or multipart).
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.form.get(TOKEN_FIELD) or None
    return None


def require_writer() -> None:
    """Raise 403 when writes are off, 401 without a token (or a trainer's session), 403 with a wrong one (or a
    session's write without its CSRF token)."""
    _require_admin(csrf=True)


def require_trainer() -> None:
    """What `require_writer` asks of a read only a trainer may make (the write jobs: the names of uploaded files),
    less the CSRF token: a signed-in trainer's cookie is enough, a cross-site page cannot read the answer."""
    _require_admin(csrf=False)


def _require_admin(csrf: bool) -> None:
    expected = current_app.config["KB"].admin_token
    if not expected:
        raise WritesDisabled()
    presented = _presented_token()
    if presented is None:
        if trainer.signed_in():  # the browser UI of a signed-in trainer: the cookie, and a form's CSRF token
            if csrf:
                trainer.check_csrf()
            return
        raise TokenMissing()
    if not hmac.compare_digest(presented.encode("utf-8"), str(expected).encode("utf-8")):
        raise TokenInvalid()
