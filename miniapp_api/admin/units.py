"""Admin endpoints for units: lists and reading within one's reach, import, merge and revoke
(rule 8), and the employees bound to a unit."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.error_handlers import ErrorSchema
from miniapp_api.extensions import db
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.schemas.common import PageArgs
from miniapp_api.schemas.imports import ImportReportSchema, UploadSchema
from miniapp_api.schemas.units import (
    BoundEmployeePageSchema,
    ChildrenArgs,
    MergeUnitSchema,
    UnitChildrenPageSchema,
    UnitDetailSchema,
    UnitListArgs,
    UnitPageSchema,
)
from miniapp_api.services.admin_lists import bound_employees, end_binding, units_in_reach
from miniapp_api.services.audit import record_import
from miniapp_api.services.reach import changeable_unit, import_scope, reachable_unit
from miniapp_api.services.units import children_of, merge_unit, revoke_unit, unit_detail
from miniapp_api.services.units_import import import_units
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.base import utcnow

blp = Blueprint(
    "admin_units", __name__, url_prefix="/api/v1/admin/units", description="Budget units (admin)"
)
SCOPED = (PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
CHANGERS = (PLATFORM_ADMIN, FINANCE_ADMIN)


@blp.route("", methods=["GET"])
@admin_required(*SCOPED)
@blp.arguments(UnitListArgs, location="query")
@blp.response(200, UnitPageSchema)
def list_units(args: dict):
    """Units within the admin's reach (every unit for platform admins), any status, whose
    name or credit code contains `q`, in id order, paged."""
    items, next_cursor = units_in_reach(
        db.session, g.admin, q=args.get("q"), limit=args["limit"], cursor=args["cursor"]
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/import", methods=["POST"])
@admin_required(*CHANGERS)
@blp.arguments(UploadSchema, location="files")
@blp.response(200, ImportReportSchema)
@blp.alt_response(
    422, schema=ErrorSchema, description="import_rejected: nothing written; the report in details"
)
def import_unit_sheet(files: dict):
    """The platform's unit sheet (.xlsx or .csv): every row checked, all written or none. A
    finance admin imports only units below their own unit.

    422 `invalid_file` (not a readable .xlsx or .csv) or `import_rejected` (a bad row)."""
    upload = files["file"]
    scope = import_scope(g.admin)
    report = import_units(db.session, upload.filename or "", upload.stream, scope=scope)
    record_import(db.session, g.admin, "unit.import", upload.filename or "", report, unit=scope)
    return report.as_dict()


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
    offered the successor, and its past figures stay with it.

    422 `invalid_request` when merging a unit into itself."""
    unit = changeable_unit(db.session, g.admin, unit_id)
    into = reachable_unit(db.session, g.admin, body["into_unit_id"])
    return unit_detail(db.session, merge_unit(db.session, unit, into, by=g.admin))


@blp.route("/<int:unit_id>/revoke", methods=["POST"])
@admin_required(*CHANGERS)
@blp.response(200, UnitDetailSchema)
@blp.alt_response(409, description="unit_inactive or unit_has_children")
def revoke(unit_id: int):
    """Revoke the unit: it can no longer be chosen for binding; its past figures stay."""
    unit = changeable_unit(db.session, g.admin, unit_id)
    return unit_detail(db.session, revoke_unit(db.session, unit, by=g.admin))


@blp.route("/<int:unit_id>/employees", methods=["GET"])
@admin_required(*SCOPED)
@blp.arguments(PageArgs, location="query")
@blp.response(200, BoundEmployeePageSchema)
def list_bound_employees(args: dict, unit_id: int):
    """The employees bound to the unit now (binding is self-service): masked phone, bound
    since, and this year's personal purchases, in binding order, paged."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    items, next_cursor = bound_employees(
        db.session, unit, now=utcnow(), limit=args["limit"], cursor=args["cursor"]
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<int:unit_id>/employees/<int:employee_id>", methods=["DELETE"])
@admin_required(*SCOPED)
@blp.response(204)
@blp.alt_response(404, description="binding_not_found: the employee is not bound to the unit")
def end_employee_binding(unit_id: int, employee_id: int):
    """End a binding that does not belong to the unit. The employee's past orders keep the
    unit they were placed under, so past figures stay counted. Audited as `binding.end`."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    end_binding(db.session, g.admin, unit, employee_id)
