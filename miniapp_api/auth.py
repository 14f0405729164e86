"""Signed, expiring bearer tokens, and the decorators that put the caller on `g`.

Employee and admin tokens are signed with different salts, so one kind is never accepted
where the other is expected (each is simply a bad signature there). A token names its holder's
row id and the row's random token key, so it never answers for another row that gets the same
id; admin tokens also carry the token version, bumped to end them all (password change,
disabling).
"""

from __future__ import annotations

import copy
import hmac
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


def issue_token(kind: str, holder: Any) -> tuple[str, int]:
    """A token for `holder` (an Employee or an Admin), and its lifetime in seconds. It names the
    row's id, its random `token_key` (made with the row, so a row that later gets the same id,
    after a restore say, is not named by it) and, for admins, `token_version` (bumped to end
    every token issued before)."""
    claims = {"sub": holder.id, "key": holder.token_key, "v": getattr(holder, "token_version", 0)}
    return _serializer(kind).dumps(claims), token_ttl(kind)


def token_claims(kind: str) -> dict[str, Any]:
    """The checked claims of the request's bearer token (`sub`, `key`, `v`), or 401."""
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
        raise _bad_token(kind, token.strip()) from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("sub"), int)
        or not isinstance(payload.get("key"), str)
        or not isinstance(payload.get("v", 0), int)
    ):
        # tokens from before token keys existed land here too: the holder logs in again
        raise Unauthenticated(details={"reason": "invalid_token"})
    return payload


def _names(claims: dict[str, Any], holder: Any) -> bool:
    """Whether the token's claims name this very row (id, key and, for admins, version)."""
    return (
        holder is not None
        and holder.token_key is not None
        and hmac.compare_digest(holder.token_key, claims["key"])
        and getattr(holder, "token_version", 0) == claims.get("v", 0)
    )


_WRONG_KIND_MESSAGES = {
    EMPLOYEE: "这是管理员的登录凭证，小程序接口须使用职工的微信登录",
    ADMIN: "这是职工的微信登录凭证，管理接口须使用管理员账号登录",
}


def _bad_token(expected: str, token: str) -> Unauthenticated:
    """A token that fails `expected`'s signature: if it is a valid token of the other kind,
    say it is the wrong kind of login (the caller mixed up their tokens); else just invalid."""
    other = ADMIN if expected == EMPLOYEE else EMPLOYEE
    try:
        _serializer(other).loads(token)
    except BadSignature:  # SignatureExpired included: an old token of either kind
        return Unauthenticated(details={"reason": "invalid_token"})
    return Unauthenticated(
        "unauthenticated",
        _WRONG_KIND_MESSAGES[expected],
        details={"reason": "wrong_token_kind", "expected": expected, "given": other},
    )


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
        claims = token_claims(EMPLOYEE)
        employee = db.session.get(Employee, claims["sub"])
        if not _names(claims, employee):
            raise Unauthenticated(details={"reason": "unknown_user"})
        g.employee = employee
        return view(*args, **kwargs)

    return documented_as_secured(wrapper)


def employee_token_required(view: Callable) -> Callable:
    """A valid employee token, checked by its signature and age only, with no database round
    trip: for reading what is the same for every employee (the catalogue). That is enough there
    because nothing in such an answer depends on who asks: a token whose employee is gone, or
    whose id now belongs to someone else (the case `employee_required` catches by the token
    key), shows only what every logged-in employee sees, and only until it expires. A view
    that reads or writes anything of the employee's own must use `employee_required`. Puts
    the id on `g.employee_id` (for logs and limits, never to load the employee)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        g.employee_id = token_claims(EMPLOYEE)["sub"]
        return view(*args, **kwargs)

    return documented_as_secured(wrapper)


def admin_claims(admin: Any) -> dict[str, Any]:
    """What names an admin in a token or a console session: id, token key and version."""
    return {"sub": admin.id, "key": admin.token_key, "v": admin.token_version}


def admin_named_by(claims: dict[str, Any]) -> Any:
    """The active admin these claims still name, or None: a disabled admin, or claims made
    before a password change (token version bumped), name nobody any more."""
    from models.admin import Admin

    if not isinstance(claims.get("sub"), int) or not isinstance(claims.get("key"), str):
        return None
    admin = db.session.get(Admin, claims["sub"])
    if not _names(claims, admin) or not admin.active:
        return None
    return admin


def admin_required(*roles: str) -> Callable[[Callable], Callable]:
    """Only a logged-in admin with one of `roles` (any role when none given); puts them on
    `g.admin`. A token of a deactivated admin, or issued before a password change, is 401;
    a wrong role is 403. Place it right under the route."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            admin = admin_named_by(token_claims(ADMIN))
            if admin is None:
                raise Unauthenticated(details={"reason": "unknown_admin"})
            if roles and admin.role not in roles:
                raise Forbidden(details={"required_roles": list(roles)})
            g.admin = admin
            return view(*args, **kwargs)

        return documented_as_secured(wrapper)

    return decorate
