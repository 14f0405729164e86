"""Signed, expiring bearer tokens, and the decorators that put the caller on `g`.

Employee and admin tokens are signed with different salts, so one kind is never accepted
where the other is expected (each is simply a bad signature there).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from miniapp_api.errors import Forbidden, Unauthenticated
from models import Employee, db

EMPLOYEE = "employee"
ADMIN = "admin"
_TTL_SETTING = {EMPLOYEE: "EMPLOYEE_TOKEN_TTL_SECONDS", ADMIN: "ADMIN_TOKEN_TTL_SECONDS"}


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], kind)


@lru_cache(maxsize=8)
def _serializer_for(secret_key: str, kind: str) -> URLSafeTimedSerializer:
    # built once per key and kind (it holds no state between tokens); every token is still
    # verified on every request
    return URLSafeTimedSerializer(secret_key, salt=f"miniapp-{kind}-token")


def token_ttl(kind: str) -> int:
    return int(current_app.config[_TTL_SETTING[kind]])


def issue_token(kind: str, subject_id: int, version: int = 0) -> tuple[str, int]:
    """A token for `subject_id`, and its lifetime in seconds."""
    token = _serializer(kind).dumps({"sub": subject_id, "v": version})
    return token, token_ttl(kind)


def token_subject(kind: str) -> tuple[int, int]:
    """(subject id, version) from the request's bearer token, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(details={"reason": "missing_token"})
    try:
        payload = _serializer(kind).loads(token.strip(), max_age=token_ttl(kind))
    except SignatureExpired as exc:
        raise Unauthenticated(
            "unauthenticated", "登录已过期，请重新登录", details={"reason": "token_expired"}
        ) from exc
    except BadSignature as exc:
        raise Unauthenticated(details={"reason": "invalid_token"}) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("sub"), int):
        raise Unauthenticated(details={"reason": "invalid_token"})
    return payload["sub"], int(payload.get("v", 0))


def documented_as_secured(wrapper: Callable) -> Callable:
    """Mark a view as needing a bearer token in the OpenAPI document."""
    apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {})["security"] = [{"bearerAuth": []}]
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper


def employee_required(view: Callable) -> Callable:
    """Only a logged-in employee; puts them on `g.employee`. Place it right under the route."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        subject_id, _ = token_subject(EMPLOYEE)
        employee = db.session.get(Employee, subject_id)
        if employee is None:
            raise Unauthenticated(details={"reason": "unknown_user"})
        g.employee = employee
        return view(*args, **kwargs)

    return documented_as_secured(wrapper)


def employee_token_required(view: Callable) -> Callable:
    """A valid employee token, checked by its signature and age only: for reading what is the
    same for every employee (the catalogue), where loading the employee's row would be a
    database round trip per request for nothing. Puts the id on `g.employee_id`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        g.employee_id, _ = token_subject(EMPLOYEE)
        return view(*args, **kwargs)

    return documented_as_secured(wrapper)


def admin_required(*roles: str) -> Callable[[Callable], Callable]:
    """Only a logged-in admin with one of `roles` (any role when none given); puts them on
    `g.admin`. A token of a deactivated admin, or issued before a password change, is 401;
    a wrong role is 403. Place it right under the route."""
    from models.admin import Admin

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            subject_id, version = token_subject(ADMIN)
            admin = db.session.get(Admin, subject_id)
            if admin is None or not admin.active or admin.token_version != version:
                raise Unauthenticated(details={"reason": "unknown_admin"})
            if roles and admin.role not in roles:
                raise Forbidden(details={"required_roles": list(roles)})
            g.admin = admin
            return view(*args, **kwargs)

        return documented_as_secured(wrapper)

    return decorate
