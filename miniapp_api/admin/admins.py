"""Admin accounts, for platform admins: list, create, disable (API.md "Admin API")."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.errors import InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.schemas.admins import AdminListArgs, AdminPageSchema, AdminSchema, NewAdminSchema
from miniapp_api.schemas.common import MAX_ID
from miniapp_api.services.admins import admin_by_id, create_admin, disable_admin, list_admins
from models.admin import PLATFORM_ADMIN

blp = Blueprint(
    "admin_admins", __name__, url_prefix="/api/v1/admin/admins", description="Admin accounts"
)


@blp.route("", methods=["GET"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(AdminListArgs, location="query")
@blp.response(200, AdminPageSchema)
def read_admins(args: dict):
    """Admin accounts in id order, paged; `role` keeps one role, `q` matches part of the
    username. Disabled accounts are listed too (`active: false`)."""
    after = decode_cursor(args["cursor"], (ID,))[0] if args.get("cursor") else None
    if after is not None and not 0 <= after <= MAX_ID:
        raise InvalidRequest(details={"cursor": ["游标无效，请从第一页重新加载"]})
    rows = list_admins(
        db.session, role=args["role"], q=args["q"], after_id=after, limit=args["limit"]
    )
    items, next_cursor = page_of(rows, args["limit"], lambda admin: [admin.id])
    return {"items": items, "next_cursor": next_cursor}


@blp.route("", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(NewAdminSchema)
@blp.response(201, AdminSchema)
@blp.alt_response(409, description="username_taken")
def add_admin(body: dict):
    """Create an admin account: finance, unit and union admins need `unit_id` (an active
    unit), suppliers need `supplier_id`; the password has at least 8 characters. Recorded in
    the audit log as `admin.create`."""
    return create_admin(
        db.session,
        username=body["username"],
        password=body["password"],
        role=body["role"],
        unit_id=body["unit_id"],
        supplier_id=body["supplier_id"],
        by=g.admin,
    )


@blp.route("/<int:admin_id>/disable", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@blp.response(200, AdminSchema)
@blp.alt_response(
    409, description="invalid_state (already disabled), cannot_disable_self, last_platform_admin"
)
def disable(admin_id: int):
    """Disable an account: it cannot log in again and every token it holds stops working now.
    A platform admin cannot disable themselves or the last active platform admin. Recorded in
    the audit log as `admin.disable`."""
    return disable_admin(db.session, admin_by_id(db.session, admin_id), by=g.admin)
