"""Admin login with username and password."""

from flask import g, request
from flask_smorest import Blueprint

from miniapp_api.auth import ADMIN, admin_required, issue_token
from miniapp_api.extensions import client_address, db, limit_wrong_guesses
from miniapp_api.schemas.admins import (
    AdminLoginResultSchema,
    AdminLoginSchema,
    PasswordChangeSchema,
)
from miniapp_api.services.admins import authenticate_admin, change_own_password

blp = Blueprint("admin_auth", __name__, url_prefix="/api/v1/admin/auth", description="Admin login")


def _username_and_address() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return f"{client_address()}|{str(username)[:64].strip().lower()}"


def _failed(response) -> bool:
    return response.status_code == 401


@blp.route("/login", methods=["POST"])
# Only wrong passwords count: per username from one address, and per address over all names.
@limit_wrong_guesses("ADMIN_LOGIN_FAILURE_LIMIT", _failed, key_func=_username_and_address)
@limit_wrong_guesses("ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT", _failed)
@blp.arguments(AdminLoginSchema)
@blp.response(200, AdminLoginResultSchema)
@blp.alt_response(401, description="invalid_credentials")
@blp.alt_response(429, description="too_many_attempts, with Retry-After")
def admin_login(body: dict):
    """Log in with username and password; the token works on admin routes only."""
    admin = authenticate_admin(db.session, body["username"], body["password"])
    token, expires_in = issue_token(ADMIN, admin)
    return {"token": token, "expires_in": expires_in, "admin": admin}


def _wrong_current_password(response) -> bool:
    body = response.get_json(silent=True) or {}
    details = (body.get("error") or {}).get("details") or {}
    return response.status_code == 422 and "current_password" in details


@blp.route("/password", methods=["POST"])
# wrong current passwords count like wrong login passwords: a stolen token cannot guess on
@limit_wrong_guesses(
    "ADMIN_LOGIN_FAILURE_LIMIT",
    _wrong_current_password,
    key_func=lambda: f"{client_address()}|password-change",
)
@admin_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(200, AdminLoginResultSchema)
@blp.alt_response(429, description="too_many_attempts, with Retry-After")
def change_password(body: dict):
    """Change one's own password (the current one first). Every token issued before stops
    working, this one included: the answer carries a new token. Recorded in the audit log as
    `admin.set_password`.

    422 `invalid_request` when the current password is wrong or the new one is too short."""
    admin = change_own_password(db.session, g.admin, body["current_password"], body["new_password"])
    token, expires_in = issue_token(ADMIN, admin)
    return {"token": token, "expires_in": expires_in, "admin": admin}
