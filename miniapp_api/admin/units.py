"""Admin endpoints for units: import, reading within one's reach, merge and revoke (rule 8)."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.error_handlers import ErrorSchema
from miniapp_api.errors import Forbidden
from miniapp_api.extensions import db
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.schemas.imports import ImportReportSchema, UploadSchema
from miniapp_api.schemas.units import (
    ChildrenArgs,
    MergeUnitSchema,
    UnitChildrenPageSchema,
    UnitDetailSchema,
)
from miniapp_api.services.reach import reachable_unit
from miniapp_api.services.units import children_of, merge_unit, revoke_unit, unit_detail
from miniapp_api.services.units_import import import_units
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN

blp = Blueprint(
    "admin_units", __name__, url_prefix="/api/v1/admin/units", description="Budget units (admin)"
)
SCOPED = (PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
CHANGERS = (PLATFORM_ADMIN, FINANCE_ADMIN)


@blp.route("/import", methods=["POST"])
@admin_required(*CHANGERS)
@blp.arguments(UploadSchema, location="files")
@blp.response(200, ImportReportSchema)
@blp.alt_response(
    422, schema=ErrorSchema, description="import_rejected: nothing written; the report in details"
)
def import_unit_sheet(files: dict):
    """The platform's unit sheet (.xlsx or .csv): every row checked, all written or none. A
    finance admin imports only units below their own unit."""
    upload = files["file"]
    scope = None if g.admin.role == PLATFORM_ADMIN else g.admin.unit
    if g.admin.role != PLATFORM_ADMIN and scope is None:
        raise Forbidden(details={"reason": "admin_has_no_unit"})
    return import_units(db.session, upload.filename or "", upload.stream, scope=scope).as_dict()


@blp.route("/<int:unit_id>", methods=["GET"])
@admin_required(*SCOPED)
@blp.response(200, UnitDetailSchema)
def read_unit(unit_id: int):
    """A unit within the admin's reach (their own unit and everything below it)."""
    return unit_detail(db.session, reachable_unit(db.session, g.admin, unit_id))


@blp.route("/<int:unit_id>/children", methods=["GET"])
@admin_required(*SCOPED)
@blp.arguments(ChildrenArgs, location="query")
@blp.response(200, UnitChildrenPageSchema)
def read_children(args: dict, unit_id: int):
    """The unit's direct children (every status), in id order, paged."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    after = decode_cursor(args["cursor"], (ID,))[0] if args.get("cursor") else None
    rows = children_of(db.session, unit, after_id=after, limit=args["limit"])
    items, next_cursor = page_of(rows, args["limit"], lambda child: [child.id])
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<int:unit_id>/merge", methods=["POST"])
@admin_required(*CHANGERS)
@blp.arguments(MergeUnitSchema)
@blp.response(200, UnitDetailSchema)
@blp.alt_response(409, description="unit_inactive or unit_has_children")
def merge(body: dict, unit_id: int):
    """Merge the unit into another: it can no longer be chosen for binding, its employees are
    offered the successor, and its past figures stay with it."""
    unit = _changeable(unit_id)
    into = reachable_unit(db.session, g.admin, body["into_unit_id"])
    return unit_detail(db.session, merge_unit(db.session, unit, into))


@blp.route("/<int:unit_id>/revoke", methods=["POST"])
@admin_required(*CHANGERS)
@blp.response(200, UnitDetailSchema)
@blp.alt_response(409, description="unit_inactive or unit_has_children")
def revoke(unit_id: int):
    """Revoke the unit: it can no longer be chosen for binding; its past figures stay."""
    return unit_detail(db.session, revoke_unit(db.session, _changeable(unit_id)))


def _changeable(unit_id: int):
    """A finance admin changes units below their own unit, not their own unit itself."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    if g.admin.role != PLATFORM_ADMIN and unit.id == g.admin.unit_id:
        raise Forbidden(details={"reason": "cannot_change_own_unit"})
    return unit
