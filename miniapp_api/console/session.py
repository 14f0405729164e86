"""The console's login session: a signed cookie scoped to /console, and its CSRF token.

The API authenticates by bearer token and opens no cookie session at all; only /console does.
The cookie is HttpOnly, SameSite=Lax, limited to /console, and Secure outside demo and test.
It names the admin the way an admin token does (id, token key, token version), checked on every
request by `admin_named_by`: disabling the admin or changing its password ends its console
sessions exactly as it ends its tokens. Every form carries the session's CSRF token, checked on
every unsafe request before the view runs.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from miniapp_api.auth import admin_claims, admin_named_by
from models.admin import Admin

PREFIX = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ConsoleOnlySession(SecureCookieSessionInterface):
    """Flask's signed cookie session under /console, and no session anywhere else."""

    def _in_console(self, path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def open_session(self, app, request):  # type: ignore[override]
        if not self._in_console(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:  # type: ignore[override]
        if not self._in_console(request.path):
            return None
        return super().save_session(app, session, response)


def configure_console_session(app: Flask) -> None:
    """Install the console's cookie session on the app (and nothing for the API)."""
    app.session_interface = ConsoleOnlySession()
    app.config.update(
        SESSION_COOKIE_NAME="miniapp_console",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("MINIAPP_ENV") not in ("demo", "test"),
        PERMANENT_SESSION_LIFETIME=timedelta(
            seconds=int(app.config.get("ADMIN_TOKEN_TTL_SECONDS") or 8 * 3600)
        ),
    )


def csrf_token() -> str:
    """The session's CSRF token (made on first use); every form and htmx request sends it."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse an unsafe request whose CSRF token is missing or not the session's (400)."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


def start_session(admin: Admin) -> None:
    """Log `admin` in: a fresh session (and CSRF token) naming the admin like a token does."""
    session.clear()
    session.permanent = True
    session["admin"] = admin_claims(admin)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def end_session() -> None:
    session.clear()


def session_admin() -> Admin | None:
    """The admin the session still names, or None (logged out, disabled, password changed)."""
    claims = session.get("admin")
    if not isinstance(claims, dict):
        return None
    admin = admin_named_by(claims)
    if admin is None:
        session.clear()
    return admin


def login_required(*roles: str) -> Callable[[Callable], Callable]:
    """Only a logged-in admin (with one of `roles` when given); puts it on `g.admin`. Without
    a session: to the login page; a wrong role: 403 page."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            admin = session_admin()
            if admin is None:
                return redirect(url_for("console.login", next=request.full_path))
            if roles and admin.role not in roles:
                abort(403)
            g.admin = admin
            return view(*args, **kwargs)

        return wrapper

    return decorate
