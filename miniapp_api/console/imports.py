"""Imports in the console: the platform's units, catalogue and canteen purchases, and finance
admins' units below their own unit (`import_scope`, as POST /admin/units/import); each through
its importer (all rows or nothing) and recorded in the audit log as the admin API records it;
a rejected file comes back as a table of its bad rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import g, render_template, request
from sqlalchemy.orm import Session

from miniapp_api.console.blueprint import bp
from miniapp_api.console.errors import field_messages
from miniapp_api.console.session import login_required
from miniapp_api.errors import DomainError, Forbidden
from miniapp_api.extensions import db
from miniapp_api.response_cache import clear_response_cache
from miniapp_api.services.audit import record_import
from miniapp_api.services.canteen_import import import_canteen_entries
from miniapp_api.services.catalog_import import import_catalog
from miniapp_api.services.reach import import_scope
from miniapp_api.services.sheets import ERROR, ImportRejected
from miniapp_api.services.units_import import import_units
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN
from models.unit import Unit


@dataclass(frozen=True)
class ImportKind:
    title: str
    action: str  # the audit log's action, as the admin API writes it
    run: Callable  # (session, filename, stream, scope) -> ImportReport
    roles: tuple[str, ...] = (PLATFORM_ADMIN,)
    after: Callable[[], None] | None = None


def _units(session: Session, filename: str, stream, scope: Unit | None):
    return import_units(session, filename, stream, scope=scope)


IMPORTS = {
    "units": ImportKind("单位导入", "unit.import", _units, (PLATFORM_ADMIN, FINANCE_ADMIN)),
    "catalog": ImportKind(
        "商品导入",
        "catalog.import",
        lambda s, name, stream, _scope: import_catalog(s, name, stream),
        after=clear_response_cache,
    ),
    "entries": ImportKind(
        "食堂采购导入",
        "entries.import",
        lambda s, name, stream, _scope: import_canteen_entries(s, name, stream),
    ),
}


def _imports_page(kind: str | None = None, **result):
    status = result.pop("status", 200)
    mine = {key: what for key, what in IMPORTS.items() if g.admin.role in what.roles}
    scope = import_scope(g.admin)
    page = render_template("imports.html", imports=mine, kind=kind, scope=scope, **result)
    return page, status


@bp.route("/imports", methods=["GET"])
@login_required(PLATFORM_ADMIN, FINANCE_ADMIN)
def imports_page():
    return _imports_page()


@bp.route("/imports/<kind>", methods=["POST"])
@login_required(PLATFORM_ADMIN, FINANCE_ADMIN)
def import_upload(kind: str):
    what = IMPORTS.get(kind)
    if what is None:
        return _imports_page(status=404, file_error="不支持的导入类型")
    if g.admin.role not in what.roles:
        raise Forbidden(details={"required_roles": list(what.roles)})
    scope = import_scope(g.admin)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _imports_page(kind, file_error="请选择要上传的文件（.xlsx 或 .csv）", status=422)
    try:
        report = what.run(db.session, upload.filename, upload.stream, scope)
    except ImportRejected as rejected:
        answer = rejected.report.as_dict()
        bad_rows = [row for row in answer["rows"] if row["status"] == ERROR]
        return _imports_page(kind, report=answer, bad_rows=bad_rows, rejected=True, status=422)
    except DomainError as error:  # the file itself (its type, its size): said beside the field
        reasons = "；".join(field_messages(error.details))
        message = f"{error.message}：{reasons}" if reasons else error.message
        return _imports_page(kind, file_error=message, status=error.status)
    record_import(db.session, g.admin, what.action, upload.filename, report, unit=scope)
    if what.after is not None:
        what.after()
    return _imports_page(kind, report=report.as_dict(), rejected=False)
