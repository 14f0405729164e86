"""Union pages (工会): the profile, progress against the union standard as a chart (seed 004),
the batches with their figures, ordering one, the codes spreadsheet and voiding a code; the
platform sees every batch and marks one paid (rule 3). Everything goes through the same
services as the admin API (voucher_batches, union, vouchers, voucher_sheet).

Ordering a batch is guarded like `POST /admin/voucher-batches` with an Idempotency-Key: the
form carries a one-time key made when it is shown, and the same form sent twice (a double
click, a reload, the back button) creates one batch and shows it the second time."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.admin.downloads import xlsx_download
from miniapp_api.console.blueprint import bp
from miniapp_api.console.formatting import year_argument
from miniapp_api.console.forms import (
    china_day_start,
    china_moment,
    field_errors,
    form_body,
    form_values,
)
from miniapp_api.console.session import login_required
from miniapp_api.errors import Conflict, InvalidRequest, NotFound
from miniapp_api.extensions import db
from miniapp_api.idempotency import is_valid_key, request_hash, run_once
from miniapp_api.schemas.vouchers import (
    BatchCreateSchema,
    CodeSchema,
    MarkPaidSchema,
    UnionProfileSchema,
)
from miniapp_api.services.idempotency import IdempotencyKeyReused, RequestInProgress
from miniapp_api.services.union import union_profile, union_progress, update_union_profile
from miniapp_api.services.voucher_batches import (
    batch_figures,
    batch_within_reach,
    create_batch,
    list_batches,
    mark_batch_paid,
)
from miniapp_api.services.voucher_sheet import codes_workbook
from miniapp_api.services.vouchers import void_voucher
from miniapp_api.voucher_keys import code_keys
from models.admin import PLATFORM_ADMIN, UNION_ADMIN
from models.money import fen_to_yuan
from models.voucher import BATCH_ACTIVE, BATCH_UNPAID

BATCHES_PER_PAGE = 20
BATCH_FIELDS = ("title", "face_value", "quantity", "valid_from", "valid_last_day")
ONCE_FIELD = "idempotency_key"
FORM_REUSED = (
    "此表单已提交过并已创建批次，这次的内容与第一次不同，未再创建；"
    "如需另建一个批次，请核对后再次提交"
)
FORM_IN_PROGRESS = "此表单正在提交，请稍候再点一次“创建批次”：不会重复创建"
PAID_FIELDS = ("paid_at", "reference", "amount")
BATCH_STATUS_NAMES = {"unpaid": "待付款", "active": "已生效", "expired": "已过期"}


@bp.app_template_filter("batch_status")
def batch_status(status: str) -> str:
    return BATCH_STATUS_NAMES.get(status, status)


def _progress_chart(progress) -> dict:
    targets = [
        ("已采购", progress.spent),
        ("人均300元目标", progress.per_member_target),
        ("福利费15%目标", progress.welfare_share_target),
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 80, "right": 20, "top": 30, "bottom": 30},
        "xAxis": {"type": "category", "data": [name for name, _ in targets]},
        "yAxis": {"type": "value", "name": "元"},
        "series": [{"type": "bar", "data": [fen_to_yuan(amount) for _, amount in targets]}],
    }


def _union_page(profile_values=None, errors=None, void_errors=None, status: int = 200):
    year = year_argument()
    profile = union_profile(db.session, g.admin)
    progress = union_progress(db.session, g.admin, year)
    batches, next_cursor = list_batches(db.session, g.admin, limit=BATCHES_PER_PAGE, cursor=None)
    values = profile_values or {
        "member_count": str(profile.member_count),
        "welfare_total": fen_to_yuan(profile.welfare_total),
    }
    page = render_template(
        "union.html",
        year=year,
        progress=progress,
        chart=_progress_chart(progress),
        values=values,
        errors=errors or {},
        void_errors=void_errors or {},
        batches=batches,
        figures=batch_figures(db.session, batches),
        more=next_cursor is not None,
    )
    return page, status


@bp.route("/union", methods=["GET"])
@login_required(UNION_ADMIN)
def union_page():
    return _union_page()


@bp.route("/union/profile", methods=["POST"])
@login_required(UNION_ADMIN)
def union_profile_save():
    names = ("member_count", "welfare_total")
    try:
        body = UnionProfileSchema().load(form_body(names))
    except ma.ValidationError as error:
        return _union_page(form_values(names), field_errors(error), status=422)
    update_union_profile(db.session, g.admin, **body)
    flash("已保存工会信息")
    return redirect(url_for("console.union_page"))


@bp.route("/vouchers/void", methods=["POST"])
@login_required(UNION_ADMIN)
def voucher_void():
    try:
        body = CodeSchema().load(form_body(("code",)))
        voucher = void_voucher(db.session, g.admin, body["code"], code_keys(), now=_now())
    except ma.ValidationError:
        return _union_page(void_errors={"code": "请输入提货券码"}, status=422)
    except (NotFound, Conflict) as error:
        return _union_page(void_errors={"code": error.message}, status=error.status)
    flash(f"已作废提货券（批次 {voucher.batch_id}）")
    return redirect(url_for("console.union_page"))


@bp.route("/batches", methods=["GET"])
@login_required(UNION_ADMIN, PLATFORM_ADMIN)
def batch_list():
    batches, next_cursor = list_batches(
        db.session, g.admin, limit=BATCHES_PER_PAGE, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "batches.html",
        batches=batches,
        figures=batch_figures(db.session, batches),
        next_cursor=next_cursor,
    )


def _new_batch_page(values=None, errors=None, status: int = 200, *, fresh_key: bool = False):
    """The order form, with the one-time key it was sent with (kept while nothing was created
    with it) or a new one."""
    values = dict(values or {})
    if fresh_key or not is_valid_key(values.get(ONCE_FIELD, "")):
        values[ONCE_FIELD] = secrets.token_urlsafe(24)
    return render_template("batch_new.html", values=values, errors=errors or {}), status


@bp.route("/batches/new", methods=["GET"])
@login_required(UNION_ADMIN)
def batch_new():
    return _new_batch_page()


@bp.route("/batches", methods=["POST"])
@login_required(UNION_ADMIN)
def batch_create():
    values = form_values((*BATCH_FIELDS, ONCE_FIELD))
    key = values[ONCE_FIELD]
    if not is_valid_key(key):
        return _new_batch_page(values, {"_form": "页面已过期，请核对后重新提交"}, 400)
    body = form_body(BATCH_FIELDS)
    fingerprint = request_hash(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
    try:
        return run_once(
            key,
            fingerprint,
            lambda: _create_batch(body, values),
            replay=_created_before,
            kept=lambda response: response.location or "",
        )
    except IdempotencyKeyReused:
        return _new_batch_page(values, {"_form": FORM_REUSED}, 422, fresh_key=True)
    except RequestInProgress:
        return _new_batch_page(values, {"_form": FORM_IN_PROGRESS}, 409)


def _create_batch(body: dict, values: dict):
    if "valid_from" in body:
        body["valid_from"] = china_day_start(body["valid_from"])
    if "valid_last_day" in body:  # the last valid day, inclusive: valid until the next day
        body["valid_until"] = china_day_start(body.pop("valid_last_day"), next_day=True)
    try:
        batch = create_batch(db.session, g.admin, **BatchCreateSchema().load(body))
    except (ma.ValidationError, InvalidRequest) as error:
        errors = field_errors(error)
        if "valid_until" in errors:
            errors["valid_last_day"] = errors.pop("valid_until")
        return _new_batch_page(values, errors, 422)
    except Conflict as error:  # the union's unit merged or revoked (rule 8)
        return _new_batch_page(values, {"_form": error.message}, error.status)
    flash("已创建批次，待平台确认付款后生成券码")
    return redirect(url_for("console.batch_page", batch_id=batch.id))


def _created_before(status: int, location: str):
    """The same form sent again: the batch it created the first time."""
    flash("此表单已提交过，批次已创建，未重复创建")
    return redirect(location)


def _batch_page(batch_id: int, values=None, errors=None, status: int = 200):
    batch = batch_within_reach(db.session, g.admin, batch_id)
    page = render_template(
        "batch.html",
        batch=batch,
        figures=batch_figures(db.session, [batch])[batch.id],
        may_mark_paid=g.admin.role == PLATFORM_ADMIN and batch.status == BATCH_UNPAID,
        may_download=g.admin.role == UNION_ADMIN and batch.status == BATCH_ACTIVE,
        values=values or {"amount": fen_to_yuan(batch.amount)},
        errors=errors or {},
    )
    return page, status


@bp.route("/batches/<int:batch_id>", methods=["GET"])
@login_required(UNION_ADMIN, PLATFORM_ADMIN)
def batch_page(batch_id: int):
    return _batch_page(batch_id)


@bp.route("/batches/<int:batch_id>/mark-paid", methods=["POST"])
@login_required(PLATFORM_ADMIN)
def batch_mark_paid(batch_id: int):
    body = form_body(PAID_FIELDS)
    if "paid_at" in body:
        body["paid_at"] = china_moment(body["paid_at"])
    try:
        mark_batch_paid(
            db.session,
            g.admin,
            batch_id,
            keys=code_keys(),
            now=_now(),
            **MarkPaidSchema().load(body),
        )
    except (ma.ValidationError, InvalidRequest) as error:
        return _batch_page(batch_id, form_values(PAID_FIELDS), field_errors(error), 422)
    flash("已确认付款，批次生效，券码已生成")
    return redirect(url_for("console.batch_page", batch_id=batch_id))


@bp.route("/batches/<int:batch_id>/codes.xlsx", methods=["GET"])
@login_required(UNION_ADMIN)
def batch_codes_sheet(batch_id: int):
    content = codes_workbook(db.session, g.admin, batch_id, code_keys())
    return xlsx_download(content, f"voucher-codes-{batch_id}.xlsx")


def _now() -> datetime:
    return datetime.now(UTC)
