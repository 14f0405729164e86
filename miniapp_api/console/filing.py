"""Reserved-share filing in the console (预留份额填报, DOMAIN.md): the unit's form, checked by
FilingBodySchema and save_filing exactly as the API checks a PUT (and lightly in the browser as
the user types); submit; the superior's confirm and return with a reason; the summary with
未全部完成 / 已全部完成 and its spreadsheet. Who may do what is may_file's and may_decide's."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.admin.downloads import xlsx_download
from miniapp_api.console.blueprint import bp
from miniapp_api.console.forms import field_errors, form_body, form_values
from miniapp_api.console.session import login_required
from miniapp_api.console.units import UNIT_ROLES
from miniapp_api.errors import Conflict, Forbidden, InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.schemas.reserved_shares import FilingBodySchema
from miniapp_api.services.reach import reachable_unit
from miniapp_api.services.reserved_share import (
    FILING_FIELDS,
    FilingView,
    filing_view,
    may_file,
    save_filing,
)
from miniapp_api.services.reserved_share_summary import (
    completion_label,
    summary_counts,
    summary_rows,
    summary_workbook,
)
from miniapp_api.services.reserved_share_workflow import (
    confirm_filing,
    may_decide,
    return_filing,
    submit_filing,
)
from miniapp_api.services.sms import deliver_sms
from miniapp_api.sms import sms_sender
from miniapp_api.transaction import commit_early
from models.base import utcnow
from models.money import fen_to_yuan
from models.ratio import hundredths_to_percent
from models.reserved_share import CONFIRMED, DRAFT, RETURNED, STATUS_LABELS, SUBMITTED
from models.unit import Unit

FILING = "/units/<int:unit_id>/filing/<int:year>"
SUMMARY_PER_PAGE = 50
_MONEY_FIELDS = ("canteen_total", "union_total")
_RATIO_FIELDS = ("reserved_ratio", "union_ratio")


def _allowed(check, admin, unit: Unit) -> bool:
    """Whether `check` (may_file, may_decide) lets `admin` act on `unit`: it decides which
    buttons the page shows; the action itself is checked again by its service."""
    try:
        check(admin, unit)
    except (Forbidden, Conflict):
        return False
    return True


def _stored_values(view: FilingView) -> dict[str, str]:
    """The stored filing as the form shows it (yuan and percent strings)."""
    filing = view.filing
    if filing is None:
        return {"has_canteen": "true", "has_union_need": "false"}
    values: dict[str, str] = {}
    for name in FILING_FIELDS:
        value = getattr(filing, name)
        if value is None:
            values[name] = ""
        elif name in _MONEY_FIELDS:
            values[name] = fen_to_yuan(value)
        elif name in _RATIO_FIELDS:
            values[name] = hundredths_to_percent(value)
        elif isinstance(value, bool):
            values[name] = "true" if value else "false"
        else:
            values[name] = str(value)
    return values


def _filing_page(unit: Unit, year: int, values=None, errors=None, status: int = 200):
    view = filing_view(db.session, unit, year)
    may_edit = _allowed(may_file, g.admin, unit) and view.status != CONFIRMED
    page = render_template(
        "filing.html",
        unit=unit,
        year=year,
        view=view,
        filing=view.filing,
        status_label=STATUS_LABELS[view.status],
        values=values if values is not None else _stored_values(view),
        errors=errors or {},
        may_edit=may_edit,
        may_submit=may_edit and view.status in (DRAFT, RETURNED),
        may_decide=_allowed(may_decide, g.admin, unit) and view.status in (SUBMITTED, CONFIRMED),
        min_ratio=hundredths_to_percent(view.policy.min_ratio),
        events=view.filing.events if view.filing is not None else [],
    )
    return page, status


@bp.route(FILING, methods=["GET"])
@login_required(*UNIT_ROLES)
def filing_page(unit_id: int, year: int):
    return _filing_page(reachable_unit(db.session, g.admin, unit_id), year)


@bp.route(FILING, methods=["POST"])
@login_required(*UNIT_ROLES)
def filing_save(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    values = form_values(FILING_FIELDS)
    try:
        schema = FilingBodySchema()
        body = schema.load(form_body(FILING_FIELDS, schema))
        save_filing(db.session, g.admin, unit, year, body)
    except ma.ValidationError as error:
        return _filing_page(unit, year, values, field_errors(error), 422)
    except InvalidRequest as error:
        return _filing_page(unit, year, values, field_errors(error), 422)
    flash("已保存")
    return redirect(url_for("console.filing_page", unit_id=unit.id, year=year))


@bp.route(f"{FILING}/submit", methods=["POST"])
@login_required(*UNIT_ROLES)
def filing_submit(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    try:
        submit_filing(db.session, g.admin, unit, year)
    except InvalidRequest as error:
        values = _stored_values(filing_view(db.session, unit, year))
        return _filing_page(unit, year, values, field_errors(error), 422)
    flash("已提交，待上级确认")
    return redirect(url_for("console.filing_page", unit_id=unit.id, year=year))


@bp.route(f"{FILING}/confirm", methods=["POST"])
@login_required(*UNIT_ROLES)
def filing_confirm(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    confirm_filing(db.session, g.admin, unit, year)
    flash("已确认")
    return redirect(url_for("console.filing_page", unit_id=unit.id, year=year))


@bp.route(f"{FILING}/return", methods=["POST"])
@login_required(*UNIT_ROLES)
def filing_return(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    try:
        _view, message = return_filing(
            db.session, g.admin, unit, year, request.form.get("reason", "")
        )
    except InvalidRequest as error:
        values = _stored_values(filing_view(db.session, unit, year))
        return _filing_page(unit, year, values, field_errors(error), 422)
    commit_early(db.session, "the return is committed before the SMS provider is called")
    deliver_sms(db.session, sms_sender(), message, utcnow())
    flash("已退回，并已短信通知填报联系人")
    return redirect(url_for("console.filing_page", unit_id=unit.id, year=year))


@bp.route(f"{FILING}/summary", methods=["GET"])
@login_required(*UNIT_ROLES)
def filing_summary(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    rows, next_cursor = summary_rows(
        db.session,
        unit,
        year,
        include_self=True,
        limit=SUMMARY_PER_PAGE,
        cursor=request.args.get("cursor") or None,
    )
    counts = summary_counts(db.session, unit, year, include_self=True)
    all_confirmed, label = completion_label(counts)
    return render_template(
        "filing_summary.html",
        unit=unit,
        year=year,
        rows=rows,
        next_cursor=next_cursor,
        counts=counts,
        all_confirmed=all_confirmed,
        label=label,
        labels=STATUS_LABELS,
    )


@bp.route(f"{FILING}/summary.xlsx", methods=["GET"])
@login_required(*UNIT_ROLES)
def filing_summary_sheet(unit_id: int, year: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    content = summary_workbook(db.session, unit, year, include_self=True)
    return xlsx_download(content, f"reserved-shares-{unit.id}-{year}.xlsx")
