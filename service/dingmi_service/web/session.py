"""Web sessions and CSRF tokens.

The session cookie holds the user id and the user's session version, signed with the
service's secret key (itsdangerous, timestamped): signing out or a new password changes the
version and ends every session. CSRF: a random value in its own cookie; every form carries
an HMAC of it under the secret key (signed double submit), checked on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..integrity import intact
from ..models import User
from ..security import Principal

SESSION_COOKIE = "dm_session"
CSRF_COOKIE = "dm_csrf"
SESSION_MAX_AGE = 8 * 3600  # one working day


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(request), salt="dingmi-web-session")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, user: User) -> None:
    """Sign the user in on ``response`` (and rotate the CSRF value)."""
    value = _serializer(request).dumps({"u": user.id, "v": user.session_version or 0})
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    set_csrf_cookie(request, response, secrets.token_urlsafe(32))


def clear_session(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def current_user(request: Request) -> Principal | None:
    """The signed-in, active user of this request, or None."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
        uid, version = int(data["u"]), int(data["v"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    db = request.app.state.db
    with db.read() as session:
        user = session.get(User, uid)
    if user is None or not user.active or (user.session_version or 0) != version or not intact(db.audit_key, user):
        return None
    principal = Principal(id=user.id, name=user.name, role=user.role, authority=user.authority)
    request.state.principal = principal
    return principal


def csrf_value(request: Request) -> str:
    """This browser's CSRF cookie value (a new one if absent; set it with :func:`set_csrf_cookie`)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf = value
    return str(value)


def csrf_token(request: Request, value: str | None = None) -> str:
    """The token forms must carry: HMAC-SHA256 of the cookie value under the secret key."""
    value = value or csrf_value(request)
    return hmac.new(_secret(request).encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def set_csrf_cookie(request: Request, response: Response, value: str | None = None) -> None:
    """Send the CSRF cookie when it is new (or replace it with ``value``)."""
    value = value or getattr(request.state, "new_csrf", None)
    if value:
        request.state.new_csrf = value
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request), path="/")


def csrf_ok(request: Request, token: object) -> bool:
    """True when ``token`` matches this browser's CSRF cookie."""
    value = request.cookies.get(CSRF_COOKIE)
    if not value or not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(csrf_token(request, value), token)
