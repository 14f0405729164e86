"""Reserved-share filing (预留份额填报): a unit files for itself, its superiors confirm or return,
and see a summary of everything below them; minimum-ratio policies; the SMS outbox."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from miniapp_api.admin.downloads import XLSX, xlsx_download
from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.schemas.common import PageArgs
from miniapp_api.schemas.ledger import YearArgs
from miniapp_api.schemas.reserved_shares import (
    FilingBodySchema,
    FilingReturnSchema,
    FilingSchema,
    FilingSummaryArgs,
    FilingSummaryPageSchema,
    SharePolicyBodySchema,
    SharePolicySchema,
    SmsOutboxPageSchema,
)
from miniapp_api.services.reach import reachable_unit
from miniapp_api.services.reserved_share import filing_view, save_filing
from miniapp_api.services.reserved_share_summary import (
    completion_label,
    summary_counts,
    summary_rows,
    summary_workbook,
)
from miniapp_api.services.reserved_share_workflow import (
    confirm_filing,
    return_filing,
    submit_filing,
)
from miniapp_api.services.share_policy import effective_policy, own_policy, set_share_policy
from miniapp_api.services.sms import deliver_sms, outbox_page
from miniapp_api.sms import sms_sender
from miniapp_api.transaction import commit_early
from models.admin import PLATFORM_ADMIN
from models.base import utcnow
from models.unit import Unit

blp = Blueprint(
    "admin_reserved_shares",
    __name__,
    url_prefix="/api/v1/admin",
    description="Reserved-share filing, its confirmation and summary; share policies",
)
FILING = "/units/<int:unit_id>/reserved-shares/<int:year>"


@blp.route(FILING, methods=["GET"])
@admin_required()
@blp.response(200, FilingSchema)
def read_filing(unit_id: int, year: int):
    """The unit's filing for the year (status `unfiled` and empty fields before the first
    save), with the minimum ratio in force and the history of its moves."""
    return filing_view(db.session, reachable_unit(db.session, g.admin, unit_id), year)


@blp.route(FILING, methods=["PUT"])
@admin_required()
@blp.arguments(FilingBodySchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, description="invalid_state: a confirmed filing is read-only")
def put_filing(body: dict, unit_id: int, year: int):
    """Save the unit's own filing whole (the unit's finance or unit admins, or the platform).
    Without a canteen the remark is exactly 无食堂, or 共用XX单位食堂 / 共用XX食堂. A ratio below
    the policy in force is 422 naming the rule and the minimum."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    return save_filing(db.session, g.admin, unit, year, body)


@blp.route(f"{FILING}/submit", methods=["POST"])
@admin_required()
@blp.response(200, FilingSchema)
@blp.alt_response(409, description="invalid_state: only a draft or returned filing is submitted")
def submit(unit_id: int, year: int):
    """Hand the filing to the superior: draft or returned → submitted (待上级确认)."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    return submit_filing(db.session, g.admin, unit, year)


@blp.route(f"{FILING}/confirm", methods=["POST"])
@admin_required()
@blp.response(200, FilingSchema)
@blp.alt_response(409, description="invalid_state: only a submitted filing is confirmed")
def confirm(unit_id: int, year: int):
    """A superior confirms: submitted → confirmed (the direct superior's admins, a finance
    admin above, or the platform; a unit without a superior: the platform)."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    return confirm_filing(db.session, g.admin, unit, year)


@blp.route(f"{FILING}/return", methods=["POST"])
@admin_required()
@blp.arguments(FilingReturnSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, description="invalid_state: only a submitted or confirmed filing")
def return_(body: dict, unit_id: int, year: int):
    """A superior returns the filing with a reason; the contact gets an SMS. The return and
    its queued message are committed before the SMS provider is called, so a failing provider
    never undoes the return: the jobs runner tries the message again."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    view, message = return_filing(db.session, g.admin, unit, year, body["reason"])
    commit_early(db.session, "the return is committed before the SMS provider is called")
    deliver_sms(db.session, sms_sender(), message, utcnow())
    return view


@blp.route(f"{FILING}/summary", methods=["GET"])
@admin_required()
@blp.arguments(FilingSummaryArgs, location="query")
@blp.response(200, FilingSummaryPageSchema)
def read_summary(args: dict, unit_id: int, year: int):
    """One row per unit below (and the unit itself with include_self=true), in tree order,
    paged; counts and the label (未全部完成 / 已全部完成) over the whole subtree."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    items, next_cursor = summary_rows(
        db.session,
        unit,
        year,
        include_self=args["include_self"],
        status=args["status"],
        limit=args["limit"],
        cursor=args["cursor"],
    )
    counts = summary_counts(db.session, unit, year, include_self=args["include_self"])
    all_confirmed, label = completion_label(counts)
    return {
        "year": year,
        "items": items,
        "next_cursor": next_cursor,
        "counts": counts,
        "all_confirmed": all_confirmed,
        "label": label,
    }


@blp.route(f"{FILING}/summary.xlsx", methods=["GET"])
@admin_required()
@blp.arguments(FilingSummaryArgs, location="query")
@blp.response(200, description="the summary as an .xlsx spreadsheet", content_type=XLSX)
def download_summary(args: dict, unit_id: int, year: int):
    """Every row of the summary as the platform's sheet, and the label in the last row."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    content = summary_workbook(db.session, unit, year, include_self=args["include_self"])
    return xlsx_download(content, f"reserved-shares-{unit.id}-{year}.xlsx")


def _policy_answer(unit: Unit, year: int) -> dict:
    own = own_policy(db.session, unit, year)
    return {
        "unit": unit,
        "year": year,
        "min_ratio": own.min_ratio if own else None,
        "not_below_last_year": own.not_below_last_year if own else False,
        "effective": effective_policy(db.session, unit, year),
    }


@blp.route("/units/<int:unit_id>/share-policy", methods=["GET"])
@admin_required()
@blp.arguments(YearArgs, location="query")
@blp.response(200, SharePolicySchema)
def read_share_policy(args: dict, unit_id: int):
    """The unit's own policy in force for the year, and the effective one for its filings."""
    return _policy_answer(reachable_unit(db.session, g.admin, unit_id), args["year"])


@blp.route("/units/<int:unit_id>/share-policy", methods=["PUT"])
@admin_required()
@blp.arguments(SharePolicyBodySchema)
@blp.response(200, SharePolicySchema)
def put_share_policy(body: dict, unit_id: int):
    """Set the minimum for the unit's subtree from `year` on (the platform, or the unit's own
    finance admin). The strictest policy along a unit's path applies, never below 10%.

    422 `invalid_request` for a `min_ratio` below the national 10."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    set_share_policy(
        db.session,
        g.admin,
        unit,
        year=body["year"],
        min_ratio=body["min_ratio"],
        not_below_last_year=body["not_below_last_year"],
    )
    return _policy_answer(unit, body["year"])


@blp.route("/sms-outbox", methods=["GET"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, SmsOutboxPageSchema)
def read_sms_outbox(args: dict):
    """Messages sent (or waiting to be sent) through the SMS sender, newest first."""
    items, next_cursor = outbox_page(db.session, limit=args["limit"], cursor=args["cursor"])
    return {"items": items, "next_cursor": next_cursor}
