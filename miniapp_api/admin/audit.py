"""The audit log: who changed what (STYLE.md: every admin change leaves an audit row)."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.schemas.audit import AuditLogArgs, AuditPageSchema
from miniapp_api.services.audit import audit_entries
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.audit import AUDIT_ACTIONS

blp = Blueprint("admin_audit", __name__, url_prefix="/api/v1/admin", description="Who changed what")


DESCRIPTION = (
    "Each item: `{id, at, admin: {id, username}, action, target: {type, id, name}, details}`. "
    'The CLI\'s changes show `admin: {id: null, username: "operator"}`. Platform admins read '
    "every change; finance and unit admins the changes to units within their reach. "
    "Actions: " + ", ".join(f"`{name}`" for name in AUDIT_ACTIONS) + "."
)


@blp.route("/audit-log", methods=["GET"])
@admin_required(PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
@blp.doc(description=DESCRIPTION)
@blp.arguments(AuditLogArgs, location="query")
@blp.response(200, AuditPageSchema)
def read_audit_log(args: dict):
    """Admin changes, newest first, filtered by `action` and `admin_id`."""
    items, next_cursor = audit_entries(
        db.session,
        g.admin,
        action=args.get("action"),
        admin_id=args.get("admin_id"),
        limit=args["limit"],
        cursor=args["cursor"],
    )
    return {"items": items, "next_cursor": next_cursor}
