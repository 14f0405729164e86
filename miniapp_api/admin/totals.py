"""A unit's annual purchase totals for its admins and superiors (DOMAIN.md rules 6 and 7)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from miniapp_api.admin.downloads import XLSX, xlsx_download
from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.schemas.imports import ImportReportSchema, UploadSchema
from miniapp_api.schemas.ledger import (
    ChildrenTotalsSchema,
    EntriesArgs,
    EntryPageSchema,
    TotalsSchema,
    YearArgs,
)
from miniapp_api.services.audit import record_import
from miniapp_api.services.canteen_import import import_canteen_entries
from miniapp_api.services.reach import reachable_unit
from miniapp_api.services.totals import children_figures, own_entries, unit_figures
from miniapp_api.services.totals_sheet import totals_workbook
from models.admin import PLATFORM_ADMIN

blp = Blueprint(
    "admin_totals",
    __name__,
    url_prefix="/api/v1/admin",
    description="Annual purchase totals and the entries behind them",
)


@blp.route("/units/<int:unit_id>/totals", methods=["GET"])
@admin_required()
@blp.arguments(YearArgs, location="query")
@blp.response(200, TotalsSchema)
def read_totals(args: dict, unit_id: int):
    """The unit's own figures and those of itself and every unit below it, by source."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    return unit_figures(db.session, unit, args["year"])


@blp.route("/units/<int:unit_id>/totals/children", methods=["GET"])
@admin_required()
@blp.arguments(YearArgs, location="query")
@blp.response(200, ChildrenTotalsSchema)
def read_children_totals(args: dict, unit_id: int):
    """One row per direct child: its own figures and its subtree's."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    return {"year": args["year"], "items": children_figures(db.session, unit, args["year"])}


@blp.route("/units/<int:unit_id>/entries", methods=["GET"])
@admin_required()
@blp.arguments(EntriesArgs, location="query")
@blp.response(200, EntryPageSchema)
def list_entries(args: dict, unit_id: int):
    """The counted entries behind the unit's own figure for the year, newest first."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    items, next_cursor = own_entries(
        db.session,
        unit,
        args["year"],
        source=args["source"],
        limit=args["limit"],
        cursor=args["cursor"],
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/units/<int:unit_id>/totals.xlsx", methods=["GET"])
@admin_required()
@blp.arguments(YearArgs, location="query")
@blp.response(200, description="the totals as an .xlsx spreadsheet", content_type=XLSX)
def download_totals(args: dict, unit_id: int):
    """The unit itself, one row per direct child and the sum, as a spreadsheet."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    year = args["year"]
    content = totals_workbook(
        unit_figures(db.session, unit, year), children_figures(db.session, unit, year)
    )
    return xlsx_download(content, f"totals-{unit.id}-{year}.xlsx")


@blp.route("/entries/import", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(UploadSchema, location="files")
@blp.response(200, ImportReportSchema)
def upload_canteen_entries(files: dict):
    """Import canteen purchases from the trading site (.xlsx or .csv); all rows or nothing.

    422 `invalid_file` (not a readable .xlsx or .csv) or `import_rejected` (a bad row)."""
    upload = files["file"]
    report = import_canteen_entries(db.session, upload.filename or "", upload.stream)
    record_import(db.session, g.admin, "entries.import", upload.filename or "", report)
    return report.as_dict()
